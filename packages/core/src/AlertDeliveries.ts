/**
 * Alert deliveries (SPEC §7, `/alerts`): the outbox of an organization as people read it —
 * newest first, each message with the rule and target it is about, the kind of alert, where it
 * goes (never a secret) and how its delivery went. Shared by the REST API and the MCP API.
 */
import { Effect, Schema } from "effect"
import { AlertTarget, type Destination, type OutboxMessage } from "./domain/Alert.js"
import type { Caller } from "./domain/Audit.js"
import { Id, Timestamp } from "./domain/Common.js"
import type { ForbiddenRole, StoreError, ValidationFailed } from "./Errors.js"
import * as Pages from "./Pages.js"
import { AlertStore } from "./ports/AlertStore.js"
import { encodeRunCursor } from "./ports/RunStore.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

/**
 * `failed` is a pending message whose last attempt failed (it will be retried); `pending` one
 * that no attempt has failed yet; `dead` one that gave up. Each message has exactly one.
 */
export const DeliveryStatus = Schema.Literal("pending", "delivered", "failed", "dead")
export type DeliveryStatus = typeof DeliveryStatus.Type

/** The message kinds, plus `drift` for a rule firing on a drift event (`drift_breaking`, `drift_suspicious`). */
export const DeliveryKind = Schema.Literal("firing", "recovery", "reminder", "incident", "drift")
export type DeliveryKind = typeof DeliveryKind.Type

/** A destination's type and its fields, without anything that may be a secret. */
export const DestinationView = Schema.Struct(
  { type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

export const DeliveryView = Schema.Struct({
  id: Id,
  /** Null once the rule is deleted (its queued messages are still delivered). */
  ruleId: Schema.NullOr(Id),
  ruleName: Schema.String,
  target: Schema.NullOr(Schema.Struct({ ...AlertTarget.fields, name: Schema.NullOr(Schema.String) })),
  destination: DestinationView,
  kind: DeliveryKind,
  subject: Schema.String,
  status: DeliveryStatus,
  attempts: Schema.Int,
  lastError: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  /** When the next attempt is due; null once delivered or dead. */
  nextAttemptAt: Schema.NullOr(Timestamp),
  deliveredAt: Schema.NullOr(Timestamp)
})
export type DeliveryView = typeof DeliveryView.Type

export const ListInput = Schema.Struct({
  status: Schema.optional(DeliveryStatus),
  ruleId: Schema.optional(Id),
  limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 50 }),
  cursor: Schema.optional(Schema.String)
})
export type ListRequest = typeof ListInput.Encoded

export const statusOf = (m: OutboxMessage): DeliveryStatus =>
  m.status === "pending" && m.attempts > 0 && m.lastError !== null ? "failed" : m.status

// Plugin destinations are stored as their sinks take them; names like these may hold credentials.
const credentialField = /key|token|secret|passw|auth|signature|credential/i

/** A destination without secrets: built-in ones hold none (a webhook's secret is only referenced). */
export const destinationView = (d: Destination): typeof DestinationView.Type => {
  if (d.type === "email" || d.type === "slack" || d.type === "webhook") return d
  return Object.fromEntries(
    Object.entries(d).filter(([key]) => key === "type" || !credentialField.test(key))
  ) as typeof DestinationView.Type
}

/** How a stored message reads in the list. */
export const view = (m: OutboxMessage, ruleTarget?: AlertTarget): DeliveryView => {
  const status = statusOf(m)
  const target =
    m.message.target ??
    (ruleTarget === undefined ? null : { ...ruleTarget, name: m.message.objectName || null })
  return {
    id: m.id,
    ruleId: m.ruleId,
    ruleName: m.message.ruleName,
    target,
    destination: destinationView(m.destination),
    kind: m.message.outcome.startsWith("drift_") ? "drift" : m.message.kind,
    subject: m.message.subject,
    status,
    attempts: m.attempts,
    lastError: m.lastError,
    createdAt: m.createdAt,
    nextAttemptAt: status === "pending" || status === "failed" ? m.nextAttemptAt : null,
    deliveredAt: m.deliveredAt
  }
}

/**
 * Deliveries of the caller's organization, newest first, filtered by status and rule, a page at
 * a time (follow `nextCursor` until it is null); the store filters and pages.
 */
export const list = (
  caller: Caller,
  request: ListRequest = {}
): Effect.Effect<
  { readonly items: ReadonlyArray<DeliveryView>; readonly nextCursor: string | null },
  ForbiddenRole | ValidationFailed | StoreError,
  AlertStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.read")
    const { status, ruleId, limit, cursor } = yield* decode(ListInput)(request)
    const after = yield* Pages.position(cursor)
    const store = yield* AlertStore
    // One more than a page, to know whether another follows.
    const found = yield* store.pageOutbox(caller.orgId, {
      ...(status === undefined ? {} : { status: status === "failed" ? "pending" : status }),
      ...(status === "failed" ? { retrying: true } : status === "pending" ? { retrying: false } : {}),
      ...(ruleId === undefined ? {} : { ruleId }),
      ...(after === undefined ? {} : { after: { createdAt: after.sortAt, id: after.id } }),
      limit: limit + 1
    })
    const page = found.slice(0, limit)
    // Messages written before `target` was part of them name it through their rule, if it still exists.
    const rules = page.some((m) => m.message.target === undefined)
      ? new Map((yield* store.listRules(caller.orgId)).map((r) => [r.id, r.target]))
      : new Map<string, AlertTarget>()
    const last = page.at(-1)
    return {
      items: page.map((m) => view(m, m.ruleId === null ? undefined : rules.get(m.ruleId))),
      nextCursor:
        found.length > limit && last !== undefined
          ? encodeRunCursor({ sortAt: last.createdAt, id: last.id })
          : null
    }
  })
