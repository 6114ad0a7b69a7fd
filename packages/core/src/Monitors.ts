/**
 * Tool monitors (SPEC §5): scheduled single (or multi-step) tool calls without an LLM. Arguments
 * are validated against the tool's input schema when saved; the worker executes checks and
 * reports them through `recordCheck`, which stores the check, the monitor's last outcome and the
 * alert outbox rows in one transaction. `outcomeOf` is the one classification of a check.
 */

import { Effect, Option } from "effect"
import type { Caller } from "./domain/Audit.js"
import { profilesInOrder } from "./domain/McpServer.js"
import {
  type CheckOutcome,
  type Monitor,
  type MonitorCheck,
  MonitorSpec,
  type MonitorState,
  type MonitorStats,
  type StoredMonitorState
} from "./domain/Monitor.js"
import {
  type Conflict,
  type ForbiddenRole,
  type NotFound,
  type QuotaExceeded,
  type SecretInArguments,
  type StoreError,
  type ValidationFailed,
  validationFailed
} from "./Errors.js"
import * as AlertEngine from "./internal/alertEngine.js"
import { now } from "./internal/clock.js"
import { newId } from "./internal/ids.js"
import { exampleObject, validateArguments } from "./internal/monitorArgs.js"
import { archiveMonitors, type LiveMonitor, loadLiveMonitor, loadMonitor } from "./internal/monitorRecords.js"
import { type Bucket, bucketed, statsOf, widestMs, windows } from "./internal/monitorStats.js"
import { checkSecrets, validate } from "./internal/monitorValidation.js"
import { isMuted, mutedUntil, muteMinutes } from "./internal/mutes.js"
import { orNotFound } from "./internal/notFound.js"
import * as Plans from "./Plans.js"
import type { AlertStore } from "./ports/AlertStore.js"
import type { Ids } from "./ports/Ids.js"
import type { McpConnector } from "./ports/McpConnector.js"
import { MonitorStore, type RecentCheck } from "./ports/MonitorStore.js"
import type { SecretStore } from "./ports/SecretStore.js"
import { ServerStore } from "./ports/ServerStore.js"
import { Transactor } from "./ports/Transactor.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

export { exampleObject, exampleValue, validateArguments } from "./internal/monitorArgs.js"
export { type Bucket, percentiles } from "./internal/monitorStats.js"
export { isMuted, maxMuteMinutes } from "./internal/mutes.js"
export {
  type CheckedResult,
  checkAssertions,
  checkOutputSchema,
  type ResultFailure
} from "./internal/resultChecks.js"

import * as Pages from "./Pages.js"

/** What a check produced, as the worker observed it. */
export interface CheckObservation {
  /** The tool returned a result with `isError: true`. */
  readonly isError: boolean
  /** A result failed its step's assertions or its tool's `outputSchema` (`checkAssertions`, `checkOutputSchema`). */
  readonly resultFailed?: boolean
  readonly latencyMs: number
  /** No result within the monitor's timeout. */
  readonly timedOut: boolean
  /** Transport-level failure: unreachable, unexpected HTTP status, malformed or non-MCP response, auth rejected. */
  readonly transportError: boolean
}

/**
 * The outcome of a check (SPEC §5): `error` for transport failures and timeouts, `fail` for an
 * `isError` result, a result failing its assertions or `outputSchema`, or an answer slower than
 * the `failAboveMs` budget, `degraded` for a pass slower than `degradedAboveMs`, otherwise `pass`.
 */
export const outcomeOf = (
  check: CheckObservation,
  monitor: Pick<Monitor, "timeoutMs" | "degradedAboveMs"> & { readonly failAboveMs?: number | null }
): CheckOutcome => {
  if (check.transportError || check.timedOut || check.latencyMs > monitor.timeoutMs) return "error"
  if (check.isError || check.resultFailed === true || overBudget(check.latencyMs, monitor)) return "fail"
  if (monitor.degradedAboveMs !== null && check.latencyMs > monitor.degradedAboveMs) return "degraded"
  return "pass"
}

