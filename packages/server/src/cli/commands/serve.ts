import { Command, Options } from "@effect/cli"
import { Effect, Layer, Option } from "effect"
import * as App from "../../app/App.js"
import * as ServerConfig from "../../config/ServerConfig.js"
import * as Settings from "../../config/settingsFile.js"
import * as ConfigFileArg from "../configFileArg.js"

const applyFile = Options.file("apply", { exists: "yes" }).pipe(
  Options.optional,
  Options.withDescription(
    "a monitoring-as-code file to apply at startup (validated before the server starts)"
  )
)

/**
 * `armature serve`: migrations, bootstrap, HTTP, scheduler, workers and retention until
 * SIGINT/SIGTERM, which stop intake and drain in-flight work before exit. `--apply` applies a
 * file in the same process, which the embedded store needs (one process holds its data dir).
 */
export const serve = Command.make(
  "serve",
  { settings: Settings.option, apply: applyFile },
  ({ settings, apply }) =>
    Effect.gen(function* () {
      const config = Option.isSome(apply) ? yield* ConfigFileArg.load(apply.value) : undefined
      return yield* Layer.launch(
        App.make({ ...(config ? { apply: config } : {}) }).pipe(Layer.provide(ServerConfig.layer))
      )
    }).pipe(Settings.using(settings))
).pipe(Command.withDescription("Run the Armature server (REST API, scheduler, workers)"))
