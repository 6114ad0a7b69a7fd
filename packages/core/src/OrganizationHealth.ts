/**
 * `get_organization_health` (SPEC §9.1): the state of an organization at a glance, for an agent
 * deciding what to look at first.
 *
 * - Pass rate per workflow over the last 7 days by the Clock (`WINDOW_DAYS`): pass / (pass +
 *   partial + fail); `error` runs are left out of the denominator; `null` when no run was graded.
 *   Counted by the store (`passCounts`), never by reading runs one by one.
 * - A workflow is failing when its latest terminal run in the window is `fail`, `partial` or
 *   `error`; workflows without a terminal run in the window are not judged (`lastStatus: null`).
 * - Monitors are counted once each, by the first that applies: `paused` (state), `muted` (until
 *   unmuted, or until a `mutedUntil` still ahead), then
 *   by the outcome of the latest check — `healthy` (pass), `degraded`, `failing` (fail),
 *   `erroring` (error) — or `pending` when never checked. Degraded, failing and erroring ones are
 *   also listed.
 * - A server has drift while a breaking drift of its catalog history is unresolved (see
 *   `catalogHistory.unresolvedDrift`: ended by a restore or by a catalog that no longer breaks
 *   against the version before the drift).
 * - Coverage per server is `Coverage.compute` over the same inputs as the coverage report.
 */
import { Duration, Effect, Schema } from "effect"
import * as Coverage from "./Coverage.js"
import type { Caller } from "./domain/Audit.js"
import { ToolChange } from "./domain/Catalog.js"
import { Timestamp } from "./domain/Common.js"
import { ServerState } from "./domain/McpServer.js"
import type { Monitor } from "./domain/Monitor.js"
import { TerminalStatus } from "./domain/Run.js"
import { WorkflowState } from "./domain/Workflow.js"
import type { ForbiddenRole, StoreError } from "./Errors.js"
import * as Grading from "./Grading.js"
import { HISTORY_DEPTH, unresolvedDrift } from "./internal/catalogHistory.js"
import { now } from "./internal/clock.js"
import { isMuted } from "./internal/mutes.js"
import { MonitorStore } from "./ports/MonitorStore.js"
import { RunStore } from "./ports/RunStore.js"
import { ServerStore } from "./ports/ServerStore.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Roles from "./Roles.js"

/** The pass-rate window, in days (SPEC §9.1: 7-day pass rate). */
export const WINDOW_DAYS = 7

export const WorkflowHealth = Schema.Struct({
  workflowId: Schema.String,
  name: Schema.String,
  state: WorkflowState,
  mcpServerId: Schema.String,
  /** Fraction 0–1 of graded runs that passed; `null` when no run in the window was graded. */
  passRate: Schema.NullOr(Schema.Number),
  pass: Schema.Int,
  partial: Schema.Int,
  fail: Schema.Int,
  /** Runs that could not complete: shown, never counted against the pass rate. */
  error: Schema.Int,
  lastRunAt: Schema.NullOr(Timestamp),
  lastStatus: Schema.NullOr(TerminalStatus)
})
export type WorkflowHealth = typeof WorkflowHealth.Type

export const FailingWorkflow = Schema.Struct({
  workflowId: Schema.String,
  name: Schema.String,
  state: WorkflowState,
  lastStatus: Schema.Literal("fail", "partial", "error"),
  lastRunAt: Timestamp,
  /** The run to pass to `diagnose_run`. */
  lastRunId: Schema.NullOr(Schema.String)
})
export type FailingWorkflow = typeof FailingWorkflow.Type

export const MonitorHealthState = Schema.Literal(
  "healthy",
  "degraded",
  "failing",
  "erroring",
  "pending",
  "paused",
  "muted"
)
export type MonitorHealthState = typeof MonitorHealthState.Type

export const MonitorCounts = Schema.Struct({
  total: Schema.Int,
  healthy: Schema.Int,
  degraded: Schema.Int,
  failing: Schema.Int,
  erroring: Schema.Int,
  pending: Schema.Int,
  paused: Schema.Int,
  muted: Schema.Int
})
export type MonitorCounts = typeof MonitorCounts.Type