/** Whether an answer took longer than the monitor's `failAboveMs` budget (a `fail`). */
export const overBudget = (latencyMs: number, monitor: { readonly failAboveMs?: number | null }): boolean =>
  monitor.failAboveMs !== undefined && monitor.failAboveMs !== null && latencyMs > monitor.failAboveMs

/** Why a check over its `failAboveMs` budget failed: the budget and the measured time. */
export const budgetMessage = (latencyMs: number, failAboveMs: number): string =>
  `over the failAboveMs budget: answered in ${Math.round(latencyMs)} ms, budget ${failAboveMs} ms`

/** What validation needs, re-probing a server whose cached catalog refuses a spec included. */
type ReprobeEnv = ServerStore | SecretStore | McpConnector | Ids | Transactor | AlertStore

type Errors = ForbiddenRole | ValidationFailed | SecretInArguments | Conflict | StoreError

/** Creates a monitor; its first check is due now. */
export const create = (
  caller: Caller,
  input: unknown
): Effect.Effect<Monitor, Errors | QuotaExceeded, MonitorStore | ReprobeEnv | Ids> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.write")
    yield* Plans.checkQuota(caller, "maxMonitors")
    const decoded = yield* decode(MonitorSpec)(input)
    yield* checkSecrets(caller.orgId, decoded)
    const spec = yield* validate(caller.orgId, decoded)
    const at = yield* now
    const monitor: Monitor = {
      id: yield* newId,
      orgId: caller.orgId,
      ...spec,
      name: spec.name,
      nextCheckAt: at,
      lastOutcome: null,
      lastCheckedAt: null,
      mutedUntil: null,
      createdAt: at,
      updatedAt: at
    }
    yield* Effect.flatMap(MonitorStore, (s) => s.insertMonitor(monitor))
    return monitor
  }).pipe(Effect.withSpan("Monitors.create", { attributes: { "armature.org_id": caller.orgId } }))

/** A (not archived) monitor's spec, as `create` takes it: the base `update` merges a patch into. */
export const specOf = (m: LiveMonitor): typeof MonitorSpec.Encoded => ({
  name: m.name,
  mcpServerId: m.mcpServerId,
  authProfileId: m.authProfileId,
  toolName: m.toolName,
  arguments: m.arguments,
  assertions: m.assertions,
  nextSteps: m.nextSteps,
  intervalSeconds: m.intervalSeconds,
  timeoutMs: m.timeoutMs,
  degradedAboveMs: m.degradedAboveMs,
  failAboveMs: m.failAboveMs,
  retries: m.retries,
  state: m.state,
  muted: m.muted,
  allowDestructive: m.allowDestructive
})

