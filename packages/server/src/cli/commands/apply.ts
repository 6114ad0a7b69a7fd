import { Command, Options } from "@effect/cli"
import { Effect, Layer } from "effect"
import * as App from "../../app/App.js"
import { applyConfig } from "../../app/ApplyConfig.js"
import * as ServerConfig from "../../config/ServerConfig.js"
import * as Settings from "../../config/settingsFile.js"
import * as ConfigFileArg from "../configFileArg.js"

const dryRun = Options.boolean("dry-run").pipe(Options.withDescription("print the plan without applying it"))

/**
 * `armature apply <file>`: brings the deployment in line with a monitoring-as-code file,
 * printing the plan of creates and updates first. Works on the database directly, like `keys`;
 * on the embedded store, while `armature serve` runs, use `armature serve --apply <file>`.
 */
export const apply = Command.make(
  "apply",
  { settings: Settings.option, dryRun, file: ConfigFileArg.file },
  ({ settings, dryRun, file }) =>
    Effect.gen(function* () {
      const config = yield* ConfigFileArg.load(file)
      yield* applyConfig(config, { dryRun })
    }).pipe(
      Effect.provide(App.services().pipe(Layer.provide(ServerConfig.layer))),
      Effect.scoped,
      Settings.using(settings)
    )
).pipe(
  Command.withDescription(
    "Apply a monitoring-as-code file (servers, workflows, monitors, alert rules), showing the plan first"
  )
)
