import { pathToFileURL } from "node:url"
import { ConfigFile, validationFailed } from "@armature/core"
import { FileSystem } from "@effect/platform"
import { Effect } from "effect"
import { parse as parseYaml } from "yaml"

const cannotLoad = (path: string, e: unknown) =>
  validationFailed([
    { field: "(file)", message: `cannot load ${path}: ${e instanceof Error ? e.message : String(e)}` }
  ])

/**
 * A `.ts` file outside a `"type": "module"` package is compiled to CommonJS, and importing that
 * gives `module.exports` as the default: its own `default` (marked `__esModule`) is the export.
 */
const esModuleDefault = (value: unknown): unknown =>
  typeof value === "object" &&
  value !== null &&
  (value as { __esModule?: unknown }).__esModule === true &&
  "default" in value
    ? (value as { default: unknown }).default
    : value

/**
 * A module's default export. TypeScript files go through tsx's loader (loaded only for them),
 * so a `.ts` config works from the built CLI without a compile step, in an ES module package
 * or a CommonJS one.
 */
const importDefault = (path: string) =>
  Effect.tryPromise({
    try: async () => {
      const url = pathToFileURL(path).href
      const module: { default?: unknown } = /\.[mc]?ts$/.test(path)
        ? await import("tsx/esm/api").then((tsx) => tsx.tsImport(url, import.meta.url))
        : await import(url)
      return esModuleDefault(module.default)
    },
    catch: (e) => cannotLoad(path, e)
  })

const readYaml = (path: string) =>
  FileSystem.FileSystem.pipe(
    Effect.flatMap((fs) => fs.readFileString(path)),
    Effect.mapError((e) => cannotLoad(path, e)),
    Effect.flatMap((text) =>
      Effect.try({
        try: () => parseYaml(text) as unknown,
        catch: (e) => validationFailed([{ field: "(file)", message: `not valid YAML/JSON: ${String(e)}` }])
      })
    )
  )

/** Reads a monitoring-as-code file (TypeScript or JavaScript with a default export, YAML or JSON) and validates it through core. */
export const loadConfigFile = (path: string) =>
  Effect.flatMap(/\.[mc]?[jt]s$/.test(path) ? importDefault(path) : readYaml(path), ConfigFile.parse)