/** Changes some fields of a monitor and validates the result as a whole, like `create`. */
export const update = (
  caller: Caller,
  monitorId: string,
  patch: unknown
): Effect.Effect<Monitor, Errors | NotFound, MonitorStore | ReprobeEnv> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.write")
    const existing = yield* loadLiveMonitor(caller.orgId, monitorId)
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
      return yield* Effect.fail(
        validationFailed([{ field: "(root)", message: "Expected an object of fields to change" }])
      )
    }
    const decoded = yield* decode(MonitorSpec)({ ...specOf(existing), ...patch })
    yield* checkSecrets(caller.orgId, decoded)
    const spec = yield* validate(caller.orgId, decoded)
    const at = yield* now
    // A shorter interval or a resumed monitor should not wait out the old schedule.
    const reschedule =
      spec.intervalSeconds !== existing.intervalSeconds ||
      (existing.state === "paused" && spec.state === "active")
    const monitor: Monitor = {
      ...existing,
      ...spec,
      name: spec.name,
      nextCheckAt: reschedule ? at : existing.nextCheckAt,
      updatedAt: at
    }
    yield* Effect.flatMap(MonitorStore, (s) => s.updateMonitor(monitor))
    return monitor
  }).pipe(
    Effect.withSpan("Monitors.update", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/** One monitor, archived (deleted) ones too. */
export const get = (
  caller: Caller,
  monitorId: string
): Effect.Effect<Monitor, ForbiddenRole | NotFound | StoreError, MonitorStore> =>
  Effect.zipRight(Roles.authorize(caller.actor, "monitors.read"), loadMonitor(caller.orgId, monitorId)).pipe(
    Effect.withSpan("Monitors.get", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/** Filter of `list`. */
export interface ListFilter {
  readonly mcpServerId?: string
  readonly state?: StoredMonitorState
}

/** Monitors of the organization, optionally of one server or in one state (archived ones only by state). */
export const list = (
  caller: Caller,
  filter: ListFilter & Pages.PageRequest = {}
): Effect.Effect<Pages.Page<Monitor>, ForbiddenRole | ValidationFailed | StoreError, MonitorStore> =>
  Effect.zipRight(
    Roles.authorize(caller.actor, "monitors.read"),
    Effect.flatMap(MonitorStore, (s) =>
      Pages.read(
        { limit: filter.limit, cursor: filter.cursor },
        (page) =>
          // Archived (deleted) monitors only when asked for by state.
          s.listMonitors(caller.orgId, {
            ...(filter.mcpServerId === undefined ? {} : { mcpServerId: filter.mcpServerId }),
            includeArchived: filter.state === "archived",
            ...(filter.state === undefined ? {} : { state: filter.state }),
            page
          }),
        (monitors) => monitors
      )
    )
  ).pipe(Effect.withSpan("Monitors.list", { attributes: { "armature.org_id": caller.orgId } }))

/** Changes a (not archived) monitor; `check` validates the change once the caller may make it. */
const patchFields = <E = never>(
  caller: Caller,
  monitorId: string,
  change: (m: LiveMonitor, at: Date) => Monitor,
  check: Effect.Effect<unknown, E> = Effect.void
) =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.write")
    yield* check
    const existing = yield* loadLiveMonitor(caller.orgId, monitorId)
    const monitor = change(existing, yield* now)
    yield* Effect.flatMap(MonitorStore, (s) => s.updateMonitor(monitor))
    return monitor
  })

/** Pauses or resumes a monitor; a resumed monitor is due at once. */
export const setState = (
  caller: Caller,
  monitorId: string,
  state: MonitorState
): Effect.Effect<
  Monitor,
  ForbiddenRole | NotFound | ValidationFailed | Conflict | StoreError,
  MonitorStore
> =>
  Effect.withSpan(
    state !== "active" && state !== "paused"
      ? Effect.fail(validationFailed([{ field: "state", message: "Expected active or paused" }]))
      : patchFields(caller, monitorId, (m, at) => ({
          ...m,
          state,
          nextCheckAt: m.state === "paused" && state === "active" ? at : m.nextCheckAt,
          updatedAt: at
        })),
    "Monitors.setState",
    { attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId } }
  )

/**
 * Mutes or unmutes a monitor: muted checks still run and are recorded, but alert nobody.
 * Unmuting also ends a mute for a while (`muteFor`).
 */
export const setMuted = (
  caller: Caller,
  monitorId: string,
  muted: boolean
): Effect.Effect<Monitor, ForbiddenRole | NotFound | Conflict | StoreError, MonitorStore> =>
  patchFields(caller, monitorId, (m, at) => ({
    ...m,
    muted: muted === true,
    mutedUntil: muted === true ? m.mutedUntil : null,
    updatedAt: at
  })).pipe(
    Effect.withSpan("Monitors.setMuted", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/**
 * Mutes a monitor for `minutes` (1 to 10080, a week) from now, like `setMuted` but ending by
 * itself: its checks run and are recorded, and alert nobody until `mutedUntil`. A new mute
 * replaces the previous end; `setMuted(…, false)` ends it early. A monitor muted until unmuted
 * stays so.
 */
export const muteFor = (
  caller: Caller,
  monitorId: string,
  minutes: number
): Effect.Effect<
  Monitor,
  ForbiddenRole | NotFound | ValidationFailed | Conflict | StoreError,
  MonitorStore
> =>
  patchFields(
    caller,
    monitorId,
    (m, at) => ({ ...m, mutedUntil: mutedUntil(at, minutes), updatedAt: at }),
    muteMinutes(minutes)
  ).pipe(
    Effect.withSpan("Monitors.muteFor", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/**
 * Deletes a monitor by archiving it: it is never checked again and takes no edit, lists leave it
 * out (`state: "archived"` lists it), it counts toward no quota, its name is free again, and it
 * and its checks and stats stay readable by id. The alert rules on it go with it. Archiving an
 * archived monitor is `monitor_not_found`.
 */
export const remove = (
  caller: Caller,
  monitorId: string
): Effect.Effect<void, ForbiddenRole | NotFound | StoreError, MonitorStore | AlertStore | Transactor> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.write")
    const tx = yield* Transactor
    yield* tx.withTransaction(
      Effect.gen(function* () {
        yield* loadLiveMonitor(caller.orgId, monitorId)
        yield* archiveMonitors(caller.orgId, [{ id: monitorId }], yield* now)
      })
    )
  }).pipe(
    Effect.withSpan("Monitors.remove", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/** Check history of a monitor, newest first (`limit` 1–1000, default 100). */
export const checks = (
  caller: Caller,
  monitorId: string,
  options: { readonly since?: Date; readonly limit?: number } = {}
): Effect.Effect<ReadonlyArray<MonitorCheck>, ForbiddenRole | NotFound | StoreError, MonitorStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.read")
    yield* loadMonitor(caller.orgId, monitorId)
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1000)
    return yield* Effect.flatMap(MonitorStore, (s) =>
      s.listChecks(caller.orgId, monitorId, {
        limit,
        ...(options.since === undefined ? {} : { since: options.since })
      })
    )
  }).pipe(
    Effect.withSpan("Monitors.checks", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/**
 * Success rate (pass + degraded over all checks) and latency percentiles over 1 h, 24 h and 7 d.
 * Latency counts only checks that got an answer: an `error` check's latency is a timeout or a
 * refused connection, which says nothing about how fast the tool is.
 */
export const stats = (
  caller: Caller,
  monitorId: string
): Effect.Effect<ReadonlyArray<MonitorStats>, ForbiddenRole | NotFound | StoreError, MonitorStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.read")
    yield* loadMonitor(caller.orgId, monitorId)
    const at = (yield* now).getTime()
    // One read of the widest window; the narrower ones are its tail.
    const samples = yield* Effect.flatMap(MonitorStore, (s) =>
      s.checkSamples(caller.orgId, monitorId, new Date(at - widestMs))
    )
    return statsOf(samples, at)
  }).pipe(
    Effect.withSpan("Monitors.stats", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/**
 * The newest `perMonitor` checks (1–100) of each of `monitorIds`, newest first, in one read: a
 * list's sparklines. Ids of other organizations or of no monitor give no checks.
 */
export const recentChecks = (
  caller: Caller,
  monitorIds: ReadonlyArray<string>,
  perMonitor: number
): Effect.Effect<ReadonlyMap<string, ReadonlyArray<RecentCheck>>, ForbiddenRole | StoreError, MonitorStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.read")
    const limit = Math.min(Math.max(Math.trunc(perMonitor), 1), 100)
    const checks = yield* Effect.flatMap(MonitorStore, (s) => s.recentChecks(caller.orgId, monitorIds, limit))
    const byMonitor = new Map<string, RecentCheck[]>()
    for (const check of checks) {
      const list = byMonitor.get(check.monitorId) ?? []
      list.push(check)
      byMonitor.set(check.monitorId, list)
    }
    return byMonitor
  }).pipe(Effect.withSpan("Monitors.recentChecks", { attributes: { "armature.org_id": caller.orgId } }))

/** A stats window of `series`. */
export type Window = (typeof windows)[number]["window"]

/**
 * A monitor's latency (p50/p95) and failures over the last hour, day or week in `buckets` equal
 * buckets, oldest first: the dashboard's latency chart.
 */
export const series = (
  caller: Caller,
  monitorId: string,
  window: Window,
  buckets = 60
): Effect.Effect<ReadonlyArray<Bucket>, ForbiddenRole | NotFound | StoreError, MonitorStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.read")
    yield* loadMonitor(caller.orgId, monitorId)
    const to = (yield* now).getTime()
    const from = to - windows.find((w) => w.window === window)!.ms
    const samples = yield* Effect.flatMap(MonitorStore, (s) =>
      s.checkSamples(caller.orgId, monitorId, new Date(from))
    )
    return bucketed(samples, from, to, buckets)
  }).pipe(
    Effect.withSpan("Monitors.series", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/** What a monitor's page shows (`report`). */
export interface Report {
  readonly monitor: Monitor
  readonly stats: ReadonlyArray<MonitorStats>
  readonly series: ReadonlyArray<Bucket>
  /** The newest checks, newest first. */
  readonly checks: ReadonlyArray<MonitorCheck>
}

/**
 * A monitor with its `stats`, its `series` over `window` and its newest `checks` (at most 100):
 * one page's reads, with the monitor loaded once and the week's samples read once for both.
 */
export const report = (
  caller: Caller,
  monitorId: string,
  window: Window,
  options: { readonly buckets?: number; readonly checks?: number } = {}
): Effect.Effect<Report, ForbiddenRole | NotFound | StoreError, MonitorStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.read")
    const monitor = yield* loadMonitor(caller.orgId, monitorId)
    const store = yield* MonitorStore
    const at = (yield* now).getTime()
    const [samples, checks] = yield* Effect.all(
      [
        store.checkSamples(caller.orgId, monitorId, new Date(at - widestMs)),
        store.listChecks(caller.orgId, monitorId, {
          limit: Math.min(Math.max(options.checks ?? 100, 1), 100)
        })
      ],
      { concurrency: "unbounded" }
    )
    const from = at - windows.find((w) => w.window === window)!.ms
    return {
      monitor,
      stats: statsOf(samples, at),
      series: bucketed(samples, from, at, options.buckets ?? 60),
      checks
    }
  }).pipe(
    Effect.withSpan("Monitors.report", {
      attributes: { "armature.org_id": caller.orgId, "armature.monitor_id": monitorId }
    })
  )

