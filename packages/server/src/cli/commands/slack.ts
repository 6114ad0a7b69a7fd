import type { SlackInstall } from "@armature/alerts"
import type { OrgStore } from "@armature/core"
import { Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option } from "effect"
import * as Bootstrap from "../../app/Bootstrap.js"
import * as SlackApp from "../../app/SlackApp.js"
import * as ServerConfig from "../../config/ServerConfig.js"
import * as Settings from "../../config/settingsFile.js"
import { storeContext } from "../operatorContext.js"

/**
 * `armature slack install-url` over `context` (the store and the server's `SlackApp`): prints a
 * one-time link that connects a Slack workspace to the organization, created as the
 * deployment's operator with direct database access, like `keys create` (on the embedded
 * store, not while `serve` runs).
 */
export const make = <E, R>(
  context: Layer.Layer<SlackApp.SlackApp | SlackInstall.Requirements | OrgStore, E, R>
) => {
  const installUrl = Command.make(
    "install-url",
    {
      settings: Settings.option,
      expiresInMinutes: Options.integer("expires-in-minutes").pipe(
        Options.withDescription("how long the link stays usable, 5 to 10080 minutes (default 60)"),
        Options.optional
      )
    },
    ({ settings, expiresInMinutes }) =>
      Effect.gen(function* () {
        const caller = yield* Bootstrap.operator
        const input = Option.match(expiresInMinutes, {
          onNone: () => ({}),
          onSome: (minutes) => ({ expiresInMinutes: minutes })
        })
        const { url, expiresAt } = yield* SlackApp.createInstallLink(caller, input)
        yield* Console.log(
          [
            "Open this link to connect a Slack workspace to the organization. It works once, until",
            `${expiresAt.toISOString()}, and is shown only now:`,
            "",
            `  ${url}`,
            ""
          ].join("\n")
        )
      }).pipe(Effect.provide(context), Effect.scoped, Settings.using(settings))
  ).pipe(
    Command.withDescription("Print a one-time link that installs the Armature Slack app for the organization")
  )

  return Command.make("slack").pipe(
    Command.withDescription("Connect the organization to Slack"),
    Command.withSubcommands([installUrl])
  )
}

/** `armature slack` on the configured store and Slack app settings. */
export const slack = make(
  SlackApp.layer.pipe(Layer.provideMerge(storeContext), Layer.provide(ServerConfig.layer))
)
