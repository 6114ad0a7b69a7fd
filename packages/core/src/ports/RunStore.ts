import { Context, type Effect, type Option } from "effect"
import type { Page } from "../domain/Common.js"
import type { Run, RunStatus, RunSummary, ToolCall } from "../domain/Run.js"
import type { StoreError } from "../Errors.js"

export interface RunFilter {
  readonly workflowId?: string
  readonly mcpServerId?: string
  readonly status?: RunStatus
  /** Start time (or creation time for runs not started yet) strictly before / at or after. */
  readonly before?: Date
  readonly after?: Date
  /** Case-insensitive substring of the workflow name, reason or run id. */
  readonly search?: string
  readonly limit: number
  readonly cursor?: string
}

/**
 * The keyset position a `searchRuns` page ends at: the sort time (start, or creation while not
 * started) and id of its last run. Callers see it as an opaque string; every store encodes it
 * the same way, so `Runs.search` can tell a cursor from garbage before any store sees it.
 */
export interface RunCursor {
  readonly sortAt: Date
  readonly id: string
}

export const encodeRunCursor = (cursor: RunCursor): string =>
  Buffer.from(JSON.stringify([cursor.sortAt.toISOString(), cursor.id])).toString("base64url")

/** The position a cursor stands for, or `undefined` when it is not one `encodeRunCursor` made. */
export const decodeRunCursor = (cursor: string): RunCursor | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))
    if (Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string") {
      const sortAt = new Date(value[0])
      if (!Number.isNaN(sortAt.getTime())) return { sortAt, id: value[1] }
    }
  } catch {
    // not a cursor
  }
  return undefined
}

/**
 * What coverage and drift impact read of a tool call: everything but its result (`content`,
 * `structuredContent`) and timing. Results are most of a call's size (~450 KB for a server's 50
 * newest runs at the reads-at-scale bench); a `ToolCall` is one of these.
 */
export type RecentToolCall = Pick<
  ToolCall,
  "id" | "name" | "arguments" | "isError" | "refused" | "error" | "startedAt"
>

/** The `RecentToolCall` part of a tool call (what `recentToolCalls` returns of it). */
export const recentToolCall = (call: RecentToolCall): RecentToolCall => ({
  id: call.id,
  name: call.name,
  arguments: call.arguments,
  isError: call.isError,
  refused: call.refused,
  error: call.error,
  startedAt: call.startedAt
})

/** A tool call with the run it belongs to: the input of coverage. */
export interface ToolCallRecord {
  readonly runId: string
  readonly workflowId: string
  readonly runStartedAt: Date | null
  readonly call: RecentToolCall
}

/** A UTC day's terminal runs by status (`dailyPassCounts`). */
export interface DayCounts {
  /** 00:00 UTC of the day. */
  readonly day: Date
  readonly pass: number
  readonly partial: number
  readonly fail: number
  readonly error: number
}

/** Pass-rate counts of one workflow in a window; `error` runs are counted apart. */
export interface PassCounts {
  readonly workflowId: string
  readonly pass: number
  readonly partial: number
  readonly fail: number
  readonly error: number
  readonly lastRunAt: Date | null
  readonly lastStatus: RunStatus | null
}

/** Runs, with their tool calls, trace, verdicts and usage. */
export class RunStore extends Context.Tag("@armature/core/RunStore")<
  RunStore,
  {
    /**
     * Inserts the run unless one with the same id exists; returns the stored run and whether
     * it was created. This is what makes idempotent dispatch safe under concurrency.
     */
    readonly insertRun: (
      run: Run
    ) => Effect.Effect<{ readonly run: Run; readonly created: boolean }, StoreError>
    /** Replaces a non-terminal run (status, results, trace…). Terminal runs are never changed: returns false. */
    readonly updateRun: (run: Run) => Effect.Effect<boolean, StoreError>
    readonly getRun: (orgId: string, id: string) => Effect.Effect<Option.Option<Run>, StoreError>
    /**
     * Newest first by start time (creation time for runs not started yet), ties broken by id,
     * keyset-paginated: following `nextCursor` visits every match once.
     */
    readonly searchRuns: (orgId: string, filter: RunFilter) => Effect.Effect<Page<RunSummary>, StoreError>
    /** A run of this workflow and model that is `pending` or `running`, if any (no-overlap rule). */
    readonly findActiveRun: (
      orgId: string,
      workflowId: string,
      testerModel: string
    ) => Effect.Effect<Option.Option<RunSummary>, StoreError>
    /**
     * Tool calls of the `limit` most recent terminal runs (by start time) of a server's workflows,
     * newest run first and each run's calls in order, without their results (`RecentToolCall`).
     */
    readonly recentToolCalls: (
      orgId: string,
      mcpServerId: string,
      limit: number
    ) => Effect.Effect<ReadonlyArray<ToolCallRecord>, StoreError>
    /**
     * Terminal-run counts per workflow of runs started at or after `since` (creation time for runs
     * never started); `lastRunAt`/`lastStatus` are those of the newest such run.
     */
    readonly passCounts: (orgId: string, since: Date) => Effect.Effect<ReadonlyArray<PassCounts>, StoreError>
    /**
     * Terminal runs of every workflow since `since`, counted per UTC day of their start (or
     * creation), oldest day first; days without runs are left out.
     */
    readonly dailyPassCounts: (
      orgId: string,
      since: Date
    ) => Effect.Effect<ReadonlyArray<DayCounts>, StoreError>
    /**
     * Non-terminal runs, across organizations, started (or, if not started, created) before
     * `before`, oldest first: the input of worker-lost recovery.
     */
    readonly listStale: (before: Date, limit: number) => Effect.Effect<ReadonlyArray<Run>, StoreError>
    /** Deletes terminal runs finished before `before`, at most `limit`; returns how many. */
    readonly pruneRuns: (before: Date, limit: number) => Effect.Effect<number, StoreError>
  }
>() {}
