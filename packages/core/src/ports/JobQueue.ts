import { Context, type Effect } from "effect"
import type { StoreError } from "../Errors.js"

export type JobState = "queued" | "running" | "done" | "skipped" | "dead"

/** What a scheduler or dispatcher asks to have executed. */
export interface JobRequest {
  readonly orgId: string
  /** `workflow_run`, `catalog_sync`, … — workers pick the kinds they handle. */
  readonly kind: string
  readonly targetId: string
  /** The tester model, for workflow runs; `null` otherwise. */
  readonly model: string | null
  /** The fire this job belongs to; (kind, targetId, model, fireAt) is unique. */
  readonly fireAt: Date
  /** Not claimable before this instant (the stagger between models, retry backoff). */
  readonly runAfter: Date
  readonly payload: unknown
  readonly maxAttempts: number
}

export interface Job extends JobRequest {
  readonly id: string
  readonly state: JobState
  readonly attempts: number
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: Date | null
  readonly lastError: string | null
  readonly createdAt: Date
}

/**
 * Durable work queue shared by every replica. Uniqueness of a fire is enforced by the store;
 * claims are leases, so a crashed worker's jobs come back after the lease expires.
 */
export class JobQueue extends Context.Tag("@armature/core/JobQueue")<
  JobQueue,
  {
    /** Returns the job, or `null` when this fire was already enqueued (by any replica). */
    readonly enqueue: (request: JobRequest, now: Date) => Effect.Effect<Job | null, StoreError>
    /**
     * Claims up to `limit` queued jobs of the given kinds whose `runAfter` has come, leased to
     * `owner` until now + `leaseMs`. Each claim counts as an attempt (`attempts` + 1).
     */
    readonly claim: (options: {
      readonly owner: string
      readonly kinds: ReadonlyArray<string>
      readonly now: Date
      readonly leaseMs: number
      readonly limit: number
    }) => Effect.Effect<ReadonlyArray<Job>, StoreError>
    /** Extends the leases `owner` still holds; returns the ids it still holds. */
    readonly heartbeat: (
      owner: string,
      jobIds: ReadonlyArray<string>,
      leaseUntil: Date
    ) => Effect.Effect<ReadonlyArray<string>, StoreError>
    /** Ends a job `owner` holds as `done` or `skipped`; false when the lease was lost. */
    readonly complete: (
      owner: string,
      jobId: string,
      state: "done" | "skipped",
      now: Date
    ) => Effect.Effect<boolean, StoreError>
    /**
     * Records a failure of a job `owner` holds (false when the lease was lost): the job is queued
     * again at `retryAt`, or dead-lettered when `attempts >= maxAttempts` or `retryAt` is null.
     */
    readonly fail: (
      owner: string,
      jobId: string,
      error: string,
      retryAt: Date | null
    ) => Effect.Effect<boolean, StoreError>
    /**
     * Returns running jobs whose lease expired before `now` to the queue, or dead-letters those
     * whose attempts are used up; returns them as updated. Their old owner no longer holds them.
     */
    readonly recoverExpired: (now: Date, limit: number) => Effect.Effect<ReadonlyArray<Job>, StoreError>
    readonly get: (jobId: string) => Effect.Effect<Job | null, StoreError>
    /** Queued and running jobs, for metrics. */
    readonly depth: Effect.Effect<{ readonly queued: number; readonly running: number }, StoreError>
    /** Deletes ended jobs (done, skipped, dead) that ended before `before`; returns how many. */
    readonly prune: (before: Date, limit: number) => Effect.Effect<number, StoreError>
  }
>() {}
