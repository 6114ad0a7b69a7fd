/**
 * A plugin alert sink: PagerDuty through its Events API v2, for destinations
 * `{ type: "pagerduty", routingKey: "<32-character integration key>" }`. Nothing in core or in
 * `@armature/alerts` knows about it: it is a `TypedSink` handed to the router beside the built-ins.
 *
 * A firing, reminder or incident triggers a PagerDuty alert; a recovery resolves it. All messages
 * of one rule and target share a `dedup_key`, so PagerDuty keeps them on one incident.
 */
import { createHash } from "node:crypto"
import type { TypedSink } from "@armature/alerts"
import { AlertSinks } from "@armature/alerts"
import { type AlertMessage, DeliveryFailed, type FieldError } from "@armature/core"
import { Duration, Effect } from "effect"

export interface Options {
  /** `https://events.pagerduty.com/v2/enqueue` by default (EU accounts: `events.eu.pagerduty.com`). */
  readonly eventsUrl?: string
  /** Per request; 10 s by default. */
  readonly timeoutMs?: number
}

const routingKeyPattern = /^[A-Za-z0-9]{32}$/

/** The destination's problems, as field errors relative to it. */
const problems = (fields: { readonly [field: string]: unknown }): Array<FieldError> =>
  typeof fields.routingKey === "string" && routingKeyPattern.test(fields.routingKey)
    ? []
    : [
        {
          field: "routingKey",
          message: "must be the 32-character integration key of a PagerDuty service (Events API v2)"
        }
      ]

const severities: Record<string, string> = { error: "critical", fail: "error" }

/** One PagerDuty alert per rule and target: the key every message about it carries. */
const dedupKey = (m: AlertMessage) =>
  `armature-${createHash("sha256")
    .update(JSON.stringify([m.ruleName, m.target?.type ?? null, m.target?.id ?? m.objectName]))
    .digest("hex")
    .slice(0, 32)}`

/** The Events API v2 body for one message. */
export const event = (routingKey: string, m: AlertMessage) => ({
  routing_key: routingKey,
  event_action: m.kind === "recovery" ? "resolve" : "trigger",
  dedup_key: dedupKey(m),
  payload: {
    summary: m.subject.slice(0, 1024),
    source: m.server?.name ?? m.objectName,
    severity: m.kind === "incident" ? "critical" : (severities[m.outcome] ?? "warning"),
    timestamp: m.at.toISOString(),
    component: m.objectName,
    group: m.server?.name,
    class: m.outcome,
    custom_details: { rule: m.ruleName, outcome: m.outcome, summary: m.summary, tool: m.toolName }
  },
  client: "Armature",
  ...(m.link === null ? {} : { client_url: m.link, links: [{ href: m.link, text: "Open in Armature" }] })
})

/** The PagerDuty sink. */
export const make = (options: Options = {}): TypedSink => {
  // The operator chose this URL, not a user, so it needs no AddressGuard check (webhooks do).
  const url = options.eventsUrl ?? "https://events.pagerduty.com/v2/enqueue"
  const timeout = Duration.millis(options.timeoutMs ?? 10_000)
  return {
    type: "pagerduty",
    validate: (_orgId, destination) => Effect.succeed(problems(AlertSinks.fieldsOf(destination))),
    deliver: ({ message, destination }) =>
      Effect.gen(function* () {
        const fields = AlertSinks.fieldsOf(destination)
        const invalid = problems(fields)
        if (invalid.length > 0) {
          return yield* new DeliveryFailed({ message: `routingKey ${invalid[0]!.message}`, retryable: false })
        }
        const response = yield* Effect.tryPromise({
          try: (signal) =>
            fetch(url, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(event(fields.routingKey as string, message)),
              signal
            }),
          catch: () => new DeliveryFailed({ message: "could not reach PagerDuty", retryable: true })
        }).pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              new DeliveryFailed({ message: "PagerDuty did not answer in time", retryable: true })
          })
        )
        if (response.ok) return
        const said = (yield* Effect.promise(() => response.text().catch(() => ""))).slice(0, 200)
        return yield* new DeliveryFailed({
          message: `PagerDuty answered ${response.status}: ${said}`,
          // 400 is an invalid event (a wrong key, say); 429 and 5xx pass.
          retryable: response.status === 429 || response.status >= 500
        })
      })
  }
}
