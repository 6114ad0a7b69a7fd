/**
 * Webhook destinations (`{ type: "webhook", url, secretRef }`): the alert as JSON
 * (`WebhookPayload`), POSTed and signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`).
 *
 * The signing key is the UTF-8 bytes of the secret the user entered (at least 16 characters, any
 * text), not a base64 `whsec_` key: people paste passphrases, and the raw bytes are what they can
 * reproduce by hand. A receiver verifies with `new Webhook(Buffer.from(secret).toString("base64"))`
 * from `standardwebhooks`, or computes HMAC-SHA256 over `${id}.${timestamp}.${body}` itself.
 *
 * The URL is a user's choice, so every attempt asks the deployment's `AddressGuard` first and never
 * follows a redirect (its target would not have been checked).
 */
import {
  AddressGuard,
  DeliveryFailed,
  type Destination,
  destinationAs,
  type FieldError,
  SecretStore
} from "@armature/core"
import { Clock, Duration, Effect, Redacted } from "effect"
import { Webhook } from "standardwebhooks"
import type { TypedSink } from "./AlertSinks.js"
import { excerpt, networkReason } from "./internal/network.js"
import * as WebhookPayload from "./WebhookPayload.js"

export interface Options {
  /** Per attempt, from connecting to reading the answer; 10 s by default. */
  readonly timeoutMs?: number | undefined
  /**
   * Accept `http://` URLs to any host (development). Off by default: only https, and http to a
   * loopback host (`localhost`, `127.0.0.0/8`, `[::1]`), which never leaves the machine.
   */
  readonly allowInsecureHttp?: boolean | undefined
  /** The `user-agent` header; `Armature-Webhooks/1` by default. */
  readonly userAgent?: string | undefined
}

const isLoopbackHost = (hostname: string): boolean =>
  hostname === "localhost" ||
  hostname.endsWith(".localhost") ||
  hostname === "[::1]" ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)

/** Why `url` cannot be a webhook address under these options, or null. */
export const urlProblem = (url: string, options: Pick<Options, "allowInsecureHttp"> = {}): string | null => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return "must be an absolute URL such as https://example.com/hooks/armature"
  }
  if (parsed.protocol === "http:") {
    if (!(options.allowInsecureHttp === true || isLoopbackHost(parsed.hostname))) {
      return "must use https (http is accepted only for loopback addresses unless the operator allows insecure webhooks)"
    }
  } else if (parsed.protocol !== "https:") {
    return "must be an https URL"
  }
  // fetch refuses such URLs; credentials belong in the path or, better, in a signing secret.
  if (parsed.username !== "" || parsed.password !== "") return "must not contain a user name or password"
  return null
}

/** The `webhook-signature` value for a secret as users enter it (UTF-8 bytes as the key). */
export const sign = (secret: string, id: string, timestampSeconds: number, body: string): string =>
  new Webhook(new TextEncoder().encode(secret), { format: "raw" }).sign(
    id,
    new Date(timestampSeconds * 1000),
    body
  )

interface Answer {
  readonly status: number
  readonly body: string
  readonly location: string | null
}

/** Reads at most `maxBytes` of a body, then lets the rest go: an error page can be huge. */
const readSome = async (response: Response, maxBytes: number): Promise<string> => {
  const reader = response.body?.getReader()
  if (reader === undefined) return ""
  const decoder = new TextDecoder()
  let text = ""
  let read = 0
  while (read < maxBytes) {
    const { done, value } = await reader.read()
    if (done) break
    read += value.byteLength
    text += decoder.decode(value, { stream: true })
  }
  await reader.cancel().catch(() => undefined)
  return text
}

/** Where a redirect pointed, without its query (which may hold a token). */
const redirectTarget = (location: string | null, base: string): string => {
  if (location === null) return "nowhere"
  try {
    const target = new URL(location, base)
    return excerpt(`${target.origin}${target.pathname}`, 120)
  } catch {
    return "an invalid address"
  }
}

/** Classifies the receiver's answer: 2xx delivered; 408, 429, 5xx retryable; the rest not. */
const outcome = (answer: Answer, url: string): Effect.Effect<void, DeliveryFailed> => {
  const s = answer.status
  if (s >= 200 && s < 300) return Effect.void
  if (s >= 300 && s < 400) {
    return Effect.fail(
      new DeliveryFailed({
        message: `the webhook answered ${s} redirecting to ${redirectTarget(answer.location, url)}; redirects are not followed: use the final URL`,
        retryable: false
      })
    )
  }
  const said = excerpt(answer.body)
  return Effect.fail(
    new DeliveryFailed({
      message: `the webhook answered ${s}${said === "" ? "" : `: ${said}`}`,
      retryable: s === 408 || s === 429 || s >= 500
    })
  )
}

