import { type Job, JobQueue } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Layer, Schema } from "effect"
import * as Column from "../internal/columns.js"
import { date, dateOrNull, json, mapRows, orStoreError } from "../internal/sql.js"

/** A row of `jobs` as the drivers return it. */
const JobRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  kind: Column.text,
  target_id: Column.text,
  model: Column.nullable(Column.text),
  fire_at: Column.timestamptz,
  run_after: Column.timestamptz,
  payload: Column.json,
  max_attempts: Column.integer,
  state: Schema.Literal("queued", "running", "done", "skipped", "dead"),
  attempts: Column.integer,
  lease_owner: Column.nullable(Column.text),
  lease_expires_at: Column.nullable(Column.timestamptz),
  last_error: Column.nullable(Column.text),
  created_at: Column.timestamptz,
  ended_at: Column.nullable(Column.timestamptz)
})
type JobRow = typeof JobRow.Type

/** A recovered job with the instant its lease had expired (`recoverExpired`). */
type ExpiredJobRow = JobRow & { readonly expired_at: Date }

const toJob = (r: JobRow): Job => ({
  id: r.id,
  orgId: r.org_id,
  kind: r.kind,
  targetId: r.target_id,
  model: r.model,
  fireAt: date(r.fire_at),
  runAfter: date(r.run_after),
  payload: r.payload,
  maxAttempts: r.max_attempts,
  state: r.state,
  attempts: r.attempts,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: dateOrNull(r.lease_expires_at),
  lastError: r.last_error,
  createdAt: date(r.created_at)
})

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const byRunAfter = (a: Job, b: Job) =>
  a.runAfter.getTime() - b.runAfter.getTime() ||
  a.createdAt.getTime() - b.createdAt.getTime() ||
  compareIds(a.id, b.id)

// Recovered jobs come back in the order their leases expired.
const byOldLease = (a: ExpiredJobRow, b: ExpiredJobRow) =>
  date(a.expired_at).getTime() - date(b.expired_at).getTime() || compareIds(a.id, b.id)

/**
 * `JobQueue` over any PostgreSQL `SqlClient`. Workers of every organization share it, so its
 * statements are not scoped by organization; uniqueness of a fire is the `jobs_fire_key`
 * constraint, and every state change names the lease owner it expects.
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  return JobQueue.of({
    enqueue: (request, now) =>
      sql<JobRow>`INSERT INTO jobs ${sql.insert({
        org_id: request.orgId,
        kind: request.kind,
        target_id: request.targetId,
        model: request.model,
        fire_at: request.fireAt,
        run_after: request.runAfter,
        payload: request.payload === undefined ? null : json(request.payload),
        max_attempts: request.maxAttempts,
        state: "queued",
        created_at: now
      } satisfies Partial<JobRow>)} ON CONFLICT DO NOTHING RETURNING *`.pipe(
        Effect.flatMap(mapRows(toJob)),
        Effect.map((rows) => rows[0] ?? null),
        orStoreError("enqueue")
      ),

    claim: ({ kinds, leaseMs, limit, now, owner }) =>
      kinds.length === 0 || limit <= 0
        ? Effect.succeed([])
        : sql<JobRow>`WITH picked AS (
                SELECT id FROM jobs
                WHERE state = 'queued' AND kind IN ${sql.in(kinds)} AND run_after <= ${now}::timestamptz
                ORDER BY run_after, created_at, id LIMIT ${limit}
                FOR UPDATE SKIP LOCKED)
              UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, lease_owner = ${owner},
                lease_expires_at = ${new Date(now.getTime() + leaseMs)}
              FROM picked WHERE j.id = picked.id
              RETURNING j.*`.pipe(
            Effect.flatMap(mapRows(toJob)),
            Effect.map((jobs) => [...jobs].sort(byRunAfter)),
            orStoreError("claim")
          ),

    heartbeat: (owner, jobIds, leaseUntil) =>
      jobIds.length === 0
        ? Effect.succeed([])
        : sql<Pick<JobRow, "id">>`UPDATE jobs SET lease_expires_at = ${leaseUntil}
            WHERE id IN ${sql.in(jobIds)} AND lease_owner = ${owner} AND state = 'running'
            RETURNING id`.pipe(
            Effect.map((rows) => rows.map((r) => r.id)),
            orStoreError("heartbeat")
          ),

    complete: (owner, jobId, state, now) =>
      sql`UPDATE jobs SET state = ${state}, ended_at = ${now}, lease_expires_at = NULL
          WHERE id = ${jobId} AND lease_owner = ${owner} AND state = 'running'
          RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("complete")
      ),

    // `fail` has no clock argument: a dead-lettered job's end time (for `prune`) is the Clock's.
    fail: (owner, jobId, error, retryAt) =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (millis) => sql`UPDATE jobs SET
            state = CASE WHEN ${retryAt}::timestamptz IS NULL OR attempts >= max_attempts
              THEN 'dead' ELSE 'queued' END,
            ended_at = CASE WHEN ${retryAt}::timestamptz IS NULL OR attempts >= max_attempts
              THEN ${new Date(millis)}::timestamptz END,
            run_after = coalesce(${retryAt}::timestamptz, run_after),
            last_error = ${error}, lease_owner = NULL, lease_expires_at = NULL
          WHERE id = ${jobId} AND lease_owner = ${owner} AND state = 'running'
          RETURNING id`
      ).pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("fail")
      ),

    recoverExpired: (now, limit) =>
      sql<ExpiredJobRow>`WITH expired AS (
            SELECT id, lease_expires_at FROM jobs
            WHERE state = 'running' AND lease_expires_at < ${now}::timestamptz
            ORDER BY lease_expires_at LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
          UPDATE jobs j SET
            state = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'queued' END,
            ended_at = CASE WHEN j.attempts >= j.max_attempts THEN ${now}::timestamptz END,
            last_error = 'lease expired', lease_owner = NULL, lease_expires_at = NULL
          FROM expired WHERE j.id = expired.id
          RETURNING j.*, expired.lease_expires_at AS expired_at`.pipe(
        Effect.map((rows) => [...rows].sort(byOldLease)),
        Effect.flatMap(mapRows(toJob)),
        orStoreError("recoverExpired")
      ),

    get: (jobId) =>
      sql<JobRow>`SELECT * FROM jobs WHERE id = ${jobId}`.pipe(
        Effect.flatMap(mapRows(toJob)),
        Effect.map((rows) => rows[0] ?? null),
        orStoreError("get")
      ),

    depth: sql<{ queued: number; running: number }>`SELECT
          count(*) FILTER (WHERE state = 'queued')::int AS queued,
          count(*) FILTER (WHERE state = 'running')::int AS running
        FROM jobs WHERE state IN ('queued', 'running')`.pipe(
      Effect.map((rows) => ({ queued: rows[0]?.queued ?? 0, running: rows[0]?.running ?? 0 })),
      orStoreError("depth")
    ),

    prune: (before, limit) =>
      sql<{ n: number }>`WITH gone AS (
            DELETE FROM jobs WHERE id IN (
              SELECT id FROM jobs
              WHERE state IN ('done', 'skipped', 'dead') AND ended_at < ${before}::timestamptz
              ORDER BY ended_at LIMIT ${limit})
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
        Effect.map((rows) => rows[0]?.n ?? 0),
        orStoreError("prune")
      )
  })
})

/** Provides `JobQueue` from a `SqlClient`. */
export const layer = Layer.effect(JobQueue, make)
