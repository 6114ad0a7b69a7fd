/**
 * Loading monitors for reads and writes, and archiving them (deleting a monitor), shared by
 * `Monitors` and `Servers.remove` — the same design as workflows (`workflowRecords.ts`).
 */
import { Effect } from "effect"
import type { AlertRule, AlertTarget } from "../domain/Alert.js"
import type { Monitor } from "../domain/Monitor.js"
import type { StoreError } from "../Errors.js"
import { AlertStore } from "../ports/AlertStore.js"
import { MonitorStore } from "../ports/MonitorStore.js"
import { notFound, orNotFound } from "./notFound.js"

/** Loads a monitor of the organization, archived ones too, or fails with `monitor_not_found`. */
export const loadMonitor = (orgId: string, id: string) =>
  Effect.flatMap(MonitorStore, (s) => s.getMonitor(orgId, id)).pipe(orNotFound("monitor", id))

/** A monitor that is not archived: the state its spec can have. */
export type LiveMonitor = Monitor & { readonly state: "active" | "paused" }

/** Whether a monitor is not archived (deleted). */
export const isLiveMonitor = (m: Monitor): m is LiveMonitor => m.state !== "archived"

/**
 * Loads a monitor that can still change or be checked: an archived (deleted) one is
 * `monitor_not_found` for writes, while reads by id still show it with its checks.
 */
export const loadLiveMonitor = (orgId: string, id: string) =>
  Effect.filterOrFail(loadMonitor(orgId, id), isLiveMonitor, () =>
    notFound(
      "monitor",
      id,
      `Monitor ${id} is archived (deleted): it takes no edit or check; its checks stay readable`
    )
  )

/** Deletes the alert rules that target exactly these objects, which could never fire again; returns them. */
export const deleteRulesOf = (
  orgId: string,
  targets: ReadonlyArray<AlertTarget>
): Effect.Effect<ReadonlyArray<AlertRule>, StoreError, AlertStore> =>
  Effect.gen(function* () {
    const alerts = yield* AlertStore
    const rules = (yield* Effect.forEach(targets, (target) => alerts.listRules(orgId, { target }))).flat()
    for (const r of rules) yield* alerts.deleteRule(orgId, r.id)
    return rules
  })

/**
 * Archives monitors (deleting them: they are never checked again, lists leave them out, their
 * names are free, they and their checks stay readable by id) and deletes the alert rules on
 * them; returns those rules. Callers run it in a transaction.
 */
export const archiveMonitors = (orgId: string, monitors: ReadonlyArray<Pick<Monitor, "id">>, at: Date) =>
  Effect.gen(function* () {
    const store = yield* MonitorStore
    for (const m of monitors) yield* store.archiveMonitor(orgId, m.id, at)
    return yield* deleteRulesOf(
      orgId,
      monitors.map((m) => ({ type: "monitor" as const, id: m.id }))
    )
  })
