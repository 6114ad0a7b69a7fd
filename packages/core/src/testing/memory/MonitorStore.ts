import { type Context, Either, Option } from "effect"
import { nameKey } from "../../domain/Common.js"
import type { Monitor, MonitorCheck } from "../../domain/Monitor.js"
import type { MonitorStore } from "../../ports/MonitorStore.js"
import { byCreation, compareIds, conflict, type Db, pageOf, rowOf, rowsOf, type Tables } from "./Tables.js"

/** Names are unique among the monitors that are not archived. */
const monitorNameTaken = (t: Tables, monitor: Monitor) =>
  rowsOf(
    t.monitors,
    monitor.orgId,
    (m) => m.id !== monitor.id && m.state !== "archived" && nameKey(m.name) === nameKey(monitor.name)
  ).length > 0

/**
 * The first fire after `now` on the monitor's grid: fires missed while nothing claimed them
 * are skipped, so a claimed monitor is not due again at the same instant.
 */
export const nextFireAfter = (monitor: Monitor, now: Date): Date => {
  const interval = monitor.intervalSeconds * 1000
  const due = monitor.nextCheckAt.getTime()
  const missed = Math.floor((now.getTime() - due) / interval)
  return new Date(due + (Math.max(0, missed) + 1) * interval)
}

const newestChecksFirst = (a: MonitorCheck, b: MonitorCheck): number =>
  b.startedAt.getTime() - a.startedAt.getTime() || compareIds(b.id, a.id)

/** In-memory `MonitorStore`. */
export const makeMonitorStore = (db: Db): Context.Tag.Service<MonitorStore> => ({
  insertMonitor: (monitor) =>
    db.attempt((t) => {
      if (t.monitors.has(monitor.id)) return Either.left(conflict("id", "monitor id already exists"))
      if (monitorNameTaken(t, monitor)) {
        return Either.left(conflict("name", `a monitor named "${monitor.name}" exists`))
      }
      t.monitors.set(monitor.id, monitor)
      return Either.void
    }),
  updateMonitor: (monitor) =>
    db.attempt((t) => {
      const stored = rowOf(t.monitors, monitor.orgId, monitor.id)
      if (stored === undefined || stored.state === "archived") return Either.void
      if (monitorNameTaken(t, monitor)) {
        return Either.left(conflict("name", `a monitor named "${monitor.name}" exists`))
      }
      t.monitors.set(monitor.id, monitor)
      return Either.void
    }),
  getMonitor: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.monitors, orgId, id))),
  listMonitors: (orgId, filter) =>
    db.run((t) =>
      pageOf(
        rowsOf(
          t.monitors,
          orgId,
          (m) =>
            (filter?.mcpServerId === undefined || m.mcpServerId === filter.mcpServerId) &&
            (filter?.includeArchived === true || m.state !== "archived") &&
            (filter?.state === undefined || m.state === filter.state)
        ).sort(byCreation),
        filter?.page
      )
    ),
  archiveMonitor: (orgId, id, at) =>
    db.run((t) => {
      const monitor = rowOf(t.monitors, orgId, id)
      if (monitor === undefined || monitor.state === "archived") return false
      t.monitors.set(id, { ...monitor, state: "archived", updatedAt: at })
      return true
    }),
  claimDue: (now, limit) =>
    db.run((t) => {
      const due = Array.from(t.monitors.values())
        .filter((m) => m.state === "active" && m.nextCheckAt.getTime() <= now.getTime())
        .sort((a, b) => a.nextCheckAt.getTime() - b.nextCheckAt.getTime() || compareIds(a.id, b.id))
        .slice(0, Math.max(0, limit))
      return due.map((monitor) => {
        const claimed = { ...monitor, nextCheckAt: nextFireAfter(monitor, now) }
        t.monitors.set(monitor.id, claimed)
        return { monitor: claimed, dueAt: monitor.nextCheckAt }
      })
    }),
  insertCheck: (check) =>
    db.run((t) => {
      for (const other of t.checks.values()) {
        if (
          other.monitorId === check.monitorId &&
          other.scheduledAt.getTime() === check.scheduledAt.getTime()
        ) {
          return false
        }
      }
      if (t.checks.has(check.id)) return false
      t.checks.set(check.id, check)
      const monitor = rowOf(t.monitors, check.orgId, check.monitorId)
      // A late check of an older fire must not overwrite a newer outcome.
      if (
        monitor !== undefined &&
        (monitor.lastCheckedAt === null || monitor.lastCheckedAt <= check.startedAt)
      ) {
        t.monitors.set(monitor.id, { ...monitor, lastOutcome: check.outcome, lastCheckedAt: check.startedAt })
      }
      return true
    }),
  listChecks: (orgId, monitorId, options) =>
    db.run((t) =>
      rowsOf(
        t.checks,
        orgId,
        (c) => c.monitorId === monitorId && (options.since === undefined || c.startedAt >= options.since)
      )
        .sort(newestChecksFirst)
        .slice(0, Math.max(0, options.limit))
    ),
  recentChecks: (orgId, monitorIds, perMonitor) =>
    db.run((t) =>
      monitorIds.flatMap((monitorId) =>
        rowsOf(t.checks, orgId, (c) => c.monitorId === monitorId)
          .sort(newestChecksFirst)
          .slice(0, Math.max(0, perMonitor))
          .map((c) => ({ monitorId, outcome: c.outcome, latencyMs: c.latencyMs, startedAt: c.startedAt }))
      )
    ),
  checkSamples: (orgId, monitorId, since) =>
    db.run((t) =>
      rowsOf(t.checks, orgId, (c) => c.monitorId === monitorId && c.startedAt >= since)
        .sort(newestChecksFirst)
        .map((c) => ({ outcome: c.outcome, latencyMs: c.latencyMs, startedAt: c.startedAt }))
    ),
  pruneChecks: (before, limit) =>
    db.run((t) => {
      const old = Array.from(t.checks.values())
        .filter((c) => c.startedAt < before)
        .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())
        .slice(0, Math.max(0, limit))
      for (const check of old) t.checks.delete(check.id)
      return old.length
    })
})
