import { Schema } from "effect"
import { Id, JsonObject, maxStoredInt, Name, Timestamp } from "./Common.js"
import { MonitorAssertions } from "./MonitorAssertion.js"

/** One call of a (multi-step) monitor; arguments may reference earlier results (`{{steps.0.structuredContent.id}}`). */
export const MonitorStep = Schema.Struct({
  toolName: Schema.String.pipe(Schema.minLength(1)),
  arguments: Schema.optionalWith(JsonObject, { default: () => ({}) }),
  /** Checks on this step's result (see MonitorAssertion.ts); a failed one makes the check `fail`. */
  assertions: Schema.optionalWith(MonitorAssertions, { default: () => [] })
})
export type MonitorStep = typeof MonitorStep.Type

/** The state a monitor's spec can ask for: checked on schedule, or paused. */
export const MonitorState = Schema.Literal("active", "paused")
export type MonitorState = typeof MonitorState.Type

/**
 * The state of a stored monitor: a spec's `MonitorState`, or `archived` — a deleted monitor. An
 * archived monitor is never checked again, takes no edit, is left out of lists (unless asked for
 * by state), counts toward no quota and frees its name; it and its checks stay readable by id.
 * No spec can ask for it: only deleting a monitor archives it.
 */
export const StoredMonitorState = Schema.Literal("active", "paused", "archived")
export type StoredMonitorState = typeof StoredMonitorState.Type

export const CheckOutcome = Schema.Literal("pass", "degraded", "fail", "error")
export type CheckOutcome = typeof CheckOutcome.Type

/** The editable fields of a monitor, with the SPEC's defaults. */
export const MonitorSpec = Schema.Struct({
  name: Name,
  mcpServerId: Id,
  authProfileId: Schema.optionalWith(Schema.NullOr(Id), { default: () => null }),
  toolName: Schema.String.pipe(Schema.minLength(1)),
  arguments: Schema.optionalWith(JsonObject, { default: () => ({}) }),
  /** Checks on the first step's result; each of `nextSteps` has its own. */
  assertions: Schema.optionalWith(MonitorAssertions, { default: () => [] }),
  /** Further calls after the first, for multi-step monitors; step 0 is `toolName`/`arguments`. */
  nextSteps: Schema.optionalWith(Schema.Array(MonitorStep), { default: () => [] }),
  /** The SDK accepts any interval of at least 10 s; the dashboard offers 60/300/900/3600. */
  intervalSeconds: Schema.optionalWith(Schema.Int.pipe(Schema.between(10, maxStoredInt)), {
    default: () => 300
  }),
  timeoutMs: Schema.optionalWith(Schema.Int.pipe(Schema.between(100, 600_000)), { default: () => 30_000 }),
  degradedAboveMs: Schema.optionalWith(Schema.NullOr(Schema.Int.pipe(Schema.between(1, maxStoredInt))), {
    default: () => null
  }),
  /**
   * A latency budget: a check slower than this fails (not only `degraded`), everywhere. At least
   * `degradedAboveMs` when both are set (checked by the use cases).
   */
  failAboveMs: Schema.optionalWith(Schema.NullOr(Schema.Int.pipe(Schema.between(1, maxStoredInt))), {
    default: () => null
  }),
  /** Retries on transport errors only. */
  retries: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 2)), { default: () => 1 }),
  state: Schema.optionalWith(MonitorState, { default: () => "active" as const }),
  muted: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /**
   * A monitor calls its tools every interval, so tools annotated `destructiveHint: true` are
   * monitored only when this says so (the same rule as a workflow's tool policy).
   */
  allowDestructive: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
export type MonitorSpec = typeof MonitorSpec.Type
export type MonitorSpecInput = typeof MonitorSpec.Encoded

export const Monitor = Schema.Struct({
  id: Id,
  orgId: Id,
  ...MonitorSpec.fields,
  state: Schema.optionalWith(StoredMonitorState, { default: () => "active" as const }),
  /** Scheduling state lives in the store: the next time this monitor is due. */
  nextCheckAt: Timestamp,
  lastOutcome: Schema.NullOr(CheckOutcome),
  lastCheckedAt: Schema.NullOr(Timestamp),
  /**
   * Muted for a while (`Monitors.muteFor`): checks run but alert nobody until this instant. A
   * mute in the past has no effect, so nothing needs to clear it; `muted` mutes until unmuted.
   */
  mutedUntil: Schema.optionalWith(Schema.NullOr(Timestamp), { default: () => null }),
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Monitor = typeof Monitor.Type

/** One execution of a monitor. */
export const MonitorCheck = Schema.Struct({
  id: Id,
  orgId: Id,
  monitorId: Id,
  /** The due time this check was for; (monitorId, scheduledAt) is unique. */
  scheduledAt: Timestamp,
  startedAt: Timestamp,
  outcome: CheckOutcome,
  latencyMs: Schema.Number,
  error: Schema.NullOr(Schema.String),
  /** A bounded excerpt of the result content. */
  resultExcerpt: Schema.NullOr(Schema.String),
  attempts: Schema.Int
})
export type MonitorCheck = typeof MonitorCheck.Type

/** Latency percentiles and success rate of a monitor over a window. */
export const MonitorStats = Schema.Struct({
  window: Schema.Literal("1h", "24h", "7d"),
  checks: Schema.Int,
  successRate: Schema.NullOr(Schema.Number),
  p50: Schema.NullOr(Schema.Number),
  p95: Schema.NullOr(Schema.Number),
  p99: Schema.NullOr(Schema.Number)
})
export type MonitorStats = typeof MonitorStats.Type