const wrongType = (destination: Destination) =>
  new DeliveryFailed({
    message: `the webhook sink cannot deliver to a "${destination.type}" destination`,
    retryable: false
  })

/** The webhook sink over the given address guard and secret store. */
export const fromServices = (
  guard: AddressGuard["Type"],
  secrets: SecretStore["Type"],
  options: Options = {}
): TypedSink => {
  const timeout = Duration.millis(options.timeoutMs ?? 10_000)
  const userAgent = options.userAgent ?? "Armature-Webhooks/1"

  // `== null`: a destination written without going through the schema (an embedder's own outbox
  // row) may leave `secretRef` out; that is an unsigned webhook, not a missing secret.
  const secretFor = (orgId: string, ref: string | null | undefined) =>
    ref == null
      ? Effect.succeed(null)
      : secrets.get(orgId, ref).pipe(
          Effect.map(Redacted.value),
          Effect.catchTags({
            SecretNotFound: () =>
              Effect.fail(
                new DeliveryFailed({
                  message: "the webhook's signing secret no longer exists: set a new secret on the rule",
                  retryable: false
                })
              ),
            StoreError: () =>
              Effect.fail(
                new DeliveryFailed({
                  message: "could not read the webhook's signing secret (store failure)",
                  retryable: true
                })
              )
          })
        )

  const post = (url: string, headers: Record<string, string>, body: string) =>
    Effect.tryPromise({
      try: async (signal): Promise<Answer> => {
        const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal })
        const location = response.headers.get("location")
        if (response.status >= 200 && response.status < 300) {
          // A receiver's success body means nothing to us; dropping it frees the connection.
          await response.body?.cancel()
          return { status: response.status, body: "", location }
        }
        return { status: response.status, body: await readSome(response, 2048), location }
      },
      catch: (error) =>
        new DeliveryFailed({
          message: `could not reach the webhook: ${networkReason(error)}`,
          retryable: true
        })
    }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new DeliveryFailed({
            message: `the webhook did not answer within ${Duration.format(timeout)}`,
            retryable: true
          })
      })
    )

  const deliver: TypedSink["deliver"] = ({ id, orgId, message, destination }) =>
    Effect.gen(function* () {
      const webhook = destinationAs(destination, "webhook")
      if (webhook === null) return yield* wrongType(destination)
      const problem = urlProblem(webhook.url, options)
      if (problem !== null) return yield* new DeliveryFailed({ message: `url ${problem}`, retryable: false })
      // Asked on every attempt: DNS answers change, and so may the deployment's policy.
      yield* guard.check(webhook.url).pipe(
        Effect.mapError((e) =>
          e.reason === "ssrf_blocked"
            ? new DeliveryFailed({
                message: `the webhook address is not allowed: ${e.message}`,
                retryable: false
              })
            : new DeliveryFailed({
                message: `could not check the webhook address: ${e.message}`,
                retryable: true
              })
        )
      )
      const secret = yield* secretFor(orgId, webhook.secretRef)
      const body = JSON.stringify(WebhookPayload.make({ id, message }))
      const timestamp = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "user-agent": userAgent,
        "webhook-id": id,
        "webhook-timestamp": String(timestamp)
      }
      if (secret !== null) headers["webhook-signature"] = sign(secret, id, timestamp, body)
      const answer = yield* post(webhook.url, headers, body)
      yield* outcome(answer, webhook.url)
    })

  const validate: TypedSink["validate"] = (orgId, destination) =>
    Effect.gen(function* () {
      const webhook = destinationAs(destination, "webhook")
      if (webhook === null) return [{ field: "type", message: "not a webhook destination" }]
      const problem = urlProblem(webhook.url, options)
      if (problem !== null) return [{ field: "url", message: problem }]
      const errors: Array<FieldError> = []
      const checked = yield* Effect.either(guard.check(webhook.url))
      if (checked._tag === "Left") errors.push({ field: "url", message: checked.left.message })
      if (webhook.secretRef != null) {
        // Also keeps a rule from pointing at another organization's secret.
        const found = yield* secrets.get(orgId, webhook.secretRef).pipe(
          Effect.as(true),
          Effect.catchTag("SecretNotFound", () => Effect.succeed(false))
        )
        if (!found) errors.push({ field: "secretRef", message: "no signing secret with this reference" })
      }
      return errors
    })

  return { type: "webhook", deliver, validate }
}

/** The webhook sink over the `AddressGuard` and `SecretStore` in context. */
export const make = (options: Options = {}): Effect.Effect<TypedSink, never, AddressGuard | SecretStore> =>
  Effect.map(Effect.all([AddressGuard, SecretStore]), ([guard, secrets]) =>
    fromServices(guard, secrets, options)
  )
