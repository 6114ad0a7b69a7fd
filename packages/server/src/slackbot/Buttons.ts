/**
 * The buttons of Armature's Slack messages (`SlackActions.actionIds`): Approve and Dismiss on a
 * proposal, Run now / Run again, Mute 1 h on an alert. Each acts as the clicking user's linked
 * member through core's use cases and roles, audited; a refusal is said to that user alone, an
 * outcome the channel should know (applied already, expired, changed since) in the message's thread.
 */
import { SlackActions, SlackProposalMessage } from "@armature/alerts"
import { Alerting, type Caller, Monitors, type Proposal, Proposals, Roles } from "@armature/core"
import type { App, BlockAction, ButtonAction, webApi } from "@slack/bolt"
import { Effect, Either, Option } from "effect"
import { type Kit, notLinked, reportRun, type Services, startRun, unavailable, whisper } from "./Kit.js"

const { actionIds, muteMinutes } = SlackActions

/** Who clicked what where: the click's user, workspace, channel, message and the button's value. */
interface Click {
  readonly teamId: string
  readonly userId: string
  readonly channel: string
  readonly messageTs: string
  readonly value: string
}

const clickOf = (body: BlockAction, action: ButtonAction): Click | null => {
  const teamId = body.team?.id ?? body.user.team_id
  const channel = body.channel?.id ?? (body.container.channel_id as string | undefined)
  const messageTs = body.message?.ts ?? (body.container.message_ts as string | undefined)
  if (teamId === undefined || channel === undefined || messageTs === undefined || action.value === undefined)
    return null
  return { teamId, userId: body.user.id, channel, messageTs, value: action.value }
}

const until = (date: Date | null) => (date === null ? "" : ` (until ${date.toISOString().slice(11, 16)} UTC)`)

export const register = (app: App, kit: Kit) => {
  /** Says `text` to the clicking user alone. */
  const toClicker = (client: webApi.WebClient, click: Click, text: string) =>
    whisper(client, click.channel, click.userId, text)

  /** Answers in the clicked message's thread, for the channel to see, naming the clicking user. */
  const inThread = (client: webApi.WebClient, click: Click, text: string) =>
    client.chat.postMessage({
      channel: click.channel,
      thread_ts: click.messageTs,
      text: `<@${click.userId}> ${text}`
    })

  /** Redraws the clicked proposal message as the proposal now stands. */
  const redraw = (
    client: webApi.WebClient,
    click: Click,
    proposal: Proposal,
    state: SlackProposalMessage.State
  ) => {
    const rendered = SlackProposalMessage.render(proposal, state)
    return client.chat.update({
      channel: click.channel,
      ts: click.messageTs,
      text: rendered.text,
      blocks: [...rendered.blocks]
    })
  }

  /**
   * Registers a button: acknowledges at once (Slack wants it within 3 s), finds the clicking
   * user's member, and hands both to `handle`; unlinked users are told, and nothing runs.
   */
  const button = (
    actionId: string,
    handle: (click: Click, caller: Caller, client: webApi.WebClient) => Promise<unknown>
  ) =>
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client }) => {
      await ack()
      const click = clickOf(body, action)
      if (click === null) return
      const found = await kit.callerOf(click.teamId, click.userId)
      if (found === "unavailable") await toClicker(client, click, unavailable)
      else if (Option.isNone(found)) await toClicker(client, click, notLinked)
      else await handle(click, found.value, client)
    })

  // A link opens in the browser; the click still comes here and wants its acknowledgement.
  app.action(actionIds.openLink, ({ ack }) => ack())

  button(actionIds.approveProposal, async (click, caller, client) => {
    const applied = await kit.act(
      caller,
      "proposal.approve",
      { proposalId: click.value },
      Proposals.apply(caller, click.value)
    )
    if (applied.ok) {
      const proposal = await kit.run(Proposals.get(caller, click.value))
      if (Either.isLeft(proposal))
        return inThread(client, click, `applied it as version ${applied.value.version}.`)
      return redraw(client, click, proposal.right, {
        _tag: "applied",
        by: click.userId,
        workflowId: applied.value.workflowId,
        version: applied.value.version
      })
    }
    if (applied.code === "proposal_already_applied")
      return inThread(client, click, "this proposal was applied already; nothing changed.")
    if (applied.code === "proposal_expired" || applied.code === "version_conflict")
      return inThread(client, click, `could not apply it: ${applied.message}`)
    return toClicker(client, click, applied.message)
  })

  button(actionIds.dismissProposal, async (click, caller, client) => {
    // Dismissing is the reviewer's call, so it takes the role applying does.
    const dismissed = await kit.act(
      caller,
      "proposal.dismiss",
      { proposalId: click.value },
      Effect.zipRight(Roles.authorize(caller.actor, "proposals.apply"), Proposals.get(caller, click.value))
    )
    if (!dismissed.ok) return toClicker(client, click, dismissed.message)
    if (dismissed.value.appliedAt !== null)
      return inThread(client, click, "this proposal was applied already; dismissing it changes nothing.")
    return redraw(client, click, dismissed.value, { _tag: "dismissed", by: click.userId })
  })

  button(actionIds.runWorkflow, async (click, caller, client) => {
    const started = await startRun(kit, caller, click.value)
    if (!started.ok) return toClicker(client, click, started.message)
    return reportRun(kit, client, caller, started.value, {
      channel: click.channel,
      threadTs: click.messageTs,
      userId: click.userId
    })
  })

  // Mute 1 h: a monitor's alert mutes the monitor, another alert its rule.
  const mutes: ReadonlyArray<{
    readonly actionId: string
    readonly audit: string
    readonly noun: string
    readonly mute: (
      caller: Caller,
      id: string,
      minutes: number
    ) => Effect.Effect<{ readonly name: string; readonly mutedUntil: Date | null }, unknown, Services>
  }> = [
    { actionId: actionIds.muteMonitor, audit: "monitor.mute", noun: "monitor", mute: Monitors.muteFor },
    { actionId: actionIds.muteRule, audit: "alert_rule.mute", noun: "alert rule", mute: Alerting.muteRuleFor }
  ]
  for (const { actionId, audit, noun, mute } of mutes) {
    button(actionId, async (click, caller, client) => {
      const muted = await kit.act(
        caller,
        audit,
        { id: click.value, minutes: muteMinutes },
        mute(caller, click.value, muteMinutes)
      )
      if (!muted.ok) return toClicker(client, click, muted.message)
      return inThread(
        client,
        click,
        `muted ${noun} *${muted.value.name}* for 1 h${until(muted.value.mutedUntil)}.`
      )
    })
  }
}
