import { Command } from "@effect/cli"
import { Layer } from "effect"
import * as App from "../../app/App.js"
import * as ServerConfig from "../../config/ServerConfig.js"
import * as Settings from "../../config/settingsFile.js"

/**
 * `armature serve`: migrations, bootstrap, HTTP, scheduler, workers and retention until
 * SIGINT/SIGTERM, which stop intake and drain in-flight work before exit.
 */
export const serve = Command.make("serve", { settings: Settings.option }, ({ settings }) =>
  Layer.launch(App.make().pipe(Layer.provide(ServerConfig.layer))).pipe(Settings.using(settings))
).pipe(Command.withDescription("Run the Armature server (REST API, scheduler, workers)"))