export const MonitorAttention = Schema.Struct({
  monitorId: Schema.String,
  name: Schema.String,
  mcpServerId: Schema.String,
  toolName: Schema.String,
  state: MonitorHealthState,
  lastCheckedAt: Schema.NullOr(Timestamp)
})

export const ServerDrift = Schema.Struct({
  mcpServerId: Schema.String,
  name: Schema.String,
  /** The last catalog version before the drift. */
  baselineVersion: Schema.Int,
  /** The catalog version that brought it. */
  sinceVersion: Schema.Int,
  latestVersion: Schema.Int,
  detectedAt: Timestamp,
  /** Breaking changes of the latest catalog against the baseline. */
  changes: Schema.Array(ToolChange)
})
export type ServerDrift = typeof ServerDrift.Type

export const ServerCoverage = Schema.Struct({
  mcpServerId: Schema.String,
  name: Schema.String,
  state: ServerState,
  catalogVersion: Schema.NullOr(Schema.Int),
  /** Covered over considered tools, 0–100 with one decimal; `null` when the catalog has no tools. */
  percentage: Schema.NullOr(Schema.Number),
  coveredTools: Schema.Int,
  consideredTools: Schema.Int,
  uncovered: Schema.Array(Schema.String)
})
export type ServerCoverage = typeof ServerCoverage.Type

/** The result of `get_organization_health`. */
export const OrganizationHealth = Schema.Struct({
  generatedAt: Timestamp,
  /** Start of the pass-rate window. */
  since: Timestamp,
  windowDays: Schema.Int,
  /** Over every workflow's graded runs in the window, 0–1; `null` when none. */
  passRate: Schema.NullOr(Schema.Number),
  workflows: Schema.Array(WorkflowHealth),
  failingWorkflows: Schema.Array(FailingWorkflow),
  monitors: Schema.Struct({ counts: MonitorCounts, attention: Schema.Array(MonitorAttention) }),
  serversWithDrift: Schema.Array(ServerDrift),
  coverage: Schema.Array(ServerCoverage)
})
export type OrganizationHealth = typeof OrganizationHealth.Type

/** The health state of a monitor at `at`; see the module comment for the order of the rules. */
export const monitorState = (
  monitor: Pick<Monitor, "state" | "muted" | "mutedUntil" | "lastOutcome">,
  at: Date
): MonitorHealthState => {
  if (monitor.state === "paused") return "paused"
  if (isMuted(monitor, at)) return "muted"
  switch (monitor.lastOutcome) {
    case null:
      return "pending"
    case "pass":
      return "healthy"
    case "degraded":
      return "degraded"
    case "fail":
      return "failing"
    case "error":
      return "erroring"
  }
}

/** Monitor counts by state at `at`, and the monitors someone should look at. */
export const monitorSummary = (
  monitors: ReadonlyArray<Monitor>,
  at: Date
): OrganizationHealth["monitors"] => {
  const counts = {
    total: monitors.length,
    healthy: 0,
    degraded: 0,
    failing: 0,
    erroring: 0,
    pending: 0,
    paused: 0,
    muted: 0
  }
  const attention: Array<typeof MonitorAttention.Type> = []
  for (const monitor of monitors) {
    const state = monitorState(monitor, at)
    counts[state]++
    if (state === "degraded" || state === "failing" || state === "erroring") {
      attention.push({
        monitorId: monitor.id,
        name: monitor.name,
        mcpServerId: monitor.mcpServerId,
        toolName: monitor.toolName,
        state,
        lastCheckedAt: monitor.lastCheckedAt
      })
    }
  }
  const order = { erroring: 0, failing: 1, degraded: 2 } as Record<MonitorHealthState, number>
  attention.sort(
    (a, b) => order[a.state] - order[b.state] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  )
  return { counts, attention }
}

const byName = <A extends { readonly name: string }>(a: A, b: A) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0

