/**
 * The JSON body of an alert webhook, version 1. Stable: every key is always present (`null` when
 * the alert does not know it), new keys may be added, and nothing is renamed, retyped or removed
 * without a new `version`. Receivers written in TypeScript can decode it with `AlertEvent`.
 */
import type { Delivery } from "@armature/core"
import { Schema } from "effect"
import { headline } from "./internal/wording.js"

/** The `type` of each kind of alert: `armature.alert.firing`, `….recovery`, `….reminder`, `….incident`. */
export const eventTypes = {
  firing: "armature.alert.firing",
  recovery: "armature.alert.recovery",
  reminder: "armature.alert.reminder",
  incident: "armature.alert.incident"
} as const

const IsoTime = Schema.String.annotations({ description: "ISO 8601 UTC, e.g. 2026-01-01T09:30:00.000Z" })

export const AlertData = Schema.Struct({
  kind: Schema.Literal("firing", "recovery", "reminder", "incident"),
  /** One line a person can read, e.g. "Workflow Weather check failed". */
  title: Schema.String,
  /** The subject line Armature uses everywhere (email subject, Slack notification). */
  subject: Schema.String,
  rule: Schema.Struct({ name: Schema.String }),
  /** The name of what the alert is about (workflow, monitor or server). */
  objectName: Schema.String,
  target: Schema.NullOr(
    Schema.Struct({
      type: Schema.Literal("workflow", "monitor", "mcp_server"),
      id: Schema.String,
      name: Schema.String
    })
  ),
  server: Schema.NullOr(Schema.Struct({ id: Schema.String, name: Schema.String })),
  tool: Schema.NullOr(Schema.String),
  /** `pass`, `fail`, `partial`, `error`, `degraded`, `drift_breaking`… (open-ended). */
  outcome: Schema.String,
  /** Error text, or the failing criteria with the judge's reasoning; may span lines. */
  summary: Schema.String,
  /** The run, monitor or server in Armature's dashboard. */
  link: Schema.NullOr(Schema.String),
  /** When the outcome was observed. */
  at: IsoTime,
  /** When the rule started firing (reminders and recoveries). */
  firingSince: Schema.NullOr(IsoTime),
  /** Set when a server's transport failure caused the alert. */
  incident: Schema.NullOr(Schema.Struct({ serverId: Schema.String, serverName: Schema.String }))
})

export const AlertEvent = Schema.Struct({
  /** Which kind of alert; also tells a receiver how to read `data`. */
  type: Schema.Literal(...Object.values(eventTypes)),
  /** The payload's format version; 1 for this schema. */
  version: Schema.Literal(1),
  /** The delivery id: equal to the `webhook-id` header and the same on every retry. */
  id: Schema.String,
  /** When the alert happened (not when this attempt was sent, so retries carry identical bodies). */
  timestamp: IsoTime,
  data: AlertData
})
export type AlertEvent = typeof AlertEvent.Type

/** The payload of one delivery. */
export const make = ({ id, message: m }: Pick<Delivery, "id" | "message">): AlertEvent => ({
  type: eventTypes[m.kind],
  version: 1,
  id,
  timestamp: m.at.toISOString(),
  data: {
    kind: m.kind,
    title: headline(m),
    subject: m.subject,
    rule: { name: m.ruleName },
    objectName: m.objectName,
    target: m.target === undefined ? null : { type: m.target.type, id: m.target.id, name: m.target.name },
    server: m.server === undefined ? null : { id: m.server.id, name: m.server.name },
    tool: m.toolName ?? null,
    outcome: m.outcome,
    summary: m.summary,
    link: m.link,
    at: m.at.toISOString(),
    firingSince: m.firingSince?.toISOString() ?? null,
    incident:
      m.incident === undefined ? null : { serverId: m.incident.serverId, serverName: m.incident.serverName }
  }
})
