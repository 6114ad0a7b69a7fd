import { type RecentToolCall, Run, type RunSummary, type ToolCall, TraceEvent } from "@armature/core"
import { Schema } from "effect"
import * as Column from "./columns.js"
import {
  date,
  dateOrNull,
  decodeJson,
  fromJson,
  json,
  jsonArray,
  jsonNullable,
  storable,
  stringify
} from "./sql.js"

/** A row of `runs` as the drivers return it (shared by `RunStore` and the mappers here). */
export const RunRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  workflow_id: Column.text,
  workflow_version_id: Column.text,
  workflow_version: Column.integer,
  workflow_name: Column.text,
  mcp_server_id: Column.text,
  tester_model: Column.text,
  judge_model: Column.text,
  trigger: Run.fields.trigger,
  reason: Column.nullable(Column.text),
  idempotency_key: Column.nullable(Column.text),
  baseline_run_id: Column.nullable(Column.text),
  sample_group_id: Column.nullable(Column.text),
  fire_at: Column.nullable(Column.timestamptz),
  attempt: Column.integer,
  status: Run.fields.status,
  created_at: Column.timestamptz,
  started_at: Column.nullable(Column.timestamptz),
  finished_at: Column.nullable(Column.timestamptz),
  sort_at: Column.timestamptz,
  search_text: Column.text,
  duration_ms: Column.nullable(Column.double),
  final_answer: Column.nullable(Column.text),
  trace: Column.json,
  criteria: Column.json,
  assertions: Column.json,
  usage: Column.json,
  cost_usd: Column.double,
  server_info: Column.json,
  catalog_hash: Column.nullable(Column.text),
  error: Column.json
})
export type RunRow = typeof RunRow.Type

/** A row of `run_tool_calls`: one run's tool calls as one JSON array (migration 0003). */
export const RunToolCallsRow = Schema.Struct({
  run_id: Column.text,
  org_id: Column.text,
  calls: Column.json
})
export type RunToolCallsRow = typeof RunToolCallsRow.Type

/** A run joined with its tool calls' row (`LEFT JOIN`: `calls` is NULL without one). */
export type RunWithCallsRow = RunRow & Pick<RunToolCallsRow, "calls">

/** A tool call as stored in `run_tool_calls.calls`: its JSON form, the instant a string. */
type StoredToolCall = typeof ToolCall.Encoded

/** Columns PostgreSQL computes (`GENERATED ALWAYS`): never written. */
type GeneratedColumns = "sort_at" | "search_text"

/** A run without its tool calls, keyed by column: nested documents stay values. */
const runRecord = (run: Run): Omit<RunRow, GeneratedColumns> => ({
  id: run.id,
  org_id: run.orgId,
  workflow_id: run.workflowId,
  workflow_version_id: run.workflowVersionId,
  workflow_version: run.workflowVersion,
  workflow_name: run.workflowName,
  mcp_server_id: run.mcpServerId,
  tester_model: run.testerModel,
  judge_model: run.judgeModel,
  trigger: run.trigger,
  reason: run.reason,
  idempotency_key: run.idempotencyKey,
  baseline_run_id: run.baselineRunId,
  sample_group_id: run.sampleGroupId,
  fire_at: run.fireAt,
  attempt: run.attempt,
  status: run.status,
  created_at: run.createdAt,
  started_at: run.startedAt,
  finished_at: run.finishedAt,
  duration_ms: run.durationMs,
  final_answer: run.finalAnswer,
  trace: run.trace,
  criteria: run.criteria,
  assertions: run.assertions,
  usage: run.usage,
  cost_usd: run.costUsd,
  server_info: run.serverInfo,
  catalog_hash: run.catalogHash,
  error: run.error
})

/** The columns of `runs` for one run as statement parameters (JSON documents serialized). */
export const runRow = (run: Run) => ({
  ...runRecord(run),
  // The free-text columns (`runRecords` maps the whole document).
  workflow_name: storable(run.workflowName),
  reason: storable(run.reason),
  idempotency_key: storable(run.idempotencyKey),
  final_answer: storable(run.finalAnswer),
  trace: json(run.trace),
  criteria: json(run.criteria),
  assertions: json(run.assertions),
  usage: json(run.usage),
  server_info: jsonNullable(run.serverInfo),
  error: jsonNullable(run.error)
})

/**
 * A tool call as stored in `run_tool_calls.calls`: the domain's own keys, with the fields listed
 * so that nothing else a caller's object carries is stored (JSON keeps the instant as an ISO
 * string and leaves out an absent `structuredContent`).
 */
const callDocument = (call: ToolCall) => ({
  id: call.id,
  phase: call.phase,
  step: call.step,
  name: call.name,
  arguments: call.arguments ?? null,
  content: call.content,
  structuredContent: call.structuredContent,
  isError: call.isError,
  refused: call.refused,
  error: call.error,
  startedAt: call.startedAt,
  durationMs: call.durationMs
})

/** A run's tool calls as stored, or `null` when it has none (no row is written then). */
const callsDocument = (run: Run) => (run.toolCalls.length === 0 ? null : run.toolCalls.map(callDocument))

/** A tool call's `RecentToolCall` fields as stored in `run_tool_calls.recent` (migration 0021). */
export type RecentCallTuple = readonly [
  id: string,
  name: string,
  arguments: unknown,
  isError: boolean,
  refused: boolean,
  error: string | null,
  startedAt: string
]

