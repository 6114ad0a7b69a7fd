/**
 * Core's `ProposalNotices` through Slack: each staged proposal is posted to the organization's
 * proposals channel (`/armature config proposals #channel`), rendered by `SlackProposalMessage`.
 * Posting runs beside the staging call, which returns at once; a failure (Slack down, the app not
 * in the channel) is logged, and the proposal still waits for `apply` through the API.
 */
import { type Proposal, ProposalNotices, SlackInstallations, type StoreError } from "@armature/core"
import type { WebClient } from "@slack/web-api"
import { Effect, FiberSet, Layer, Option, Redacted } from "effect"
import { slackClient } from "./internal/slackClient.js"
import * as SlackProposalMessage from "./SlackProposalMessage.js"

export interface Options {
  /** The bot token of an organization's Slack installation (as `SlackSink`'s option). */
  readonly botToken: (orgId: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, StoreError>
  /** The Web API base, `https://slack.com/api/` by default (tests, proxies). */
  readonly slackApiUrl?: string | undefined
  /** Per Web API request; 10 s by default. */
  readonly timeoutMs?: number | undefined
}

/** Posts `proposal` to its organization's proposals channel, if it set one. */
const post = (client: WebClient, options: Options, proposal: Proposal) =>
  Effect.gen(function* () {
    const installation = yield* Effect.flatMap(SlackInstallations, (s) => s.get(proposal.orgId))
    const channel = Option.getOrNull(Option.flatMapNullable(installation, (i) => i.proposalsChannel))
    if (channel === null) return
    const token = yield* options.botToken(proposal.orgId)
    if (Option.isNone(token)) return
    const rendered = SlackProposalMessage.render(proposal)
    yield* Effect.tryPromise(() =>
      client.chat.postMessage({
        token: Redacted.value(token.value),
        channel,
        text: rendered.text,
        blocks: [...rendered.blocks],
        unfurl_links: false,
        unfurl_media: false
      })
    )
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.logWarning("could not post a proposal to Slack", cause).pipe(
        Effect.annotateLogs({ proposalId: proposal.id, orgId: proposal.orgId })
      )
    )
  )

/** `ProposalNotices` posting to Slack; the posts in flight end with the layer's scope. */
export const layer = (options: Options): Layer.Layer<ProposalNotices, never, SlackInstallations> =>
  Layer.scoped(
    ProposalNotices,
    Effect.gen(function* () {
      const client = slackClient(options)
      const run = yield* FiberSet.makeRuntime<SlackInstallations>()
      return {
        staged: (proposal) => Effect.sync(() => void run(post(client, options, proposal)))
      }
    })
  )
