/**
 * Coverage of one MCP server (SPEC §6): which tools of its current catalog are exercised by
 * tests, which are monitored, which arguments and enum values were exercised, and which error
 * paths were seen.
 *
 * Rules:
 * - The window is the calls of the `RUN_WINDOW` (50) most recent runs of the server's
 *   workflows; at most `TOOL_LIMIT` (100) tools are considered — the first by name.
 * - A tool is covered when a call in the window succeeded (reached the server, no `isError`, no
 *   transport error) — in any phase, since setup/teardown calls exercise the tool just as well —
 *   or when a workflow names it exactly in `toolPolicy.allowedTools` (and `deniedTools` does not
 *   take it back). Globs and open policies cover nothing. Paused workflows count: their policy
 *   still declares what they test.
 * - Argument coverage counts every call that reached the server, failed or not: sending an
 *   argument exercises it whatever the answer.
 * - Monitored: tools called by an active monitor, in any of its steps.
 */
import { Effect, Option, Schema } from "effect"
import type { Caller } from "./domain/Audit.js"
import type { Tool } from "./domain/Catalog.js"
import { Timestamp } from "./domain/Common.js"
import type { Monitor } from "./domain/Monitor.js"
import type { Workflow } from "./domain/Workflow.js"
import type { ForbiddenRole, NotFound, StoreError } from "./Errors.js"
import { orNotFound } from "./internal/notFound.js"
import { MonitorStore } from "./ports/MonitorStore.js"
import { type RecentToolCall, RunStore, type ToolCallRecord } from "./ports/RunStore.js"
import { ServerStore } from "./ports/ServerStore.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Roles from "./Roles.js"
import * as ToolPolicy from "./ToolPolicy.js"

/** How many of the most recent runs count (SPEC §6). */
export const RUN_WINDOW = 50
/** How many tools of the catalog are considered at most (SPEC §6). */
export const TOOL_LIMIT = 100

export const CoverageVia = Schema.Literal("tool_policy", "runs")
export type CoverageVia = typeof CoverageVia.Type

/** A workflow covering a tool; `name` is `null` when the workflow is no longer listed. */
export const CoveringWorkflow = Schema.Struct({
  workflowId: Schema.String,
  name: Schema.NullOr(Schema.String),
  via: Schema.Array(CoverageVia)
})
export type CoveringWorkflow = typeof CoveringWorkflow.Type

export const CallRef = Schema.Struct({ runId: Schema.String, callId: Schema.String, at: Timestamp })
export type CallRef = typeof CallRef.Type

export const CoveredTool = Schema.Struct({
  tool: Schema.String,
  workflows: Schema.Array(CoveringWorkflow),
  /** The most recent successful call in the window; `null` when only a tool policy covers it. */
  lastSuccessfulCall: Schema.NullOr(CallRef)
})
export type CoveredTool = typeof CoveredTool.Type

export const MonitoredTool = Schema.Struct({
  tool: Schema.String,
  monitors: Schema.Array(Schema.Struct({ monitorId: Schema.String, name: Schema.String }))
})
export type MonitoredTool = typeof MonitoredTool.Type

/** Values of an enum property seen in calls and not seen, both in the schema's order. */
export const EnumCoverage = Schema.Struct({
  property: Schema.String,
  seen: Schema.Array(Schema.Unknown),
  unseen: Schema.Array(Schema.Unknown)
})
export type EnumCoverage = typeof EnumCoverage.Type

/** Which top-level input properties of a tool were exercised by calls in the window. */
export const ArgumentCoverage = Schema.Struct({
  tool: Schema.String,
  /** Calls of the tool in the window that reached the server. */
  calls: Schema.Int,
  exercised: Schema.Array(Schema.String),
  unexercised: Schema.Array(Schema.String),
  enums: Schema.Array(EnumCoverage)
})
export type ArgumentCoverage = typeof ArgumentCoverage.Type

/** A tool seen returning `isError: true` in the window. */
export const ErrorPath = Schema.Struct({
  tool: Schema.String,
  count: Schema.Int,
  lastSeenAt: Timestamp,
  lastCall: CallRef
})
export type ErrorPath = typeof ErrorPath.Type

/** The coverage report of one server (SPEC §6); every list is ordered by tool name. */
export const CoverageReport = Schema.Struct({
  /** Covered over considered tools, 0–100 with one decimal; `null` when there are no tools. */
  percentage: Schema.NullOr(Schema.Number),
  /** Tools in the current catalog. */
  totalTools: Schema.Int,
  /** Tools the report is about: the first `TOOL_LIMIT` by name. */
  consideredTools: Schema.Int,
  truncated: Schema.Boolean,
  /** Runs in the window that made at least one call. */
  runsWithCalls: Schema.Int,
  covered: Schema.Array(CoveredTool),
  uncovered: Schema.Array(Schema.String),
  monitored: Schema.Array(MonitoredTool),
  arguments: Schema.Array(ArgumentCoverage),
  errorPaths: Schema.Array(ErrorPath)
})
export type CoverageReport = typeof CoverageReport.Type

