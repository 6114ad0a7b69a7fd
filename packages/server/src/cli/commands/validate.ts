import { ConfigFile } from "@armature/core"
import { Command } from "@effect/cli"
import { Clock, Console, Effect } from "effect"
import * as ConfigFileArg from "../configFileArg.js"

/** `armature validate <file>`: checks a monitoring-as-code file and explains what it will do. */
export const validate = Command.make("validate", { file: ConfigFileArg.file }, ({ file }) =>
  Effect.gen(function* () {
    const config = yield* ConfigFileArg.load(file)
    const now = new Date(yield* Clock.currentTimeMillis)
    yield* Console.log(`${file} is valid.\n`)
    yield* Console.log(ConfigFile.explain(config, now))
  })
).pipe(Command.withDescription("Validate a monitoring-as-code file and explain it"))
