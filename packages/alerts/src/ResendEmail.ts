/**
 * Core's `EmailSender` through Resend (`resend` SDK). The SDK answers `{ data, error }` instead of
 * throwing on HTTP errors; this module turns an error into `DeliveryFailed`, retryable when a later
 * attempt can succeed (429, 5xx, network, timeout) and not when Resend refused the email itself.
 */
import { DeliveryFailed, EmailSender } from "@armature/core"
import { Config, ConfigError, Duration, Effect, Layer, Redacted } from "effect"
import { type ErrorResponse, Resend } from "resend"
import { networkReason } from "./internal/network.js"

export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** The sender, `alerts@example.com` or `Armature <alerts@example.com>`, on a domain verified in Resend. */
  readonly from: string
  /** `https://api.resend.com` by default (tests, proxies). */
  readonly baseUrl?: string | undefined
  /** Per request; 10 s by default. */
  readonly timeoutMs?: number | undefined
}

// 409 `concurrent_idempotent_requests`: an earlier attempt with the same key is still running,
// so a later one will see its result.
const retryableNames = new Set([
  "rate_limit_exceeded",
  "internal_server_error",
  "concurrent_idempotent_requests"
])

/** Classifies Resend's error answer; `hide` removes the API key should a message ever echo it. */
const failure = (error: ErrorResponse, hide: (text: string) => string): DeliveryFailed => {
  // The SDK hands back whatever JSON an error response held. A body that is not Resend's own (a
  // proxy or load balancer answering 502/503 while Resend is unreachable) has neither a status
  // nor a name: nothing says the email was refused, so a later attempt may well go through.
  const answer = error as Partial<Record<keyof ErrorResponse, unknown>>
  if (typeof answer.name !== "string" && typeof answer.statusCode !== "number") {
    return new DeliveryFailed({
      message: `Resend answered with an unexpected error: ${hide(JSON.stringify(error))}`.slice(0, 500),
      retryable: true
    })
  }
  const status = typeof answer.statusCode === "number" ? answer.statusCode : null
  const name = typeof answer.name === "string" ? answer.name : "error"
  // No status: the SDK could not get an answer at all (network, DNS, reset).
  const retryable = status === null || status === 429 || status >= 500 || retryableNames.has(name)
  const what =
    status === null ? "Resend could not be reached" : `Resend refused the email (${status} ${name})`
  const detail =
    typeof error.message === "string" && error.message.length > 0 ? `: ${hide(error.message)}` : ""
  return new DeliveryFailed({ message: `${what}${detail}`.slice(0, 500), retryable })
}

/** The sender. Dies when the key is empty: the SDK would fall back to the environment. */
export const make = (options: Options): Effect.Effect<EmailSender["Type"]> =>
  Effect.gen(function* () {
    const key = Redacted.value(options.apiKey)
    if (key.trim() === "") return yield* Effect.dieMessage("ResendEmail: the API key is empty")
    if (options.from.trim() === "") return yield* Effect.dieMessage("ResendEmail: the sender (from) is empty")
    // baseUrl always given, so the SDK never reads RESEND_BASE_URL from the environment.
    const resend = new Resend(key, {
      baseUrl: (options.baseUrl ?? "https://api.resend.com").replace(/\/+$/, "")
    })
    const hide = (text: string) => text.replaceAll(key, "[redacted]")
    const timeout = Duration.millis(options.timeoutMs ?? 10_000)
    return {
      send: (email) =>
        Effect.tryPromise({
          try: (signal) =>
            resend.emails.send(
              {
                from: options.from,
                to: [...email.to],
                subject: email.subject,
                html: email.html,
                text: email.text
              },
              {
                signal,
                ...(email.idempotencyKey === undefined ? {} : { idempotencyKey: email.idempotencyKey })
              }
            ),
          catch: (error) =>
            new DeliveryFailed({
              message: `Resend request failed: ${hide(networkReason(error))}`,
              retryable: true
            })
        }).pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              new DeliveryFailed({
                message: `Resend did not answer within ${Duration.format(timeout)}`,
                retryable: true
              })
          }),
          Effect.flatMap((answer) =>
            answer.error === null ? Effect.void : Effect.fail(failure(answer.error, hide))
          )
        )
    }
  })

/** Core's `EmailSender` through Resend. */
export const layer = (options: Options): Layer.Layer<EmailSender> => Layer.effect(EmailSender, make(options))

/**
 * `layer` with its options from configuration (a `Config.Wrap` of `Options`, under the
 * application's names); when that configuration is missing, nothing (invitations go unsent).
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Config.unwrap(config).pipe(
      Effect.map((options): Layer.Layer<never> => layer(options) as Layer.Layer<never>),
      Effect.catchIf(ConfigError.isMissingDataOnly, () => Effect.succeed(Layer.empty))
    )
  )
