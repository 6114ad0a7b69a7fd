import { type Run, type RunSummary, type ToolCall, TraceEvent } from "@armature/core"
import { Schema } from "effect"
import { date, dateOrNull, decodeJson, fromJson, json, jsonNullable } from "./sql.js"

type Row = Record<string, any>

/** A run without its tool calls, keyed by column: nested documents stay values. */
const runRecord = (run: Run) => ({
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
  trace: json(run.trace),
  criteria: json(run.criteria),
  assertions: json(run.assertions),
  usage: json(run.usage),
  server_info: jsonNullable(run.serverInfo),
  error: jsonNullable(run.error)
})

/**
 * Runs travel to the database as one JSON document per statement, expanded there by
 * `jsonb_to_recordset`: one parameter however many rows, and one round trip for a run with all
 * its tool calls. These are the record types of that expansion.
 */
export const runRecordType = `id text, org_id text, workflow_id text, workflow_version_id text,
  workflow_version integer, workflow_name text, mcp_server_id text, tester_model text,
  judge_model text, trigger text, reason text, idempotency_key text, baseline_run_id text,
  sample_group_id text, fire_at timestamptz, attempt integer, status text, created_at timestamptz,
  started_at timestamptz, finished_at timestamptz, duration_ms double precision, final_answer text,
  trace jsonb, criteria jsonb, assertions jsonb, usage jsonb, cost_usd double precision,
  server_info jsonb, catalog_hash text, error jsonb`

/** The columns of `runs` written from a run record. */
export const runColumns = `id, org_id, workflow_id, workflow_version_id, workflow_version, workflow_name,
  mcp_server_id, tester_model, judge_model, trigger, reason, idempotency_key, baseline_run_id,
  sample_group_id, fire_at, attempt, status, created_at, started_at, finished_at, duration_ms,
  final_answer, trace, criteria, assertions, usage, cost_usd, server_info, catalog_hash, error`

export const callRecordType = `run_id text, seq integer, call_id text, phase text, step integer,
  name text, arguments jsonb, content jsonb, structured_content jsonb, is_error boolean,
  refused boolean, error text, started_at timestamptz, duration_ms double precision`

/** The columns of `tool_calls` written from a call record (joined with its run for org and server). */
export const callColumns = `run_id, seq, org_id, server_id, call_id, phase, step, name, arguments,
  content, structured_content, is_error, refused, error, started_at, duration_ms`

/** The JSON records of runs (JSON keeps dates as ISO strings, which PostgreSQL reads back). */
export const runRecords = (runs: ReadonlyArray<Run>): string => JSON.stringify(runs.map(runRecord))

/** The JSON records of the runs' tool calls, numbered in call order. */
export const callRecords = (runs: ReadonlyArray<Run>): string =>
  JSON.stringify(
    runs.flatMap((run) =>
      run.toolCalls.map((call, seq) => ({
        run_id: run.id,
        seq,
        call_id: call.id,
        phase: call.phase,
        step: call.step,
        name: call.name,
        arguments: call.arguments ?? null,
        content: call.content,
        structured_content: call.structuredContent ?? null,
        is_error: call.isError,
        refused: call.refused,
        error: call.error,
        started_at: call.startedAt,
        duration_ms: call.durationMs
      }))
    )
  )

/**
 * A run's tool calls as one JSON array, built in the database: one value per run instead of a
 * row per call, which is much cheaper to transfer and decode.
 */
export const callsJson = (runId: string) => `(SELECT coalesce(json_agg(json_build_object(
    'id', c.call_id, 'phase', c.phase, 'step', c.step, 'name', c.name, 'arguments', c.arguments,
    'content', c.content, 'structuredContent', c.structured_content, 'isError', c.is_error,
    'refused', c.refused, 'error', c.error, 'startedAt', c.started_at, 'durationMs', c.duration_ms)
    ORDER BY c.seq), '[]') FROM tool_calls c WHERE c.run_id = ${runId})`

/** A tool call from `callsJson`; an absent `structuredContent` stays absent. */
export const toToolCall = (o: Row): ToolCall => {
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
  return o.structuredContent === null ? call : { ...call, structuredContent: o.structuredContent }
}

/** The tool calls of a row that selected `callsJson(...) AS calls`. */
export const toToolCalls = (value: unknown): ReadonlyArray<ToolCall> =>
  (typeof value === "string" ? (JSON.parse(value) as Array<Row>) : (value as Array<Row>)).map(toToolCall)

const decodeTrace = decodeJson(Schema.Array(TraceEvent))

/** A stored run with its tool calls. */
export const toRun = (r: Row, toolCalls: ReadonlyArray<ToolCall>): Run => ({
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

/** The list view of a run. */
export const toSummary = (r: Row): RunSummary => ({
  runId: r.id,
  workflowId: r.workflow_id,
  workflowName: r.workflow_name,
  status: r.status,
  trigger: r.trigger,
  testerModel: r.tester_model,
  startedAt: dateOrNull(r.started_at),
  finishedAt: dateOrNull(r.finished_at)
})

/** The columns a run list reads: never the JSON documents. */
export const summaryColumns =
  "id, workflow_id, workflow_name, status, trigger, tester_model, started_at, finished_at, sort_at"

/** An opaque keyset cursor: the list order position (sort time, id) of the last item. */
export const encodeCursor = (sortAt: Date, id: string): string =>
  Buffer.from(JSON.stringify([sortAt.toISOString(), id])).toString("base64url")

/** The position a cursor stands for, or `undefined` when it is not one of ours. */
export const decodeCursor = (cursor: string): { readonly sortAt: Date; readonly id: string } | undefined => {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))
    if (Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string") {
      const sortAt = new Date(value[0])
      if (!Number.isNaN(sortAt.getTime())) return { sortAt, id: value[1] }
    }
  } catch {
    // not a cursor
  }
  return undefined
}

/** `LIKE` pattern for a substring search (lower-cased in SQL, like `search_text`). */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
