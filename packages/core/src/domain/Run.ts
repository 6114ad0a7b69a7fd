import { Schema } from "effect"
import { ServerInfo } from "./Catalog.js"
import { Id, Timestamp } from "./Common.js"
import { AssertionType } from "./Workflow.js"

export const RunStatus = Schema.Literal("pending", "running", "pass", "fail", "partial", "error")
export type RunStatus = typeof RunStatus.Type
export const TerminalStatus = Schema.Literal("pass", "fail", "partial", "error")
export type TerminalStatus = typeof TerminalStatus.Type
export const isTerminal = (status: RunStatus): status is TerminalStatus =>
  status !== "pending" && status !== "running"

export const Trigger = Schema.Literal("scheduled", "manual", "api", "ci")
export type Trigger = typeof Trigger.Type

export const Verdict = Schema.Literal("pass", "partial", "fail")
export type Verdict = typeof Verdict.Type

/** Why a run could not complete (status `error`). */
export const RunErrorCode = Schema.Literal(
  "server_unreachable",
  "auth_rejected",
  "transport_failure",
  "model_failure",
  "model_not_configured",
  "judge_failed",
  "timeout",
  "worker_lost",
  "internal_error"
)
export type RunErrorCode = typeof RunErrorCode.Type
export const RunError = Schema.Struct({ code: RunErrorCode, message: Schema.String })
export type RunError = typeof RunError.Type

/** One MCP tool call made during a run, as recorded (secrets already redacted). */
export const ToolCall = Schema.Struct({
  id: Schema.String,
  /** `setup` and `teardown` calls are deterministic; `agent` calls come from the tester model. */
  phase: Schema.Literal("setup", "agent", "teardown"),
  /** Model step that issued the call (0 for setup/teardown). */
  step: Schema.Int,
  name: Schema.String,
  arguments: Schema.Unknown,
  content: Schema.Array(Schema.Unknown),
  structuredContent: Schema.optionalWith(Schema.Unknown, { nullable: true }),
  isError: Schema.Boolean,
  /** Refused by the tool policy: never sent to the server. */
  refused: Schema.Boolean,
  /** Transport-level failure or timeout of the call, if any. */
  error: Schema.NullOr(Schema.String),
  startedAt: Timestamp,
  durationMs: Schema.Number
})
export type ToolCall = typeof ToolCall.Type

/** Everything that happened in a run besides the tool calls themselves. */
export const TraceEvent = Schema.Struct({
  id: Schema.String,
  at: Timestamp,
  type: Schema.Literal("message", "progress", "error", "policy_refusal", "step", "info"),
  /** `message`: system | user | assistant | tool. */
  role: Schema.optional(Schema.String),
  text: Schema.optional(Schema.String),
  /** The tool call this event belongs to, if any. */
  toolCallId: Schema.optional(Schema.String),
  data: Schema.optional(Schema.Unknown)
})
export type TraceEvent = typeof TraceEvent.Type

export const CriterionResult = Schema.Struct({
  criterionId: Schema.String,
  text: Schema.String,
  required: Schema.Boolean,
  verdict: Verdict,
  reasoning: Schema.String,
  /** Ids of tool calls or trace events that support the verdict. */
  evidence: Schema.Array(Schema.String)
})
export type CriterionResult = typeof CriterionResult.Type

export const AssertionResult = Schema.Struct({
  index: Schema.Int,
  type: AssertionType,
  required: Schema.Boolean,
  passed: Schema.Boolean,
  message: Schema.String,
  evidence: Schema.Array(Schema.String)
})
export type AssertionResult = typeof AssertionResult.Type

/** Tokens and cost of one model within a run (tester or judge). */
export const ModelUsage = Schema.Struct({
  model: Schema.String,
  role: Schema.Literal("tester", "judge"),
  inputTokens: Schema.Int,
  outputTokens: Schema.Int,
  costUsd: Schema.Number
})
export type ModelUsage = typeof ModelUsage.Type

/** One execution of one workflow version with one tester model. Immutable once terminal. */
export const Run = Schema.Struct({
  id: Id,
  orgId: Id,
  workflowId: Id,
  workflowVersionId: Id,
  workflowVersion: Schema.Int,
  workflowName: Schema.String,
  mcpServerId: Id,
  testerModel: Schema.String,
  judgeModel: Schema.String,
  trigger: Trigger,
  reason: Schema.NullOr(Schema.String),
  idempotencyKey: Schema.NullOr(Schema.String),
  baselineRunId: Schema.NullOr(Id),
  /** Runs dispatched together as samples of one request share this id (SPEC §3.4). */
  sampleGroupId: Schema.NullOr(Id),
  /** The scheduled fire time this run belongs to, for scheduled runs. */
  fireAt: Schema.NullOr(Timestamp),
  attempt: Schema.Int,
  status: RunStatus,
  createdAt: Timestamp,
  startedAt: Schema.NullOr(Timestamp),
  finishedAt: Schema.NullOr(Timestamp),
  durationMs: Schema.NullOr(Schema.Number),
  finalAnswer: Schema.NullOr(Schema.String),
  toolCalls: Schema.Array(ToolCall),
  trace: Schema.Array(TraceEvent),
  criteria: Schema.Array(CriterionResult),
  assertions: Schema.Array(AssertionResult),
  usage: Schema.Array(ModelUsage),
  costUsd: Schema.Number,
  serverInfo: Schema.NullOr(ServerInfo),
  catalogHash: Schema.NullOr(Schema.String),
  error: Schema.NullOr(RunError)
})
export type Run = typeof Run.Type

/** The list view of a run (SPEC §9.1 `search_runs`). */
export const RunSummary = Schema.Struct({
  runId: Id,
  workflowId: Id,
  workflowName: Schema.String,
  status: RunStatus,
  trigger: Trigger,
  testerModel: Schema.String,
  startedAt: Schema.NullOr(Timestamp),
  finishedAt: Schema.NullOr(Timestamp)
})
export type RunSummary = typeof RunSummary.Type

/** The list view of a run: what `search_runs`, `GET /runs` and dispatch results show. */
export const toRunSummary = (run: Run): RunSummary => ({
  runId: run.id,
  workflowId: run.workflowId,
  workflowName: run.workflowName,
  status: run.status,
  trigger: run.trigger,
  testerModel: run.testerModel,
  startedAt: run.startedAt,
  finishedAt: run.finishedAt
})
