import { Schema } from "effect"
import { Id, JsonObject, Name, Timestamp } from "./Common.js"

/** A plain-language statement the judge grades. Only `required` criteria decide the roll-up. */
export const Criterion = Schema.Struct({
  id: Schema.String.pipe(Schema.minLength(1)),
  text: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(2000)),
  required: Schema.optionalWith(Schema.Boolean, { default: () => true })
})
export type Criterion = typeof Criterion.Type

const required = { required: Schema.optionalWith(Schema.Boolean, { default: () => true }) }
const toolName = Schema.String.pipe(Schema.minLength(1))

/** Deterministic checks over a trace (SPEC §4.3); evaluated without an LLM. */
export const Assertion = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("tool_called"),
    tool: toolName,
    /** Partial match: every given key must deep-equal the call's argument. */
    args: Schema.optional(JsonObject),
    /** Exact number of matching calls; absent = at least one. */
    times: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
    ...required
  }),
  Schema.Struct({ type: Schema.Literal("tool_not_called"), tool: toolName, ...required }),
  Schema.Struct({
    type: Schema.Literal("tool_order"),
    tools: Schema.Array(toolName).pipe(Schema.minItems(2)),
    ...required
  }),
  Schema.Struct({ type: Schema.Literal("no_tool_errors"), ...required }),
  Schema.Struct({
    type: Schema.Literal("result_contains"),
    /** A tool's result; absent = the final answer. */
    tool: Schema.optional(toolName),
    text: Schema.String.pipe(Schema.minLength(1)),
    ...required
  }),
  Schema.Struct({
    type: Schema.Literal("result_matches"),
    tool: Schema.optional(toolName),
    pattern: Schema.String.pipe(Schema.minLength(1)),
    flags: Schema.optional(Schema.String.pipe(Schema.pattern(/^[imsu]*$/))),
    ...required
  }),
  Schema.Struct({
    type: Schema.Literal("result_json_path"),
    tool: toolName,
    path: Schema.String.pipe(Schema.startsWith("$")),
    equals: Schema.optional(Schema.Unknown),
    exists: Schema.optional(Schema.Boolean),
    ...required
  }),
  Schema.Struct({
    type: Schema.Literal("max_tool_calls"),
    max: Schema.Int.pipe(Schema.nonNegative()),
    ...required
  }),
  Schema.Struct({
    type: Schema.Literal("max_latency_ms"),
    max: Schema.Number.pipe(Schema.positive()),
    scope: Schema.optionalWith(Schema.Literal("per_call", "total"), { default: () => "per_call" as const }),
    tool: Schema.optional(toolName),
    ...required
  }),
  Schema.Struct({ type: Schema.Literal("max_tokens"), max: Schema.Int.pipe(Schema.positive()), ...required }),
  Schema.Struct({
    type: Schema.Literal("max_cost_usd"),
    max: Schema.Number.pipe(Schema.positive()),
    ...required
  })
)
export type Assertion = typeof Assertion.Type
export const AssertionType = Schema.Literal(
  "tool_called",
  "tool_not_called",
  "tool_order",
  "no_tool_errors",
  "result_contains",
  "result_matches",
  "result_json_path",
  "max_tool_calls",
  "max_latency_ms",
  "max_tokens",
  "max_cost_usd"
)
export type AssertionType = typeof AssertionType.Type

/** Which tools the tester agent is offered; entries are exact names or globs (`orders_*`). */
export const ToolPolicy = Schema.Struct({
  /** Absent = every tool (an open policy). */
  allowedTools: Schema.optional(Schema.Array(Schema.String.pipe(Schema.minLength(1)))),
  deniedTools: Schema.optional(Schema.Array(Schema.String.pipe(Schema.minLength(1)))),
  /** `false` hides tools annotated `destructiveHint: true`. */
  allowDestructive: Schema.optional(Schema.Boolean)
})
export type ToolPolicy = typeof ToolPolicy.Type

