/**
 * `/slack/install-links` and `/slack/installation` (SPEC §7): one-time install links of the
 * Slack app (admin+), which workspace the organization connected (any role; never the bot
 * token), and disconnecting it (admin+). Role checks are core's.
 */
import { SlackInstalls } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect, Option } from "effect"
import * as SlackApp from "../../app/SlackApp.js"
import { ArmatureApi } from "../Api.js"
import { asCaller, withBody } from "./caller.js"

export const layer = HttpApiBuilder.group(ArmatureApi, "slack", (handlers) =>
  handlers
    .handleRaw("createInstallLink", ({ request }) => withBody(request, SlackApp.createInstallLink))
    .handle("getInstallation", () =>
      asCaller((caller) =>
        Effect.gen(function* () {
          const installation = yield* SlackInstalls.getInstallation(caller)
          return {
            installable: Option.isSome(yield* SlackApp.current),
            installation: Option.match(installation, {
              onNone: () => null,
              // Spelled out: whatever the store adds to an installation stays off the wire.
              onSome: (i) => ({
                teamId: i.teamId,
                teamName: i.teamName,
                botUserId: i.botUserId,
                scopes: i.scopes,
                installedAt: i.installedAt
              })
            })
          }
        })
      )
    )
    .handle("deleteInstallation", () => asCaller((caller) => SlackInstalls.removeInstallation(caller)))
)