/** A proposed monitor: ready to pass to `create`. */
export interface Suggestion {
  readonly name: string
  readonly mcpServerId: string
  readonly authProfileId: string | null
  readonly toolName: string
  readonly arguments: { readonly [key: string]: unknown }
  readonly intervalSeconds: number
  readonly reason: string
}

/**
 * Monitors worth adding for a server: its read-only tools (never destructive ones) that no
 * monitor calls yet, with arguments generated from the input schema. Tools whose generated
 * arguments would not validate are left out, so every suggestion can be created as is.
 */
export const suggestions = (
  caller: Caller,
  serverId: string
): Effect.Effect<
  ReadonlyArray<Suggestion>,
  ForbiddenRole | NotFound | StoreError,
  MonitorStore | ServerStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "monitors.read")
    const servers = yield* ServerStore
    yield* servers.getServer(caller.orgId, serverId).pipe(orNotFound("mcp_server", serverId))
    const catalog = Option.getOrNull(yield* servers.latestCatalog(caller.orgId, serverId))
    if (catalog === null) return []
    const monitors = yield* Effect.flatMap(MonitorStore, (s) =>
      s.listMonitors(caller.orgId, { mcpServerId: serverId })
    )
    const monitored = new Set(monitors.flatMap((m) => [m.toolName, ...m.nextSteps.map((s) => s.toolName)]))
    const profiles = profilesInOrder(yield* servers.listAuthProfiles(caller.orgId, serverId))
    const out: Suggestion[] = []
    for (const tool of [...catalog.tools].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (tool.annotations?.readOnlyHint !== true || tool.annotations.destructiveHint === true) continue
      if (monitored.has(tool.name)) continue
      const args = exampleObject(tool.inputSchema)
      if (validateArguments("arguments", tool.inputSchema, args).length > 0) continue
      out.push({
        name: `${tool.title ?? tool.annotations.title ?? tool.name} check`,
        mcpServerId: serverId,
        authProfileId: profiles[0]?.id ?? null,
        toolName: tool.name,
        arguments: args,
        intervalSeconds: 300,
        reason: "Read-only tool without a monitor"
      })
    }
    return out
  }).pipe(
    Effect.withSpan("Monitors.suggestions", {
      attributes: { "armature.org_id": caller.orgId, "armature.mcp_server_id": serverId }
    })
  )