/** Five-field cron in an IANA time zone; a workflow with `schedule: null` runs only on demand. */
export const Schedule = Schema.Struct({
  cron: Schema.String,
  timezone: Schema.optionalWith(Schema.String, { default: () => "UTC" })
})
export type Schedule = typeof Schedule.Type

export const Limits = Schema.Struct({
  maxSteps: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 200)), { default: () => 20 }),
  maxToolCalls: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 500)), { default: () => 25 }),
  timeoutSeconds: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 3600)), { default: () => 300 }),
  /** Per tool call; reset by progress notifications, up to `callTimeoutCapSeconds`. */
  callTimeoutSeconds: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 3600)), { default: () => 60 }),
  callTimeoutCapSeconds: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 3600)), { default: () => 300 })
})
export type Limits = typeof Limits.Type

/** A deterministic tool call run before (`setup`) or after (`teardown`) the agent. */
export const ToolStep = Schema.Struct({
  tool: toolName,
  arguments: Schema.optionalWith(JsonObject, { default: () => ({}) })
})
export type ToolStep = typeof ToolStep.Type

export const RetryPolicy = Schema.Struct({
  /** Retry once a run that ended `error` with `worker_lost`. */
  retryOnWorkerLost: Schema.optionalWith(Schema.Boolean, { default: () => true })
})
export type RetryPolicy = typeof RetryPolicy.Type

/** Model ids look like `provider:model` (`openai:gpt-5-mini`). */
export const ModelId = Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9_.-]*:[^\s]+$/i))

/** The editable content of a workflow; every edit stores a new immutable version of it. */
export const WorkflowSpec = Schema.Struct({
  name: Name,
  description: Schema.optionalWith(Schema.String, { default: () => "" }),
  mcpServerId: Id,
  authProfileId: Schema.optionalWith(Schema.NullOr(Id), { default: () => null }),
  prompt: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(50_000)),
  criteria: Schema.Array(Criterion).pipe(Schema.minItems(1)),
  assertions: Schema.optionalWith(Schema.Array(Assertion), { default: () => [] }),
  testerModels: Schema.Array(ModelId).pipe(Schema.minItems(1), Schema.maxItems(10)),
  judgeModel: ModelId,
  schedule: Schema.optionalWith(Schema.NullOr(Schedule), { default: () => null }),
  toolPolicy: Schema.optionalWith(ToolPolicy, { default: () => ({}) }),
  limits: Schema.optionalWith(Limits, { default: () => Schema.decodeSync(Limits)({}) }),
  setup: Schema.optionalWith(Schema.Array(ToolStep), { default: () => [] }),
  teardown: Schema.optionalWith(Schema.Array(ToolStep), { default: () => [] }),
  /** Values for `{{vars.NAME}}` in the prompt. */
  variables: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({})
  }),
  retryPolicy: Schema.optionalWith(RetryPolicy, { default: () => ({ retryOnWorkerLost: true }) })
})
export type WorkflowSpec = typeof WorkflowSpec.Type
/** A workflow spec as users write it: defaults may be left out. */
export type WorkflowSpecInput = typeof WorkflowSpec.Encoded

/**
 * `archived` is a deleted workflow: it fires nothing, takes no edit or run, is left out of lists
 * unless asked for, and its name is free again; it and its runs stay readable by id.
 */
export const WorkflowState = Schema.Literal("active", "paused", "archived")
export type WorkflowState = typeof WorkflowState.Type

export const WorkflowVersion = Schema.Struct({
  id: Id,
  orgId: Id,
  workflowId: Id,
  version: Schema.Int.pipe(Schema.positive()),
  spec: WorkflowSpec,
  /** API key or member that made the edit; `null` for the system. */
  createdBy: Schema.NullOr(Schema.String),
  createdAt: Timestamp
})
export type WorkflowVersion = typeof WorkflowVersion.Type

/** A workflow: its current spec (copied from the current version) plus identity and state. */
export const Workflow = Schema.Struct({
  id: Id,
  orgId: Id,
  currentVersionId: Id,
  version: Schema.Int,
  state: WorkflowState,
  spec: WorkflowSpec,
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Workflow = typeof Workflow.Type
