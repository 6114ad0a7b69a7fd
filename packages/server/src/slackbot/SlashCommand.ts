/**
 * The `/armature` slash command: `help` and `link` for anyone; the rest as the linked member,
 * through core's use cases and roles (`Commands`), every one audited.
 */
import { SlackInstalls } from "@armature/core"
import type { App, RespondArguments } from "@slack/bolt"
import { Either, Option } from "effect"
import * as Commands from "./Commands.js"
import { type Kit, notLinked, reportRun, startRun, unavailable } from "./Kit.js"
import type { LinkTokens } from "./LinkTokens.js"

const ephemeral = (text: string): RespondArguments => ({ response_type: "ephemeral", text })

/**
 * A channel as a command's argument: Slack sends `<#C0123|name>` when the command escapes
 * channels (the manifest asks it to), or a bare id typed by hand; `off` clears.
 */
const channelArgument = (typed: string): string | null | undefined => {
  const trimmed = typed.trim()
  if (/^(off|none)$/i.test(trimmed)) return null
  const escaped = /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(trimmed)
  if (escaped !== null) return escaped[1]
  return /^[CG][A-Z0-9]{2,}$/.test(trimmed) ? trimmed : undefined
}

export const register = (app: App, kit: Kit, links: LinkTokens["Type"]) =>
  app.command("/armature", async ({ command, ack, client }) => {
    const [subcommand = "help", ...rest] = command.text.trim().split(/\s+/)
    const argument = rest.join(" ")
    const sub = subcommand.toLowerCase()
    const audited = { text: command.text }
    if (sub === "help" || sub === "") return ack(ephemeral(Commands.help))
    if (sub === "link") {
      const token = links.sign({ teamId: command.team_id, slackUserId: command.user_id }, Date.now())
      return ack(
        ephemeral(
          `Open <${kit.publicUrl}/slack/link?token=${token}|this link> within 15 minutes and sign in to the Armature dashboard: your Slack user then acts as your Armature member, with your role.`
        )
      )
    }
    const found = await kit.callerOf(command.team_id, command.user_id)
    if (found === "unavailable") return ack(ephemeral(unavailable))
    if (Option.isNone(found)) return ack(ephemeral(notLinked))
    const caller = found.value
    switch (sub) {
      case "status":
      case "runs":
      case "coverage": {
        if (sub === "coverage" && argument === "")
          return ack(ephemeral("Which server? `/armature coverage <server>`"))
        const answered = await kit.act(
          caller,
          sub,
          audited,
          sub === "status"
            ? Commands.status(caller)
            : sub === "runs"
              ? Commands.runs(caller, argument)
              : Commands.coverage(caller, argument)
        )
        return ack(ephemeral(answered.ok ? answered.value : answered.message))
      }
      case "run": {
        if (argument === "") return ack(ephemeral("Which workflow? `/armature run <workflow>`"))
        const named = await kit.run(Commands.workflowNamed(caller, argument))
        if (Either.isLeft(named)) return ack(ephemeral(unavailable))
        if (typeof named.right === "string") return ack(ephemeral(named.right))
        const workflow = named.right
        const started = await startRun(kit, caller, workflow.id)
        if (!started.ok) return ack(ephemeral(started.message))
        await ack(ephemeral(`Started a run of *${workflow.name}*.`))
        return reportRun(kit, client, caller, started.value, {
          channel: command.channel_id,
          userId: command.user_id
        })
      }
      case "config": {
        const [setting = "", ...value] = argument.split(/\s+/)
        if (setting.toLowerCase() !== "proposals")
          return ack(
            ephemeral(
              "Settings: `/armature config proposals #channel` posts agents' proposed workflow changes there for approval; `/armature config proposals off` stops it."
            )
          )
        if (value.length === 0) {
          const current = await kit.run(SlackInstalls.getInstallation(caller))
          const channel = Either.isRight(current)
            ? Option.getOrNull(Option.flatMapNullable(current.right, (i) => i.proposalsChannel))
            : null
          return ack(
            ephemeral(
              channel === null
                ? "Proposals are not posted to Slack. Choose a channel: `/armature config proposals #channel`"
                : `Proposals are posted to <#${channel}>.`
            )
          )
        }
        const channel = channelArgument(value.join(" "))
        if (channel === undefined)
          return ack(
            ephemeral(
              "Name the channel as Slack suggests it when you type `#` (Slack then sends its id), or give its id (C0123ABCDEF)."
            )
          )
        const set = await kit.act(
          caller,
          "config.proposals",
          audited,
          SlackInstalls.setProposalsChannel(caller, { channel })
        )
        if (!set.ok) return ack(ephemeral(set.message))
        return ack(
          ephemeral(
            channel === null
              ? "Proposals are no longer posted to Slack."
              : `Agents' proposed workflow changes will be posted to <#${channel}> with Approve and Dismiss buttons. Invite the Armature app there if the channel is private.`
          )
        )
      }
      default:
        return ack(ephemeral(`I don't know \`${subcommand}\`.\n${Commands.help}`))
    }
  })
