import {
  CheckOutcome,
  type Monitor,
  type MonitorCheck,
  MonitorStore,
  StoredMonitorState
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import * as Column from "../internal/columns.js"
import {
  date,
  dateOrNull,
  fromJson,
  json,
  mapRows,
  orConflict,
  orStoreError,
  pageOf,
  storable
} from "../internal/sql.js"

/** A row of `monitors` as the drivers return it. */
const MonitorRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  name: Column.text,
  mcp_server_id: Column.text,
  auth_profile_id: Column.nullable(Column.text),
  tool_name: Column.text,
  arguments: Column.json,
  assertions: Column.json,
  next_steps: Column.json,
  interval_seconds: Column.integer,
  timeout_ms: Column.integer,
  degraded_above_ms: Column.nullable(Column.integer),
  fail_above_ms: Column.nullable(Column.integer),
  retries: Column.integer,
  state: StoredMonitorState,
  muted: Column.boolean,
  allow_destructive: Column.boolean,
  next_check_at: Column.timestamptz,
  last_outcome: Column.nullable(CheckOutcome),
  last_checked_at: Column.nullable(Column.timestamptz),
  muted_until: Column.nullable(Column.timestamptz),
  created_at: Column.timestamptz,
  updated_at: Column.timestamptz
})
type MonitorRow = typeof MonitorRow.Type

/** A row of `monitor_checks` as the drivers return it. */
const CheckRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  monitor_id: Column.text,
  scheduled_at: Column.timestamptz,
  started_at: Column.timestamptz,
  outcome: CheckOutcome,
  latency_ms: Column.double,
  error: Column.nullable(Column.text),
  result_excerpt: Column.nullable(Column.text),
  attempts: Column.integer
})
type CheckRow = typeof CheckRow.Type

/** What the monitor lists read of a check (`recentChecks` adds its monitor). */
type SampleRow = Pick<CheckRow, "outcome" | "latency_ms" | "started_at">

const toMonitor = (r: MonitorRow): Monitor => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  mcpServerId: r.mcp_server_id,
  authProfileId: r.auth_profile_id,
  toolName: r.tool_name,
  arguments: fromJson(r.arguments),
  assertions: fromJson(r.assertions ?? []),
  // Steps stored before assertions existed have none.
  nextSteps: fromJson<Monitor["nextSteps"]>(r.next_steps).map((s) => ({
    ...s,
    assertions: s.assertions ?? []
  })),
  intervalSeconds: r.interval_seconds,
  timeoutMs: r.timeout_ms,
  degradedAboveMs: r.degraded_above_ms,
  failAboveMs: r.fail_above_ms ?? null,
  retries: r.retries,
  state: r.state,
  muted: r.muted,
  allowDestructive: r.allow_destructive,
  nextCheckAt: date(r.next_check_at),
  lastOutcome: r.last_outcome,
  lastCheckedAt: dateOrNull(r.last_checked_at),
  mutedUntil: dateOrNull(r.muted_until),
  createdAt: date(r.created_at),
  updatedAt: date(r.updated_at)
})

const monitorColumns = (m: Monitor): Omit<MonitorRow, "id" | "org_id" | "created_at"> => ({
  name: m.name,
  mcp_server_id: m.mcpServerId,
  auth_profile_id: m.authProfileId,
  tool_name: m.toolName,
  arguments: json(m.arguments),
  assertions: json(m.assertions),
  next_steps: json(m.nextSteps),
  interval_seconds: m.intervalSeconds,
  timeout_ms: m.timeoutMs,
  degraded_above_ms: m.degradedAboveMs,
  fail_above_ms: m.failAboveMs,
  retries: m.retries,
  state: m.state,
  muted: m.muted,
  allow_destructive: m.allowDestructive,
  next_check_at: m.nextCheckAt,
  last_outcome: m.lastOutcome,
  last_checked_at: m.lastCheckedAt,
  muted_until: m.mutedUntil,
  updated_at: m.updatedAt
})

