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

/** A tool call with the run it belongs to: the input of coverage. */
export interface ToolCallRecord {
  readonly runId: string
  readonly workflowId: string
  readonly runStartedAt: Date | null
  readonly call: ToolCall
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
    /** Tool calls of the `limit` most recent terminal runs (by start time) of a server's workflows. */
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
     * Non-terminal runs, across organizations, started (or, if not started, created) before
     * `before`, oldest first: the input of worker-lost recovery.
     */
    readonly listStale: (before: Date, limit: number) => Effect.Effect<ReadonlyArray<Run>, StoreError>
    /** Deletes terminal runs finished before `before`, at most `limit`; returns how many. */
    readonly pruneRuns: (before: Date, limit: number) => Effect.Effect<number, StoreError>
  }
>() {}
