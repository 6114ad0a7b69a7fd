import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import * as Bootstrap from "../../app/Bootstrap.js"
import * as Settings from "../../config/settingsFile.js"
import { storeContext } from "../operatorContext.js"

/** `armature init`: prepares the database and creates the organization and its owner key. */
export const init = Command.make("init", { settings: Settings.option }, ({ settings }) =>
  Effect.gen(function* () {
    const result = yield* Bootstrap.bootstrap
    if (!result.created) {
      yield* Console.log(
        `Already initialized: organization "${result.organization.name}". Create more keys with \`armature keys create --name <name>\`.`
      )
      return
    }
    yield* Console.log(`Created organization "${result.organization.name}" with owner ${result.owner.email}.`)
    yield* Console.log(`Owner API key (shown once, store it now):\n\n  ${result.token}\n`)
  }).pipe(Effect.provide(storeContext), Settings.using(settings))
).pipe(Command.withDescription("Prepare the database and create the organization and its owner API key"))
