/**
 * `/slack/install-links`, `/slack/installation` and `/slack/proposals-channel` (SPEC §7): one-time
 * install links of the Slack app (admin+), which workspace the organization connected (any role;
 * never the bot token), where proposals are posted (admin+), and disconnecting it (admin+). Role
 * checks are core's.
 */
import { type SlackInstallation, SlackInstalls } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect, Option } from "effect"
import * as SlackApp from "../../app/SlackApp.js"
import { ArmatureApi } from "../Api.js"
import { asCaller, withBody } from "./caller.js"

/** The organization's Slack connection as the API shows it. */
const connection = (installation: Option.Option<SlackInstallation>) =>
  Effect.map(SlackApp.current, (app) => ({
    installable: Option.isSome(app),
    installation: Option.match(installation, {
      onNone: () => null,
      // Spelled out: whatever the store adds to an installation stays off the wire.
      onSome: (i) => ({
        teamId: i.teamId,
        teamName: i.teamName,
        botUserId: i.botUserId,
        scopes: i.scopes,
        installedAt: i.installedAt,
        proposalsChannel: i.proposalsChannel
      })
    })
  }))

export const layer = HttpApiBuilder.group(ArmatureApi, "slack", (handlers) =>
  handlers
    .handleRaw("createInstallLink", ({ request }) => withBody(request, SlackApp.createInstallLink))
    .handle("getInstallation", () =>
      asCaller((caller) => Effect.flatMap(SlackInstalls.getInstallation(caller), connection))
    )
    .handleRaw("setProposalsChannel", ({ request }) =>
      withBody(request, (caller, body) =>
        Effect.flatMap(SlackInstalls.setProposalsChannel(caller, body), (i) => connection(Option.some(i)))
      )
    )
    .handle("deleteInstallation", () => asCaller((caller) => SlackInstalls.removeInstallation(caller)))
)
