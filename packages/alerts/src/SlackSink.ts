/**
 * Slack destinations (`{ type: "slack", channel }`) through the Web API's `chat.postMessage`, with
 * the organization's bot token. The SDK's own retries are off: the outbox retries, and classifies
 * each failure here as worth retrying or not.
 */
import {
  DeliveryFailed,
  type Destination,
  destinationAs,
  type FieldError,
  type StoreError
} from "@armature/core"
import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError
} from "@slack/web-api"
import { Effect, Option, Redacted } from "effect"
import type { TypedSink } from "./AlertSinks.js"
import { networkReason } from "./internal/network.js"
import { slackClient } from "./internal/slackClient.js"
import * as SlackMessage from "./SlackMessage.js"

export interface Options {
  /**
   * The bot token for an organization's workspace, or none when it has not connected Slack. A
   * function, not a value: a single-workspace deployment answers with one token
   * (`staticToken`), a Slack app installed per organization looks its installation up.
   */
  readonly botToken: (orgId: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, StoreError>
  /** The Web API base, `https://slack.com/api/` by default (tests, proxies); a trailing slash is added. */
  readonly slackApiUrl?: string | undefined
  /** Per Web API request; 10 s by default. */
  readonly timeoutMs?: number | undefined
}

/** The words of every refusal when an organization has no Slack token. */
export const notConnected = "Slack is not connected: install the Armature Slack app or set a bot token"

/** `botToken` for a deployment with one Slack workspace: the same token for every organization. */
export const staticToken =
  (token: Redacted.Redacted<string>) =>
  (_orgId: string): Effect.Effect<Option.Option<Redacted.Redacted<string>>> =>
    Effect.succeed(Option.some(token))

/** Channel (`C…`), private channel (`G…`), direct message (`D…`) or user (`U…`, `W…` on Enterprise Grid). */
const slackId = /^[CGDUW][A-Z0-9]{2,}$/

/** Why `channel` cannot be a Slack id, or null when it looks like one. */
export const channelProblem = (channel: string): string | null => {
  if (slackId.test(channel)) return null
  if (channel.startsWith("#") || channel.startsWith("@")) {
    return `use the channel id (like C0123ABCDEF, shown at the bottom of the channel's details in Slack), not its name "${channel}"`
  }
  return "must be a Slack channel or user id such as C0123ABCDEF (uppercase letters and digits)"
}

// Each needs a person to act (fix the channel, invite the app, reconnect Slack): retrying cannot help.
const permanent: Record<string, (channel: string) => string> = {
  channel_not_found: (c) =>
    `Slack channel ${c} was not found: check the id, and invite the Armature app to a private channel`,
  not_in_channel: (c) => `the Armature app is not in Slack channel ${c}: invite it (/invite @Armature)`,
  is_archived: (c) => `Slack channel ${c} is archived`,
  invalid_auth: () => "Slack rejected the bot token (invalid_auth): reconnect Slack or set a new bot token",
  account_inactive: () =>
    "Slack rejected the bot token (account_inactive): reconnect Slack or set a new bot token",
  token_revoked: () => "Slack rejected the bot token (token_revoked): reconnect Slack or set a new bot token"
}

// Platform errors Slack documents as transient; every other one describes the request or the
// workspace (missing_scope, invalid_blocks, restricted_action…), which a retry cannot change.
const transient = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout"
])

/** Classifies a failed Web API call; the token never appears in the message. */
const failure = (error: unknown, channel: string): DeliveryFailed => {
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error
    const known = permanent[code]
    if (known !== undefined) return new DeliveryFailed({ message: known(channel), retryable: false })
    return new DeliveryFailed({
      message: `Slack refused the message: ${code}`,
      retryable: transient.has(code)
    })
  }
  if (error instanceof WebAPIRateLimitedError) {
    return new DeliveryFailed({
      message: `Slack rate limit reached (retry after ${error.retryAfter} s)`,
      retryable: true
    })
  }
  if (error instanceof WebAPIHTTPError) {
    const s = error.statusCode
    return new DeliveryFailed({
      message: `Slack answered HTTP ${s}`,
      retryable: s >= 500 || s === 408 || s === 429
    })
  }
  if (error instanceof WebAPIRequestError) {
    return new DeliveryFailed({
      message: `could not reach Slack: ${networkReason(error.original)}`,
      retryable: true
    })
  }
  return new DeliveryFailed({ message: "the Slack request failed", retryable: true })
}

/** The Slack sink. */
export const make = (options: Options): TypedSink => {
  const client = slackClient(options)

  const tokenFor = (orgId: string) =>
    options.botToken(orgId).pipe(
      Effect.mapError(
        () =>
          new DeliveryFailed({
            message: "could not read the Slack bot token (store failure)",
            retryable: true
          })
      )
    )

  const wrongType = (destination: Destination) =>
    new DeliveryFailed({
      message: `the Slack sink cannot deliver to a "${destination.type}" destination`,
      retryable: false
    })

  const deliver: TypedSink["deliver"] = ({ orgId, message, destination }) =>
    Effect.gen(function* () {
      const slack = destinationAs(destination, "slack")
      if (slack === null) return yield* wrongType(destination)
      const problem = channelProblem(slack.channel)
      if (problem !== null)
        return yield* new DeliveryFailed({ message: `channel ${problem}`, retryable: false })
      const token = yield* tokenFor(orgId)
      if (Option.isNone(token)) return yield* new DeliveryFailed({ message: notConnected, retryable: false })
      const rendered = SlackMessage.render(message)
      yield* Effect.tryPromise({
        try: () =>
          client.chat.postMessage({
            token: Redacted.value(token.value),
            channel: slack.channel,
            text: rendered.text,
            blocks: [...rendered.blocks],
            // The link points at Armature itself: a preview card would only repeat the message.
            unfurl_links: false,
            unfurl_media: false
          }),
        catch: (error) => failure(error, slack.channel)
      })
    })

  const validate: TypedSink["validate"] = (orgId, destination) =>
    Effect.gen(function* () {
      const slack = destinationAs(destination, "slack")
      if (slack === null) return [{ field: "type", message: "not a Slack destination" }]
      const problem = channelProblem(slack.channel)
      if (problem !== null) return [{ field: "channel", message: problem }]
      const token = yield* options.botToken(orgId)
      if (Option.isNone(token)) return [{ field: "type", message: notConnected }]
      // Only conversations can be looked up; a DM or user id is checked when the first message goes.
      if (!/^[CG]/.test(slack.channel)) return []
      const info = yield* Effect.either(
        Effect.tryPromise(() =>
          client.conversations.info({ token: Redacted.value(token.value), channel: slack.channel })
        )
      )
      const errors: Array<FieldError> = []
      if (info._tag === "Left") {
        const cause = info.left.error
        // Only an answer about the channel itself is reported. Anything else (Slack down, rate
        // limit, a token without `channels:read`) says nothing about the destination: saving the
        // rule must not depend on it, and delivery reports a real problem when it happens.
        if (cause instanceof WebAPIPlatformError && cause.data.error === "channel_not_found") {
          errors.push({ field: "channel", message: permanent.channel_not_found!(slack.channel) })
        }
      } else if (info.right.channel?.is_archived === true) {
        errors.push({ field: "channel", message: permanent.is_archived!(slack.channel) })
      }
      return errors
    })

  return { type: "slack", deliver, validate }
}