const summaryOf = (check: MonitorCheck, monitor: Monitor): string => {
  if (check.error !== null) return check.error
  switch (check.outcome) {
    case "fail":
      if (monitor.failAboveMs !== null && overBudget(check.latencyMs, monitor))
        return budgetMessage(check.latencyMs, monitor.failAboveMs)
      return `The tool returned an error result${check.resultExcerpt === null ? "" : `: ${check.resultExcerpt}`}`
    case "degraded":
      return `Answered in ${Math.round(check.latencyMs)} ms, slower than ${monitor.degradedAboveMs} ms`
    default:
      return `Check ${check.outcome} in ${Math.round(check.latencyMs)} ms`
  }
}

/**
 * Records a check executed by the worker: the check, the monitor's last outcome and the alert
 * outbox rows it causes (none for a monitor muted now) commit together. A duplicate check (same
 * monitor and `scheduledAt`) changes nothing. `known.server`, the server the worker checked (read
 * moments ago), spares the alerts a read of it when it is still the monitor's server.
 */
export const recordCheck = (
  check: MonitorCheck,
  known?: { readonly server: { readonly id: string; readonly name: string } }
): Effect.Effect<
  { readonly recorded: boolean; readonly alerts: number },
  StoreError | Conflict,
  MonitorStore | ServerStore | AlertStore | Ids | Transactor