/** The organization's health (`get_organization_health`, any role). */
export const get = (
  caller: Caller
): Effect.Effect<
  OrganizationHealth,
  ForbiddenRole | StoreError,
  RunStore | WorkflowStore | MonitorStore | ServerStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "get_organization_health")
    const [runStore, workflowStore, monitorStore, serverStore] = yield* Effect.all([
      RunStore,
      WorkflowStore,
      MonitorStore,
      ServerStore
    ])
    const generatedAt = yield* now
    const since = new Date(generatedAt.getTime() - Duration.toMillis(Duration.days(WINDOW_DAYS)))
    const { counts, workflows, monitors, servers } = yield* Effect.all(
      {
        counts: runStore.passCounts(caller.orgId, since),
        workflows: workflowStore.listWorkflows(caller.orgId),
        monitors: monitorStore.listMonitors(caller.orgId),
        servers: serverStore.listServers(caller.orgId)
      },
      { concurrency: "unbounded" }
    )
    const countsOf = new Map(counts.map((c) => [c.workflowId, c]))
    const workflowHealth = workflows
      .map((w): WorkflowHealth => {
        const c = countsOf.get(w.id)
        const tally = {
          pass: c?.pass ?? 0,
          partial: c?.partial ?? 0,
          fail: c?.fail ?? 0,
          error: c?.error ?? 0
        }
        const last = c?.lastStatus
        return {
          workflowId: w.id,
          name: w.spec.name,
          state: w.state,
          mcpServerId: w.spec.mcpServerId,
          passRate: Grading.passRate(tally),
          ...tally,
          lastRunAt: c?.lastRunAt ?? null,
          lastStatus:
            last === "pass" || last === "fail" || last === "partial" || last === "error" ? last : null
        }
      })
      .sort(byName)
    const total = workflowHealth.reduce(
      (t, w) => ({ pass: t.pass + w.pass, partial: t.partial + w.partial, fail: t.fail + w.fail, error: 0 }),
      { pass: 0, partial: 0, fail: 0, error: 0 }
    )

    const failing = yield* Effect.forEach(
      workflowHealth.filter((w) => w.lastStatus !== null && w.lastStatus !== "pass" && w.lastRunAt !== null),
      (w) =>
        // The newest run with the latest terminal status is that latest terminal run.
        Effect.map(
          runStore.searchRuns(caller.orgId, {
            workflowId: w.workflowId,
            status: w.lastStatus!,
            after: since,
            limit: 1
          }),
          (page): FailingWorkflow => ({
            workflowId: w.workflowId,
            name: w.name,
            state: w.state,
            lastStatus: w.lastStatus as FailingWorkflow["lastStatus"],
            lastRunAt: w.lastRunAt!,
            lastRunId: page.items[0]?.runId ?? null
          })
        ),
      { concurrency: 4 }
    )

    const perServer = yield* Effect.forEach(
      [...servers].sort(byName),
      (server) =>
        Effect.map(
          Effect.all(
            [
              serverStore.listCatalogVersions(caller.orgId, server.id, HISTORY_DEPTH),
              runStore.recentToolCalls(caller.orgId, server.id, Coverage.RUN_WINDOW)
            ],
            { concurrency: "unbounded" }
          ),
          ([versions, calls]) => {
            const report = Coverage.compute({
              tools: versions[0]?.tools ?? [],
              workflows: workflows.filter((w) => w.spec.mcpServerId === server.id),
              calls,
              monitors: monitors.filter((m) => m.mcpServerId === server.id)
            })
            const coverage: ServerCoverage = {
              mcpServerId: server.id,
              name: server.name,
              state: server.state,
              catalogVersion: versions[0]?.version ?? null,
              percentage: report.percentage,
              coveredTools: report.covered.length,
              consideredTools: report.consideredTools,
              uncovered: report.uncovered
            }
            const open = unresolvedDrift(versions)
            const drift: ServerDrift | null =
              open === null
                ? null
                : { mcpServerId: server.id, name: server.name, ...open, changes: [...open.changes] }
            return { coverage, drift }
          }
        ),
      { concurrency: 4 }
    )

    return {
      generatedAt,
      since,
      windowDays: WINDOW_DAYS,
      passRate: Grading.passRate(total),
      workflows: workflowHealth,
      failingWorkflows: failing,
      monitors: monitorSummary([...monitors].sort(byName), generatedAt),
      serversWithDrift: perServer.flatMap((s) => (s.drift === null ? [] : [s.drift])),
      coverage: perServer.map((s) => s.coverage)
    }
  })