/** A run's tool calls as coverage reads them (`run_tool_calls.recent`), written with `calls`. */
const recentDocument = (run: Run) =>
  run.toolCalls.map((c) => [c.id, c.name, c.arguments ?? null, c.isError, c.refused, c.error, c.startedAt])

/** The `recent` column (or the reader's fallback, picked out of `calls`), one `RecentCallTuple` a call. */
export const toRecentCalls = (value: unknown): ReadonlyArray<RecentToolCall> =>
  jsonArray<RecentCallTuple>(value).map(([id, name, args, isError, refused, error, startedAt]) => ({
    id,
    name,
    arguments: args,
    isError,
    refused,
    error,
    startedAt: date(startedAt)
  }))

/**
 * Runs travel to the database as one JSON document per statement, the argument of
 * `armature_insert_runs` (migration 0003), which expands it with `json_to_recordset`: one
 * parameter however many runs, and one round trip for a run with all its tool calls. Each record
 * is keyed by column, with `calls`, the run's tool calls, and `recent` (or both null); JSON keeps dates as ISO
 * strings, which PostgreSQL reads back. A key the function's record type lacks is ignored, and a
 * column it expects but is missing reads as NULL: the round-trip tests of every field catch both.
 */
export const runRecords = (runs: ReadonlyArray<Run>): string =>
  stringify(
    runs.map((run) => {
      const record: Record<string, unknown> = runRecord(run)
      record.calls = callsDocument(run)
      record.recent = record.calls === null ? null : recentDocument(run)
      return record
    })
  )

/** A run's tool calls and their `recent` projection as `json` parameters, or null when it has none. */
export const callsParameters = (run: Run): { readonly calls: string; readonly recent: string } | null => {
  const calls = callsDocument(run)
  return calls === null ? null : { calls: stringify(calls), recent: stringify(recentDocument(run)) }
}

/** A stored tool call; an absent (or, from before 0003, null) `structuredContent` stays absent. */
export const toToolCall = (o: StoredToolCall): ToolCall => {
  const call: ToolCall = {
    id: o.id,
    phase: o.phase,
    step: o.step,
    name: o.name,
    arguments: o.arguments,
    content: o.content,
    isError: o.isError,
    refused: o.refused,
    error: o.error,
    startedAt: new Date(o.startedAt),
    durationMs: o.durationMs
  }
  return o.structuredContent === null || o.structuredContent === undefined
    ? call
    : { ...call, structuredContent: o.structuredContent }
}

/** The tool calls of a row that selected `run_tool_calls.calls` (NULL: the run has none). */
export const toToolCalls = (value: unknown): ReadonlyArray<ToolCall> =>
  jsonArray<StoredToolCall>(value).map(toToolCall)

const decodeTrace = decodeJson(Schema.Array(TraceEvent))

/** A stored run with its tool calls. */
export const toRun = (r: RunRow, toolCalls: ReadonlyArray<ToolCall>): Run => ({
  id: r.id,
  orgId: r.org_id,
  workflowId: r.workflow_id,
  workflowVersionId: r.workflow_version_id,
  workflowVersion: r.workflow_version,
  workflowName: r.workflow_name,
  mcpServerId: r.mcp_server_id,
  testerModel: r.tester_model,
  judgeModel: r.judge_model,
  trigger: r.trigger,
  reason: r.reason,
  idempotencyKey: r.idempotency_key,
  baselineRunId: r.baseline_run_id,
  sampleGroupId: r.sample_group_id,
  fireAt: dateOrNull(r.fire_at),
  attempt: r.attempt,
  status: r.status,
  createdAt: date(r.created_at),
  startedAt: dateOrNull(r.started_at),
  finishedAt: dateOrNull(r.finished_at),
  durationMs: r.duration_ms,
  finalAnswer: r.final_answer,
  toolCalls,
  // Trace events carry instants, which JSON holds as strings: revive them through the schema.
  trace: decodeTrace(r.trace),
  criteria: fromJson(r.criteria),
  assertions: fromJson(r.assertions),
  usage: fromJson(r.usage),
  costUsd: r.cost_usd,
  serverInfo: fromJson(r.server_info),
  catalogHash: r.catalog_hash,
  error: fromJson(r.error)
})

/** The columns a run list reads: never the JSON documents. */
const summaryKeys = [
  "id",
  "workflow_id",
  "workflow_name",
  "status",
  "trigger",
  "tester_model",
  "started_at",
  "finished_at",
  "sort_at"
] as const satisfies ReadonlyArray<keyof RunRow>

/** A run list's row: `summaryColumns` of `runs`. */
export type SummaryRow = Pick<RunRow, (typeof summaryKeys)[number]>

/** The list view of a run. */
export const toSummary = (r: SummaryRow): RunSummary => ({
  runId: r.id,
  workflowId: r.workflow_id,
  workflowName: r.workflow_name,
  status: r.status,
  trigger: r.trigger,
  testerModel: r.tester_model,
  startedAt: dateOrNull(r.started_at),
  finishedAt: dateOrNull(r.finished_at)
})

/** `summaryKeys` as a SELECT list. */
export const summaryColumns = summaryKeys.join(", ")

/** `LIKE` pattern for a substring search (lower-cased in SQL, like `search_text`). */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
