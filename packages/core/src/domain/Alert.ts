import { Schema } from "effect"
import { Id, Timestamp } from "./Common.js"

export const AlertTarget = Schema.Struct({
  type: Schema.Literal("workflow", "monitor", "mcp_server"),
  id: Id
})
export type AlertTarget = typeof AlertTarget.Type

/** The destination types Armature's own sinks handle; any other type belongs to a plugin sink. */
export const builtInDestinationTypes = ["email", "slack", "webhook"] as const

export const EmailDestination = Schema.Struct({
  type: Schema.Literal("email"),
  address: Schema.String.pipe(Schema.pattern(/^[^\s@]+@[^\s@]+$/))
})

/** A channel id (`C…`) or user id (`U…`) of the organization's Slack installation. */
export const SlackDestination = Schema.Struct({
  type: Schema.Literal("slack"),
  channel: Schema.String.pipe(Schema.minLength(1))
})

/** Signed per Standard Webhooks under the secret referenced by `secretRef` (none: unsigned). */
export const WebhookDestination = Schema.Struct({
  type: Schema.Literal("webhook"),
  url: Schema.String.pipe(Schema.pattern(/^https?:\/\//)),
  secretRef: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
})

/**
 * A destination of a plugin sink (PagerDuty, Teams…): its own `type` and whatever fields its
 * sink reads. Core stores it as given; the registered sink validates it (`AlertSink.validate`).
 */
export const PluginDestination = Schema.Struct(
  {
    type: Schema.String.pipe(
      Schema.pattern(/^[a-z][a-z0-9_-]{0,39}$/),
      Schema.filter((t) => !(builtInDestinationTypes as ReadonlyArray<string>).includes(t))
    )
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

export const Destination = Schema.Union(
  EmailDestination,
  SlackDestination,
  WebhookDestination,
  PluginDestination
)
export type Destination = typeof Destination.Type

/** A destination of one of Armature's own sinks. */
export type BuiltInDestination =
  | typeof EmailDestination.Type
  | typeof SlackDestination.Type
  | typeof WebhookDestination.Type

/**
 * The destination as the built-in type `type`, or null. (A plugin's `type` is any string, so a
 * plain `d.type === "email"` does not narrow the union.)
 */
export const destinationAs = <T extends BuiltInDestination["type"]>(
  destination: Destination,
  type: T
): Extract<BuiltInDestination, { type: T }> | null =>
  destination.type === type ? (destination as Extract<BuiltInDestination, { type: T }>) : null

/**
 * Outcomes and events a rule can fire on. `drift_breaking` and `drift_suspicious` are catalog
 * drifts of a server: a change that breaks callers, and new tool-poisoning findings.
 */
export const AlertOn = Schema.Literal(
  "fail",
  "partial",
  "error",
  "degraded",
  "drift_breaking",
  "drift_suspicious"
)
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
  /**
   * Muted for a while (`Alerting.muteRuleFor`): the rule keeps its firing state but sends nothing
   * until this instant. A mute in the past has no effect, so nothing needs to clear it.
   */
  mutedUntil: Schema.optionalWith(Schema.NullOr(Timestamp), { default: () => null }),
  createdAt: Timestamp
})
export type AlertRule = typeof AlertRule.Type

/** What a sink delivers: rendered by the alerts package per destination. */
export const AlertMessage = Schema.Struct({
  kind: Schema.Literal("firing", "recovery", "reminder", "incident"),
  /** The rule that sent it (the first rule of a grouped incident), so a reply can act on it (mute). */
  ruleId: Schema.optional(Id),
  ruleName: Schema.String,
  subject: Schema.String,
  objectName: Schema.String,
  outcome: Schema.String,
  summary: Schema.String,
  link: Schema.NullOr(Schema.String),
  at: Timestamp,
  /** What the alert is about, for sinks that show it (Slack fields, webhook payload). */
  target: Schema.optional(
    Schema.Struct({
      type: Schema.Literal("workflow", "monitor", "mcp_server"),
      id: Id,
      name: Schema.String
    })
  ),
  /** The MCP server of the target (the target itself for a server rule). */
  server: Schema.optional(Schema.Struct({ id: Id, name: Schema.String })),
  /** The tool a monitor checks. */
  toolName: Schema.optional(Schema.String),
  /** When the rule started firing: for reminders and recoveries, how long it has been failing. */
  firingSince: Schema.optional(Timestamp),
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