/** Inputs of `compute`, as the stores return them. */
export interface CoverageInput {
  /** The server's current catalog. */
  readonly tools: ReadonlyArray<Tool>
  /** The server's workflows. */
  readonly workflows: ReadonlyArray<Workflow>
  /** Tool calls of the server's most recent runs; only the `RUN_WINDOW` newest runs count. */
  readonly calls: ReadonlyArray<ToolCallRecord>
  /** The server's monitors; only active ones count. */
  readonly monitors: ReadonlyArray<Monitor>
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const reachedServer = (call: RecentToolCall) => !call.refused
const succeeded = (call: RecentToolCall) => !call.refused && !call.isError && call.error === null

/** Computes the coverage report from a catalog, workflows, recent calls and monitors. */
export const compute = (input: CoverageInput): CoverageReport => {
  const sorted = [...input.tools].sort((a, b) => byName(a.name, b.name))
  const considered = sorted.slice(0, TOOL_LIMIT)
  const names = new Set(considered.map((tool) => tool.name))
  const windowed = inWindow(input.calls)
  const calls = windowed.filter((record) => names.has(record.call.name))
  const workflowNames = new Map(input.workflows.map((w) => [w.id, w.spec.name]))

  // tool → workflow id → how it covers the tool
  const covering = new Map<string, Map<string, Set<CoverageVia>>>()
  const addCovering = (tool: string, workflowId: string, via: CoverageVia) => {
    const perTool = covering.get(tool) ?? new Map<string, Set<CoverageVia>>()
    covering.set(tool, perTool)
    const set = perTool.get(workflowId) ?? new Set<CoverageVia>()
    perTool.set(workflowId, set)
    set.add(via)
  }
  for (const workflow of input.workflows) {
    for (const name of ToolPolicy.coveringNames(workflow.spec.toolPolicy)) {
      if (names.has(name)) addCovering(name, workflow.id, "tool_policy")
    }
  }

  const lastSuccess = new Map<string, CallRef>()
  const errors = new Map<string, { count: number; last: CallRef }>()
  for (const { runId, workflowId, call } of calls) {
    const ref: CallRef = { runId, callId: call.id, at: call.startedAt }
    if (succeeded(call)) {
      addCovering(call.name, workflowId, "runs")
      const prev = lastSuccess.get(call.name)
      if (prev === undefined || ref.at.getTime() > prev.at.getTime()) lastSuccess.set(call.name, ref)
    }
    if (call.isError && reachedServer(call)) {
      const prev = errors.get(call.name)
      if (prev === undefined) errors.set(call.name, { count: 1, last: ref })
      else {
        prev.count++
        if (ref.at.getTime() > prev.last.at.getTime()) prev.last = ref
      }
    }
  }

  const covered: CoveredTool[] = []
  const uncovered: string[] = []
  for (const tool of considered) {
    const perTool = covering.get(tool.name)
    if (perTool === undefined) {
      uncovered.push(tool.name)
      continue
    }
    const workflows = [...perTool]
      .map(([workflowId, via]) => ({
        workflowId,
        name: workflowNames.get(workflowId) ?? null,
        via: (["tool_policy", "runs"] as const).filter((v) => via.has(v))
      }))
      .sort(
        (a, b) => byName(a.name ?? a.workflowId, b.name ?? b.workflowId) || byName(a.workflowId, b.workflowId)
      )
    covered.push({ tool: tool.name, workflows, lastSuccessfulCall: lastSuccess.get(tool.name) ?? null })
  }

  const callsByTool = new Map<string, RecentToolCall[]>()
  for (const { call } of calls) {
    if (!reachedServer(call)) continue
    const list = callsByTool.get(call.name) ?? []
    callsByTool.set(call.name, list)
    list.push(call)
  }

  return {
    percentage: considered.length === 0 ? null : Math.round((covered.length / considered.length) * 1000) / 10,
    totalTools: sorted.length,
    consideredTools: considered.length,
    truncated: sorted.length > considered.length,
    runsWithCalls: new Set(windowed.map((record) => record.runId)).size,
    covered,
    uncovered,
    monitored: monitored(considered, input.monitors),
    arguments: considered.map((tool) => argumentCoverage(tool, callsByTool.get(tool.name) ?? [])),
    errorPaths: considered.flatMap((tool) => {
      const e = errors.get(tool.name)
      return e === undefined
        ? []
        : [{ tool: tool.name, count: e.count, lastSeenAt: e.last.at, lastCall: e.last }]
    })
  }
}

/**
 * Keeps the calls of the `RUN_WINDOW` most recent runs. The store already limits them; doing it
 * here too keeps the rule true for any caller. Runs without a start time count as oldest.
 */
const inWindow = (records: ReadonlyArray<ToolCallRecord>): ReadonlyArray<ToolCallRecord> => {
  const started = new Map<string, number>()
  for (const r of records) {
    if (!started.has(r.runId)) started.set(r.runId, r.runStartedAt?.getTime() ?? Number.NEGATIVE_INFINITY)
  }
  if (started.size <= RUN_WINDOW) return records
  const keep = new Set(
    [...started]
      .sort((a, b) => b[1] - a[1] || 0)
      .slice(0, RUN_WINDOW)
      .map(([runId]) => runId)
  )
  return records.filter((r) => keep.has(r.runId))
}

const monitored = (considered: ReadonlyArray<Tool>, monitors: ReadonlyArray<Monitor>): MonitoredTool[] => {
  const byTool = new Map<string, Map<string, string>>()
  for (const monitor of monitors) {
    if (monitor.state !== "active") continue
    for (const name of [monitor.toolName, ...monitor.nextSteps.map((step) => step.toolName)]) {
      const perTool = byTool.get(name) ?? new Map<string, string>()
      byTool.set(name, perTool)
      perTool.set(monitor.id, monitor.name)
    }
  }
  return considered.flatMap((tool) => {
    const perTool = byTool.get(tool.name)
    if (perTool === undefined) return []
    const list = [...perTool].map(([monitorId, name]) => ({ monitorId, name }))
    return [{ tool: tool.name, monitors: list.sort((a, b) => byName(a.name, b.name)) }]
  })
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** JSON with sorted keys, so equal values compare equal whatever their key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]])
        )
      : v
  ) ?? "undefined"

