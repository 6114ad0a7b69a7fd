import { ConfigFile } from "@armature/core"
import { Args, Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { Clock, Console, Effect } from "effect"
import { loadConfigFile } from "../config/loadConfigFile.js"
import { init } from "./commands/init.js"
import { keys } from "./commands/keys.js"
import { migrate } from "./commands/migrate.js"
import { serve } from "./commands/serve.js"
import { status } from "./commands/status.js"

const file = Args.file({ name: "file", exists: "yes" }).pipe(
  Args.withDescription("config file (YAML, JSON or .js)")
)

/** `armature validate <file>`: checks a monitoring-as-code file and explains what it will do. */
const validate = Command.make("validate", { file }, ({ file }) =>
  Effect.gen(function* () {
    const config = yield* loadConfigFile(file)
    const now = new Date(yield* Clock.currentTimeMillis)
    yield* Console.log(`${file} is valid.\n`)
    yield* Console.log(ConfigFile.explain(config, now))
  }).pipe(
    Effect.catchTag("ValidationFailed", (e) =>
      Effect.gen(function* () {
        yield* Console.error(`${file} is not valid:`)
        for (const f of e.fieldErrors) yield* Console.error(`  ${f.field}: ${f.message}`)
        return yield* Effect.fail(e)
      })
    )
  )
).pipe(Command.withDescription("Validate a monitoring-as-code file and explain it"))

const armature = Command.make("armature").pipe(
  Command.withDescription("Continuous testing and monitoring of MCP servers"),
  Command.withSubcommands([serve, migrate, init, keys, status, validate])
)

/** The `armature` command line, run against `argv`. */
export const Cli = (argv: ReadonlyArray<string>) =>
  Command.run(armature, { name: "armature", version: "0.0.0" })(argv).pipe(Effect.provide(NodeContext.layer))
