/**
 * What the `/armature` command and the buttons share: running core's use cases on the server's
 * services, as the linked member, audited; and reporting a run's verdict in Slack.
 */
import {
  Audit,
  type Caller,
  type Ids,
  Runs,
  SlackInstalls,
  type StorePorts,
  toApiErrorBody
} from "@armature/core"
import type { webApi } from "@slack/bolt"
import { Effect, Either, type Option, Runtime } from "effect"
import type { LinkTokens } from "./LinkTokens.js"

/** What the bot's use cases read and write with. */
export type Services = StorePorts | Ids | LinkTokens

/** A use case's answer: its value, or the refusal's code and sentence. */
export type Outcome<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly code: string; readonly message: string }

export const notLinked =
  "You are not linked to an Armature member yet, so nothing was done. Type `/armature link` to link your Slack user."

export const unavailable = "Armature cannot answer right now; try again shortly."

export interface Kit {
  readonly publicUrl: string
  readonly run: <A, E>(effect: Effect.Effect<A, E, Services>) => Promise<Either.Either<A, E>>
  /** The member a Slack user is linked to, with the member's role; none when unlinked. */
  readonly callerOf: (teamId: string, slackUserId: string) => Promise<Option.Option<Caller> | "unavailable">
  /** Runs `effect` as `caller` and writes `slack.<action>` with its outcome to the audit log. */
  readonly act: <A>(
    caller: Caller,
    action: string,
    args: Record<string, unknown>,
    effect: Effect.Effect<A, unknown, Services>
  ) => Promise<Outcome<A>>
}

export const make = (runtime: Runtime.Runtime<Services>, publicUrl: string): Kit => {
  const run = <A, E>(effect: Effect.Effect<A, E, Services>) =>
    Runtime.runPromise(runtime)(Effect.either(effect))
  return {
    publicUrl,
    run,
    callerOf: async (teamId, slackUserId) => {
      const found = await run(SlackInstalls.callerOf(teamId, slackUserId))
      return Either.isLeft(found) ? "unavailable" : found.right
    },
    act: async (caller, action, args, effect) => {
      const result = await run(effect)
      const refusal = Either.isLeft(result) ? toApiErrorBody(result.left) : null
      await run(
        Audit.record(caller.orgId, caller.actor, {
          action: `slack.${action}`,
          outcome: refusal === null ? "ok" : refusal.code,
          arguments: args
        })
      )
      return Either.isRight(result)
        ? { ok: true, value: result.right }
        : { ok: false, code: refusal!.code, message: refusal!.message }
    }
  }
}

/** Where a run is reported: a channel, in a thread of `threadTs` when given, for `userId`. */
export interface Place {
  readonly channel: string
  readonly threadTs?: string | undefined
  readonly userId: string
}

/** Starts a run of `workflow` now as `caller` (editor and up), audited; its id, or the refusal. */
export const startRun = (kit: Kit, caller: Caller, workflowId: string) =>
  kit.act(
    caller,
    "run",
    { workflowId },
    Effect.map(Runs.dispatch(caller, { workflowId, reason: "Run from Slack" }), (d) => ({
      id: d.run.id,
      workflowName: d.run.workflowName
    }))
  )

/**
 * Reports a started run in the channel: a message says it runs, and turns into its verdict
 * (`chat.update`) when it ends.
 */
export const reportRun = async (
  kit: Kit,
  client: webApi.WebClient,
  caller: Caller,
  run: { readonly id: string; readonly workflowName: string },
  place: Place
) => {
  const link = `<${kit.publicUrl}/runs/${run.id}|run ${run.id.slice(0, 8)}>`
  const posted = await client.chat.postMessage({
    channel: place.channel,
    ...(place.threadTs === undefined ? {} : { thread_ts: place.threadTs }),
    text: `Running *${run.workflowName}* (asked by <@${place.userId}>)… ${link}`
  })
  const ended = await kit.run(Runs.waitForTerminal(caller, run.id, 600))
  const verdict = Either.isRight(ended)
    ? `*${run.workflowName}*: *${ended.right.status}* ${link}`
    : `*${run.workflowName}*: still running after 10 minutes ${link}`
  if (posted.ok && posted.channel !== undefined && posted.ts !== undefined) {
    await client.chat.update({ channel: posted.channel, ts: posted.ts, text: verdict })
  }
}

/** Says `text` to `userId` alone, in `channel`. */
export const whisper = (client: webApi.WebClient, channel: string, userId: string, text: string) =>
  client.chat.postEphemeral({ channel, user: userId, text })