/** Allowed values of a property schema: `enum`, `const`, or `anyOf`/`oneOf` made only of `const`s. */
const enumValues = (schema: unknown): ReadonlyArray<unknown> | undefined => {
  if (!isRecord(schema)) return undefined
  if (Array.isArray(schema.enum)) return schema.enum
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key]
    if (Array.isArray(options) && options.length > 0 && options.every((o) => isRecord(o) && "const" in o)) {
      return options.map((o) => (o as { const: unknown }).const)
    }
  }
  return undefined
}

const argumentCoverage = (tool: Tool, calls: ReadonlyArray<RecentToolCall>): ArgumentCoverage => {
  const properties = isRecord(tool.inputSchema.properties) ? tool.inputSchema.properties : {}
  const args = calls.map((call) => call.arguments).filter(isRecord)
  const exercised: string[] = []
  const unexercised: string[] = []
  const enums: EnumCoverage[] = []
  for (const [property, schema] of Object.entries(properties)) {
    const values = args
      .filter((a) => Object.hasOwn(a, property) && a[property] !== undefined)
      .map((a) => a[property])
    ;(values.length > 0 ? exercised : unexercised).push(property)

    // An array of enum values (`items.enum`) exercises each element it carries.
    const direct = enumValues(schema)
    const items = direct === undefined && isRecord(schema) ? enumValues(schema.items) : undefined
    const allowed = direct ?? items
    if (allowed === undefined) continue
    const sent = new Set(
      (items === undefined ? values : values.flatMap((v) => (Array.isArray(v) ? v : [v]))).map(canonical)
    )
    enums.push({
      property,
      seen: allowed.filter((v) => sent.has(canonical(v))),
      unseen: allowed.filter((v) => !sent.has(canonical(v)))
    })
  }
  return { tool: tool.name, calls: calls.length, exercised, unexercised, enums }
}

/** The coverage report of a server of the caller's organization (any role). */
export const report = (
  caller: Caller,
  mcpServerId: string
): Effect.Effect<
  CoverageReport,
  NotFound | ForbiddenRole | StoreError,
  ServerStore | WorkflowStore | RunStore | MonitorStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.read")
    const servers = yield* ServerStore
    yield* servers.getServer(caller.orgId, mcpServerId).pipe(orNotFound("mcp_server", mcpServerId))
    const [workflowStore, runStore, monitorStore] = yield* Effect.all([WorkflowStore, RunStore, MonitorStore])
    const { catalog, workflows, calls, monitors } = yield* Effect.all(
      {
        catalog: servers.latestCatalog(caller.orgId, mcpServerId),
        workflows: workflowStore.listWorkflows(caller.orgId, { mcpServerId }),
        calls: runStore.recentToolCalls(caller.orgId, mcpServerId, RUN_WINDOW),
        monitors: monitorStore.listMonitors(caller.orgId, { mcpServerId })
      },
      { concurrency: "unbounded" }
    )
    return compute({
      tools: Option.match(catalog, { onNone: () => [], onSome: (c) => c.tools }),
      workflows,
      calls,
      monitors
    })
  }).pipe(
    Effect.withSpan("Coverage.report", {
      attributes: { "armature.org_id": caller.orgId, "armature.mcp_server_id": mcpServerId }
    })
  )