const toCheck = (r: CheckRow): MonitorCheck => ({
  id: r.id,
  orgId: r.org_id,
  monitorId: r.monitor_id,
  scheduledAt: date(r.scheduled_at),
  startedAt: date(r.started_at),
  outcome: r.outcome,
  latencyMs: r.latency_ms,
  error: r.error,
  resultExcerpt: r.result_excerpt,
  attempts: r.attempts
})

const monitorConflicts = { monitors_org_name_key: "name", monitors_pkey: "id" }

/** `MonitorStore` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // A statement that may fail with Conflict runs in a savepoint inside a caller's transaction,
  // so the caller can handle the Conflict and go on (a failed statement aborts a transaction).
  const atomic = sql.withTransaction

  return MonitorStore.of({
    insertMonitor: (m) =>
      atomic(
        sql`INSERT INTO monitors ${sql.insert({
          id: m.id,
          org_id: m.orgId,
          ...monitorColumns(m),
          created_at: m.createdAt
        } satisfies MonitorRow)}`
      ).pipe(Effect.asVoid, orConflict("insertMonitor", monitorConflicts)),
    // An archived monitor changes no more: a write that read it before it was archived is lost.
    updateMonitor: (m) =>
      atomic(sql`UPDATE monitors SET ${sql.update(monitorColumns(m))}
          WHERE org_id = ${m.orgId} AND id = ${m.id} AND state <> 'archived'`).pipe(
        Effect.asVoid,
        orConflict("updateMonitor", monitorConflicts)
      ),
    getMonitor: (orgId, id) =>
      sql<MonitorRow>`SELECT * FROM monitors WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.flatMap(mapRows(toMonitor)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getMonitor")
      ),
    listMonitors: (orgId, filter) => {
      const page = pageOf(sql, filter?.page)
      return sql<MonitorRow>`SELECT * FROM monitors WHERE org_id = ${orgId}
          ${filter?.mcpServerId === undefined ? sql`` : sql`AND mcp_server_id = ${filter.mcpServerId}`}
          ${filter?.includeArchived === true ? sql`` : sql`AND state <> 'archived'`}
          ${filter?.state === undefined ? sql`` : sql`AND state = ${filter.state}`}
          ${page.after} ORDER BY created_at, id ${page.limit}`.pipe(
        Effect.flatMap(mapRows(toMonitor)),
        orStoreError("listMonitors")
      )
    },
    archiveMonitor: (orgId, id, at) =>
      sql`UPDATE monitors SET state = 'archived', updated_at = ${at}
          WHERE org_id = ${orgId} AND id = ${id} AND state <> 'archived' RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("archiveMonitor")
      ),

    // One statement claims and reschedules: rows locked by another scheduler are skipped, and
    // the next check moves to the first slot after `now` (late fires are not backfilled).
    claimDue: (now, limit) =>
      sql<MonitorRow & { readonly due_at: Date }>`WITH due AS (
            SELECT id, next_check_at FROM monitors
            WHERE state = 'active' AND next_check_at <= ${now}::timestamptz
            ORDER BY next_check_at, id LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
          UPDATE monitors m
          SET next_check_at = due.next_check_at + make_interval(secs => m.interval_seconds::double precision
            * (floor(extract(epoch FROM (${now}::timestamptz - due.next_check_at)) / m.interval_seconds) + 1))
          FROM due WHERE m.id = due.id
          RETURNING m.*, due.next_check_at AS due_at`.pipe(
        Effect.flatMap(mapRows((r) => ({ monitor: toMonitor(r), dueAt: date(r.due_at) }))),
        Effect.map((claims) =>
          [...claims].sort(
            (a, b) =>
              a.dueAt.getTime() - b.dueAt.getTime() ||
              (a.monitor.id < b.monitor.id ? -1 : a.monitor.id > b.monitor.id ? 1 : 0)
          )
        ),
        orStoreError("claimDue")
      ),

    // One statement, no savepoint: it runs in the hot path of every monitor check, inside the
    // caller's transaction. The UPDATE sees the INSERT's RETURNING, so a duplicate changes nothing.
    insertCheck: (c) =>
      sql<{ readonly inserted: number }>`WITH ins AS (
            INSERT INTO monitor_checks ${sql.insert({
              id: c.id,
              org_id: c.orgId,
              monitor_id: c.monitorId,
              scheduled_at: c.scheduledAt,
              started_at: c.startedAt,
              outcome: c.outcome,
              latency_ms: c.latencyMs,
              // A tool's result and error text are the MCP server's own words (U+0000 included).
              error: storable(c.error),
              result_excerpt: storable(c.resultExcerpt),
              attempts: c.attempts
            } satisfies CheckRow)} ON CONFLICT DO NOTHING RETURNING monitor_id),
          upd AS (
            UPDATE monitors SET last_outcome = ${c.outcome}, last_checked_at = ${c.startedAt}
            WHERE org_id = ${c.orgId} AND id IN (SELECT monitor_id FROM ins)
              -- A late writer of an older check must not overwrite a newer outcome.
              AND (last_checked_at IS NULL OR last_checked_at <= ${c.startedAt}::timestamptz))
          SELECT count(*)::int AS inserted FROM ins`.pipe(
        Effect.map((rows) => (rows[0]?.inserted ?? 0) > 0),
        orStoreError("insertCheck")
      ),

    listChecks: (orgId, monitorId, options) =>
      sql<CheckRow>`SELECT * FROM monitor_checks WHERE org_id = ${orgId} AND monitor_id = ${monitorId}
          ${options.since === undefined ? sql`` : sql`AND started_at >= ${options.since}::timestamptz`}
          ORDER BY started_at DESC, id DESC LIMIT ${Math.max(0, options.limit)}`.pipe(
        Effect.flatMap(mapRows(toCheck)),
        orStoreError("listChecks")
      ),
    // One index range scan per monitor (monitor_id, started_at), all in one statement.
    recentChecks: (orgId, monitorIds, perMonitor) =>
      monitorIds.length === 0 || perMonitor <= 0
        ? Effect.succeed([])
        : sql<
            SampleRow & Pick<CheckRow, "monitor_id">
          >`SELECT m.id AS monitor_id, c.outcome, c.latency_ms, c.started_at
              FROM monitors m CROSS JOIN LATERAL (
                SELECT outcome, latency_ms, started_at FROM monitor_checks
                WHERE monitor_id = m.id AND org_id = m.org_id
                ORDER BY started_at DESC, id DESC LIMIT ${perMonitor}) c
              WHERE m.org_id = ${orgId} AND m.id IN ${sql.in(monitorIds)}
              ORDER BY m.id, c.started_at DESC`.pipe(
            Effect.flatMap(
              mapRows((r) => ({
                monitorId: r.monitor_id,
                outcome: r.outcome,
                latencyMs: r.latency_ms,
                startedAt: date(r.started_at)
              }))
            ),
            orStoreError("recentChecks")
          ),
    checkSamples: (orgId, monitorId, since) =>
      sql<SampleRow>`SELECT outcome, latency_ms, started_at FROM monitor_checks
          WHERE org_id = ${orgId} AND monitor_id = ${monitorId} AND started_at >= ${since}::timestamptz
          ORDER BY started_at DESC, id DESC`.pipe(
        Effect.flatMap(
          mapRows((r) => ({
            outcome: r.outcome,
            latencyMs: r.latency_ms,
            startedAt: date(r.started_at)
          }))
        ),
        orStoreError("checkSamples")
      ),
    // Batches keep each delete short; the BRIN index finds old rows without a large btree.
    pruneChecks: (before, limit) =>
      sql<{ n: number }>`WITH gone AS (
            DELETE FROM monitor_checks WHERE ctid = ANY (ARRAY(
              SELECT ctid FROM monitor_checks WHERE started_at < ${before}::timestamptz LIMIT ${limit}))
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
        Effect.map((rows) => rows[0]?.n ?? 0),
        orStoreError("pruneChecks")
      )
  })
})

/** Provides `MonitorStore` from a `SqlClient`. */
export const layer = Layer.effect(MonitorStore, make)
