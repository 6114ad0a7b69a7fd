import { Context, type Effect, type Option } from "effect"
import type { Monitor, MonitorCheck, StoredMonitorState } from "../domain/Monitor.js"
import type { Conflict, StoreError } from "../Errors.js"
import type { PageQuery } from "./Page.js"

/** Tool monitors and their check history. */
export class MonitorStore extends Context.Tag("@armature/core/MonitorStore")<
  MonitorStore,
  {
    readonly insertMonitor: (monitor: Monitor) => Effect.Effect<void, Conflict | StoreError>
    /** Changes nothing of an archived monitor (only `archiveMonitor` makes one). */
    readonly updateMonitor: (monitor: Monitor) => Effect.Effect<void, Conflict | StoreError>
    /** Any monitor of the organization, archived ones too. */
    readonly getMonitor: (orgId: string, id: string) => Effect.Effect<Option.Option<Monitor>, StoreError>
    /** Archived monitors only with `includeArchived`. */
    readonly listMonitors: (
      orgId: string,
      filter?: {
        readonly mcpServerId?: string
        readonly includeArchived?: boolean
        /** Only monitors in this state (`archived` needs `includeArchived`). */
        readonly state?: StoredMonitorState
        readonly page?: PageQuery
      }
    ) => Effect.Effect<ReadonlyArray<Monitor>, StoreError>
    /**
     * Deletes a monitor by archiving it (`state: "archived"`, `updatedAt: at`): it keeps its row
     * and checks, is never claimed again and frees its name. False when the organization has no
     * such monitor or it is archived already.
     */
    readonly archiveMonitor: (orgId: string, id: string, at: Date) => Effect.Effect<boolean, StoreError>
    /**
     * Claims up to `limit` active monitors due at `now` (across organizations) and moves their
     * `nextCheckAt` forward by their interval in the same statement, so two schedulers never
     * claim the same fire. Fires missed while nothing claimed them are skipped: the new
     * `nextCheckAt` is the first `nextCheckAt + k × interval` after `now`, so a second claim at
     * the same instant returns nothing. Returns the updated monitors with the due time
     * (their previous `nextCheckAt`) they were claimed for.
     */
    readonly claimDue: (
      now: Date,
      limit: number
    ) => Effect.Effect<ReadonlyArray<{ readonly monitor: Monitor; readonly dueAt: Date }>, StoreError>
    /**
     * Records a check (unique per monitor and `scheduledAt`; a duplicate is ignored → false) and
     * the monitor's last outcome, unless the monitor already has a newer `lastCheckedAt`.
     */
    readonly insertCheck: (check: MonitorCheck) => Effect.Effect<boolean, StoreError>
    /** Newest first. */
    readonly listChecks: (
      orgId: string,
      monitorId: string,
      options: { readonly since?: Date; readonly limit: number }
    ) => Effect.Effect<ReadonlyArray<MonitorCheck>, StoreError>
    /**
     * The newest `perMonitor` checks' outcomes, latencies and start times of each of `monitorIds`
     * (of the organization; other ids give none), newest first per monitor: one read for a list.
     */
    readonly recentChecks: (
      orgId: string,
      monitorIds: ReadonlyArray<string>,
      perMonitor: number
    ) => Effect.Effect<ReadonlyArray<RecentCheck>, StoreError>
    /** Latencies (ms), outcomes and start times of a monitor's checks since `since`, newest first. */
    readonly checkSamples: (
      orgId: string,
      monitorId: string,
      since: Date
    ) => Effect.Effect<ReadonlyArray<Pick<MonitorCheck, "outcome" | "latencyMs" | "startedAt">>, StoreError>
    /** Deletes checks started before `before`, at most `limit`; returns how many. */
    readonly pruneChecks: (before: Date, limit: number) => Effect.Effect<number, StoreError>
  }
>() {}

/** A check as a monitor list shows it: `recentChecks`. */
export type RecentCheck = Pick<MonitorCheck, "monitorId" | "outcome" | "latencyMs" | "startedAt">
