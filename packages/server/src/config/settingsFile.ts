import { Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { ConfigProvider, Effect, Option } from "effect"
import { parse as parseYaml } from "yaml"

/**
 * `--settings <file>`: server settings (the same names as the environment variables, e.g.
 * `DATABASE_URL`, `PORT`, `OPENAI_BASE_URL`) in a YAML or JSON file. The environment wins, so a
 * deployment can override one value without editing the file.
 */
export const option = Options.file("settings", { exists: "yes" }).pipe(
  Options.withDescription("YAML or JSON file of settings (environment variable names); the environment wins"),
  Options.optional
)

const provider = (path: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path))
    const parsed = yield* Effect.try({
      try: () => parseYaml(text) as unknown,
      catch: (e) => new Error(`${path}: not valid YAML or JSON (${String(e)})`)
    })
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return yield* Effect.fail(new Error(`${path}: expected a mapping of setting names to values`))
    }
    return ConfigProvider.fromEnv().pipe(ConfigProvider.orElse(() => ConfigProvider.fromJson(parsed)))
  })

/** Runs `effect` (and the layers it builds) with the settings file, when one was given. */
export const using =
  (file: Option.Option<string>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Option.match(file, {
      onNone: () => effect,
      onSome: (path) => Effect.flatMap(provider(path), (p) => Effect.withConfigProvider(effect, p))
    })
