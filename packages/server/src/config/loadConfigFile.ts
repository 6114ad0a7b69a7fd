import { pathToFileURL } from "node:url"
import { ConfigFile, validationFailed } from "@armature/core"
import { FileSystem } from "@effect/platform"
import { Effect } from "effect"
import { parse as parseYaml } from "yaml"

/** Reads a monitoring-as-code file (YAML, JSON, or a JS module with a default export) and validates it through core. */
export const loadConfigFile = (path: string) =>
  Effect.gen(function* () {
    const raw: unknown = /\.(m?js)$/.test(path)
      ? yield* Effect.tryPromise({
          try: () => import(pathToFileURL(path).href).then((m: { default?: unknown }) => m.default),
          catch: (e) => validationFailed([{ field: "(file)", message: `cannot load ${path}: ${String(e)}` }])
        })
      : yield* FileSystem.FileSystem.pipe(
          Effect.flatMap((fs) => fs.readFileString(path)),
          Effect.mapError((e) => validationFailed([{ field: "(file)", message: e.message }])),
          Effect.flatMap((text) =>
            Effect.try({
              try: () => parseYaml(text) as unknown,
              catch: (e) =>
                validationFailed([{ field: "(file)", message: `not valid YAML/JSON: ${String(e)}` }])
            })
          )
        )
    return yield* ConfigFile.parse(raw)
  })