> =>
  Effect.flatMap(Transactor, (tx) =>
    tx.withTransaction(
      Effect.gen(function* () {
        const store = yield* MonitorStore
        const inserted = yield* store.insertCheck(check)
        if (!inserted) return { recorded: false, alerts: 0 }
        // `insertCheck` stored the monitor's last outcome too (unless a newer check had): the
        // monitor is only read here, never written back whole, so an edit or claim racing this
        // check is never undone, and a check costs no second write of the monitor row.
        const monitor = Option.getOrNull(yield* store.getMonitor(check.orgId, check.monitorId))
        // A check that was under way when its monitor was deleted is kept, and alerts nobody.
        if (monitor === null || monitor.state === "archived") return { recorded: true, alerts: 0 }
        // A late check of an older fire alerts nobody: a newer outcome is already recorded.
        if (monitor.lastCheckedAt !== null && monitor.lastCheckedAt.getTime() > check.startedAt.getTime()) {
          return { recorded: true, alerts: 0 }
        }
        if (isMuted(monitor, yield* now)) return { recorded: true, alerts: 0 }
        const server =
          known?.server.id === monitor.mcpServerId
            ? known.server
            : Option.getOrNull(
                yield* Effect.flatMap(ServerStore, (s) => s.getServer(check.orgId, monitor.mcpServerId))
              )
        const messages = yield* AlertEngine.onCheck({
          orgId: check.orgId,
          target: { type: "monitor", id: monitor.id, name: monitor.name },
          outcome: check.outcome,
          summary: summaryOf(check, monitor),
          link: `/monitors/${monitor.id}`,
          at: check.startedAt,
          server: server === null ? null : { id: server.id, name: server.name },
          toolName: monitor.toolName
        })
        return { recorded: true, alerts: messages.length }
      })
    )
  ).pipe(
    Effect.withSpan("Monitors.recordCheck", {
      attributes: { "armature.org_id": check.orgId, "armature.monitor_id": check.monitorId }
    })
  )
