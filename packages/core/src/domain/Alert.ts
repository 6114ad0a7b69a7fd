import { Schema } from "effect"
import { Id, Timestamp } from "./Common.js"

export const AlertTarget = Schema.Struct({
  type: Schema.Literal("workflow", "monitor", "mcp_server"),
  id: Id
})
export type AlertTarget = typeof AlertTarget.Type

export const Destination = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("email"),
    address: Schema.String.pipe(Schema.pattern(/^[^\s@]+@[^\s@]+$/))
  }),
  /** A channel id (`C…`) or user id (`U…`) of the organization's Slack installation. */
  Schema.Struct({ type: Schema.Literal("slack"), channel: Schema.String.pipe(Schema.minLength(1)) }),
  /** Signed with HMAC-SHA256 under the secret referenced by `secretRef`. */
  Schema.Struct({
    type: Schema.Literal("webhook"),
    url: Schema.String.pipe(Schema.pattern(/^https?:\/\//)),
    secretRef: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
  })
)
export type Destination = typeof Destination.Type

/** Outcomes and events a rule can fire on. */
export const AlertOn = Schema.Literal("fail", "partial", "error", "degraded", "drift_breaking")
export type AlertOn = typeof AlertOn.Type

export const AlertRule = Schema.Struct({
  id: Id,
  orgId: Id,
  name: Schema.String.pipe(Schema.minLength(1)),
  target: AlertTarget,
  destination: Destination,
  on: Schema.Array(AlertOn),
  notifyRecovery: Schema.Boolean,
  reminderMinutes: Schema.NullOr(Schema.Int.pipe(Schema.positive())),
  state: Schema.Literal("enabled", "paused"),
  firingSince: Schema.NullOr(Timestamp),
  lastFiredAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp
})
export type AlertRule = typeof AlertRule.Type

/** What a sink delivers: rendered by the alerts package per destination. */
export const AlertMessage = Schema.Struct({
  kind: Schema.Literal("firing", "recovery", "reminder", "incident"),
  ruleName: Schema.String,
  subject: Schema.String,
  objectName: Schema.String,
  outcome: Schema.String,
  summary: Schema.String,
  link: Schema.NullOr(Schema.String),
  at: Timestamp,
  /**
   * The MCP server whose transport failure caused this alert, so a dispatcher can group the
   * alerts of one server's monitors and workflows into one server incident per destination.
   */
  incident: Schema.optional(Schema.Struct({ serverId: Id, serverName: Schema.String }))
})
export type AlertMessage = typeof AlertMessage.Type

/** A durable outbox row, written in the same transaction as the result that caused it. */
export const OutboxMessage = Schema.Struct({
  id: Id,
  orgId: Id,
  ruleId: Schema.NullOr(Id),
  destination: Destination,
  message: AlertMessage,
  status: Schema.Literal("pending", "delivered", "dead"),
  attempts: Schema.Int,
  nextAttemptAt: Timestamp,
  lastError: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  deliveredAt: Schema.NullOr(Timestamp)
})
export type OutboxMessage = typeof OutboxMessage.Type
