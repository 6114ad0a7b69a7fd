import { Schema } from "effect"
import { Id, Timestamp } from "./Common.js"
import { Role } from "./Organization.js"

/** Who acted: an API key (and the member it belongs to), or the system itself. */
export const Actor = Schema.Struct({
  keyId: Schema.NullOr(Schema.String),
  memberId: Schema.NullOr(Id),
  role: Role
})
export type Actor = typeof Actor.Type

export const AuditEntry = Schema.Struct({
  id: Id,
  orgId: Id,
  at: Timestamp,
  actor: Actor,
  /** The operation, named as in the permission table (`workflows.update`, `run_workflow_now`). */
  action: Schema.String,
  targetId: Schema.NullOr(Schema.String),
  /** `telemetry.intent` of an MCP tool call. */
  intent: Schema.NullOr(Schema.String),
  /** `ok` or the ApiError code. */
  outcome: Schema.String,
  /** The arguments of an MCP tool call, credentials redacted and long values cut; else null. */
  arguments: Schema.NullOr(Schema.Unknown),
  /** How long the call took, in milliseconds; null where nothing was timed. */
  durationMs: Schema.NullOr(Schema.Number)
})
export type AuditEntry = typeof AuditEntry.Type

/** Who is calling a use case, in which organization. Every use case takes one. */
export interface Caller {
  readonly orgId: string
  readonly actor: Actor
  /**
   * The deployment's operator: a config file applied from the command line, or the CLI itself.
   * Only the operator may set a command that starts a process (stdio servers); no request of
   * an API, MCP or Slack caller ever carries this.
   */
  readonly operator?: boolean
  /**
   * The organization's workspace is read-only (its subscription lapsed, `Plans.lapsed`): set where
   * the request is authenticated, checked by `Plans.ensureWritable` where the request enters (REST
   * refuses every method but GET/HEAD, the MCP API every tool that writes). It is checked at the
   * edge rather than inside `Roles.authorize`, because the edge sees every write of its interface
   * by one rule (an HTTP method, a tool's operation) — no use case can forget it — while the
   * use cases' error types name `forbidden_role` alone. Background work (schedules, monitor
   * checks) asks `Plans.schedulesPaused` instead.
   */
  readonly readOnly?: boolean
}
