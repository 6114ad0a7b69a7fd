import { Command } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect } from "effect"
import { alerts } from "./commands/alerts.js"
import { apply } from "./commands/apply.js"
import { init } from "./commands/init.js"
import { keys } from "./commands/keys.js"
import { mcp } from "./commands/mcp.js"
import { migrate } from "./commands/migrate.js"
import { plan } from "./commands/plan.js"
import { secrets } from "./commands/secrets.js"
import { serve } from "./commands/serve.js"
import { slack } from "./commands/slack.js"
import { status } from "./commands/status.js"
import { test } from "./commands/test.js"
import { validate } from "./commands/validate.js"
import { exitOnError } from "./reportError.js"

const armature = Command.make("armature").pipe(
  Command.withDescription("Continuous testing and monitoring of MCP servers"),
  Command.withSubcommands([
    serve,
    migrate,
    init,
    keys,
    secrets,
    apply,
    test,
    status,
    validate,
    alerts,
    slack,
    mcp,
    plan
  ])
)

/** The `armature` command line, run against `argv`. */
export const Cli = (argv: ReadonlyArray<string>) =>
  Command.run(armature, { name: "armature", version: "0.0.0" })(argv).pipe(
    exitOnError,
    Effect.provide(NodeContext.layer)
  )
