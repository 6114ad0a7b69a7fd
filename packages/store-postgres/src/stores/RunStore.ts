import {
  decodeRunCursor,
  encodeRunCursor,
  type PassCounts,
  type RecentToolCall,
  type Run,
  RunStore,
  StoreError
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer, Option } from "effect"
import { recentCallsCache, recentCallsKey } from "../internal/recentCallsCache.js"
import {
  callsParameters,
  containsPattern,
  type RunRow,
  type RunWithCallsRow,
  runRecords,
  runRow,
  type SummaryRow,
  summaryColumns,
  toRecentCalls,
  toRun,
  toSummary,
  toToolCalls
} from "../internal/runRows.js"
import { date, dateOrNull, mapRows, orStoreError } from "../internal/sql.js"

/** A coverage input: a terminal run's identity. */
type RecentRunRow = Pick<RunRow, "id" | "workflow_id" | "started_at">

/** Its tool calls as `RecentCallTuple`s: a JSON array, as text. */
interface RecentCallsRow {
  readonly run_id: string
  readonly calls: string
}

/** One day of terminal runs by status (`dailyPassCounts`). */
interface DailyCountsRow {
  readonly day: Date
  readonly pass: number
  readonly partial: number
  readonly fail: number
  readonly error: number
}

/** One workflow's terminal runs by status, with its newest (`passCounts`). */
interface PassCountsRow extends Omit<DailyCountsRow, "day"> {
  readonly workflow_id: string
  readonly last_run_at: Date | null
  readonly last_status: PassCounts["lastStatus"]
}

const terminal = ["pass", "fail", "partial", "error"] as const
const active = ["pending", "running"] as const

/** How many of the newest candidate runs a search term is first looked for in (`searchRuns`). */
const searchWindow = 1_000
/** Matches by reason or id among them from which such matches are common lately (`searchRuns`). */
const fewMatches = 3

/** Statements shared by the port and the bulk import. */
const statements = (sql: SqlClient.SqlClient) => {
  /**
   * Inserts runs with their tool calls in one statement (atomic without a transaction), through
   * `armature_insert_runs` (migration 0003: its plan is kept per session). Returns the ids
   * inserted; runs whose id exists are skipped with their calls.
   */
  const insertRuns = (runs: ReadonlyArray<Run>): Effect.Effect<ReadonlyArray<string>, SqlError> =>
    Effect.map(
      sql<{ id: string }>`SELECT id FROM armature_insert_runs(${runRecords(runs)}::json) AS inserted (id)`,
      (rows) => rows.map((r) => r.id)
    )

  const toRuns = mapRows((r: RunWithCallsRow) => toRun(r, toToolCalls(r.calls)))

  // The calls' row is looked up by primary key; the organization condition repeats the run's.
  const load = (orgId: string, id: string) =>
    sql<RunWithCallsRow>`SELECT r.*, c.calls FROM runs r
        LEFT JOIN run_tool_calls c ON c.run_id = r.id AND c.org_id = r.org_id
        WHERE r.org_id = ${orgId} AND r.id = ${id}`.pipe(
      Effect.flatMap(toRuns),
      Effect.map((runs) => Option.fromNullable(runs[0]))
    )

  return { insertRuns, load, toRuns }
}

/** `RunStore` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const { insertRuns, load, toRuns } = statements(sql)
  const parsedCalls = recentCallsCache()

  return RunStore.of({
    insertRun: (run) =>
      Effect.gen(function* () {
        const inserted = yield* insertRuns([run])
        if (inserted.length > 0) return { run, created: true }
        const existing = yield* load(run.orgId, run.id)
        if (Option.isNone(existing)) {
          return yield* new StoreError({ message: "insertRun: the run id is taken by another organization" })
        }
        return { run: existing.value, created: false }
      }).pipe(orStoreError("insertRun")),

    // One statement (atomic without a transaction, no savepoint inside a caller's): the run's
    // calls are replaced only when the run was updated. The status condition re-checks after any
    // row lock wait: a run that became terminal meanwhile is left alone. A run without calls (one
    // starting) takes the shorter statement: less for PostgreSQL to plan on every call.
    updateRun: (run) => {
      const { id: _id, org_id: _org, ...columns } = runRow(run)
      const calls = callsParameters(run)
      const updated = sql`UPDATE runs SET ${sql.update(columns)}
            WHERE org_id = ${run.orgId} AND id = ${run.id} AND status IN ${sql.in(active)}
            RETURNING id, org_id`
      return (
        calls === null
          ? sql`WITH updated AS (${updated}),
              cleared AS (DELETE FROM run_tool_calls WHERE run_id IN (SELECT id FROM updated))
              SELECT id FROM updated`
          : sql`WITH updated AS (${updated}),
              saved AS (
                INSERT INTO run_tool_calls (run_id, org_id, calls, recent)
                SELECT id, org_id, ${calls.calls}::json, ${calls.recent}::json FROM updated
                ON CONFLICT (run_id) DO UPDATE SET calls = excluded.calls, recent = excluded.recent)
              SELECT id FROM updated`
      ).pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("updateRun")
      )
    },

    getRun: (orgId, id) => load(orgId, id).pipe(orStoreError("getRun")),

    searchRuns: (orgId, filter) =>
      Effect.gen(function* () {
        // Runs.search refuses a cursor that is not one; one that reaches a store anyway starts the list over.
        const position = filter.cursor === undefined ? undefined : decodeRunCursor(filter.cursor)
        const limit = Math.max(0, Math.floor(filter.limit))
        const conditions = [
          sql`org_id = ${orgId}`,
          ...(filter.workflowId === undefined ? [] : [sql`workflow_id = ${filter.workflowId}`]),
          ...(filter.mcpServerId === undefined ? [] : [sql`mcp_server_id = ${filter.mcpServerId}`]),
          ...(filter.status === undefined ? [] : [sql`status = ${filter.status}`]),
          ...(filter.before === undefined ? [] : [sql`sort_at < ${filter.before}::timestamptz`]),
          ...(filter.after === undefined ? [] : [sql`sort_at >= ${filter.after}::timestamptz`]),
          ...(position === undefined
            ? []
            : [sql`(sort_at, id) < (${position.sortAt}::timestamptz, ${position.id})`])
        ]
        /** The page of `limit` in `rows` (up to `limit + 1`, the next page's first telling there is one). */
        const page = (rows: ReadonlyArray<SummaryRow>) => {
          const items = rows.slice(0, limit)
          const last = items.at(-1)
          return Effect.map(mapRows(toSummary)(items), (items) => ({
            items,
            nextCursor:
              rows.length > limit && last
                ? encodeRunCursor({ sortAt: date(last.sort_at), id: last.id })
                : null
          }))
        }
        const columns = sql.literal(summaryColumns)
        const where = sql.and(conditions)
        if (filter.search === undefined || filter.search === "")
          return yield* page(
            yield* sql<SummaryRow>`SELECT ${columns} FROM runs WHERE ${where}
              ORDER BY sort_at DESC, id DESC LIMIT ${limit + 1}`
          )
        // `search_text` separates the fields with U+001F so that a term cannot span two of them:
        // a term holding it matches no run, as in the in-memory store, whichever path it takes.
        if (filter.search.includes("\u001f")) return yield* page([])
        const pattern = containsPattern(filter.search)
        // The planner estimates a term's matches over the whole table, not where they are: a term
        // of old runs only (a renamed workflow, last month's deploy note) looked common enough
        // to filter the newest-first scan, which then read ~770k of 1M runs (2.5 s, reads-at-scale
        // bench). So the newest `searchWindow` candidates are filtered first, stopping once the
        // page is full: any match further back is older than all of them. Each match says
        // whether its name matched, for the plan of the other fields below.
        const recent = yield* sql<SummaryRow & { readonly named: boolean }>`SELECT ${columns},
            lower(workflow_name) LIKE lower(${pattern}) AS named FROM (
              SELECT ${columns}, search_text FROM runs WHERE ${where}
              ORDER BY sort_at DESC, id DESC LIMIT ${searchWindow}) recent
          WHERE search_text LIKE lower(${pattern}) ORDER BY sort_at DESC, id DESC LIMIT ${limit + 1}`
        if (recent.length > limit) return yield* page(recent)
        // Otherwise names and the other fields are looked up apart (migration 0022). Names: the
        // organization's distinct workflow names by a skip scan of `runs_org_name_sort_idx`, and
        // each matching name's newest runs from the same index, however old. Reasons and ids,
        // in runs whose name does not match: a term matched there at least `fewMatches` times
        // lately gets the planner's plan (the newest-first scan soon fills the page); a rarer one
        // has its matches from the trigram index, each read and sorted, materialized so that the
        // planner cannot choose that scan for a term it wrongly thinks common.
        const otherLately = recent.filter((r) => !r.named).length
        const other = sql`SELECT ${columns} FROM runs WHERE ${where}
            AND (lower(coalesce(reason, '')) || chr(31) || lower(id)) LIKE lower(${pattern})
            AND lower(workflow_name) NOT LIKE lower(${pattern})`
        const byOther =
          otherLately >= fewMatches
            ? sql`by_other AS (${other} ORDER BY sort_at DESC, id DESC LIMIT ${limit + 1})`
            : sql`by_other AS MATERIALIZED (${other})`
        return yield* page(
          yield* sql<SummaryRow>`WITH RECURSIVE names AS (
                (SELECT workflow_name AS name FROM runs WHERE org_id = ${orgId} ORDER BY workflow_name LIMIT 1)
                UNION ALL
                SELECT (SELECT workflow_name FROM runs WHERE org_id = ${orgId} AND workflow_name > names.name
                    ORDER BY workflow_name LIMIT 1)
                  FROM names WHERE names.name IS NOT NULL),
              by_name AS (
                SELECT ${columns} FROM names CROSS JOIN LATERAL (
                    SELECT ${columns} FROM runs WHERE ${where} AND workflow_name = names.name
                    ORDER BY sort_at DESC, id DESC LIMIT ${limit + 1}) named
                  WHERE lower(names.name) LIKE lower(${pattern})),
              ${byOther}
            SELECT ${columns} FROM (SELECT * FROM by_name UNION ALL SELECT * FROM by_other) found
            ORDER BY sort_at DESC, id DESC LIMIT ${limit + 1}`
        )
      }).pipe(orStoreError("searchRuns")),

    findActiveRun: (orgId, workflowId, testerModel) =>
      sql<SummaryRow>`SELECT ${sql.literal(summaryColumns)} FROM runs
          WHERE org_id = ${orgId} AND workflow_id = ${workflowId} AND tester_model = ${testerModel}
            AND status IN ${sql.in(active)}
          ORDER BY sort_at DESC LIMIT 1`.pipe(
        Effect.flatMap(mapRows(toSummary)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("findActiveRun")
      ),

    // The newest terminal runs come from the (org, server, sort_at) index; their calls from the
    // cache, or else from the `recent` projection (migration 0021) by primary key, parsed once:
    // what `RecentToolCall` holds, one `RecentCallTuple` a call, without the results (~450 KB of
    // whole calls for 50 runs at the reads-at-scale bench) and without parsing the stored calls.
    // A row written before 0021 has no projection: its fields are picked out of `calls` in the
    // same shape, each selected as `json` so that its stored text is copied as is, not unescaped
    // into `text` and encoded again.
    recentToolCalls: (orgId, mcpServerId, limit) =>
      Effect.gen(function* () {
        const runs = yield* sql<RecentRunRow>`SELECT id, workflow_id, started_at FROM runs
            WHERE org_id = ${orgId} AND mcp_server_id = ${mcpServerId} AND status IN ${sql.in(terminal)}
            ORDER BY sort_at DESC, id DESC LIMIT ${limit}`
        const keyOf = (r: RecentRunRow) => recentCallsKey(orgId, r.id, dateOrNull(r.started_at))
        const calls = new Map<string, ReadonlyArray<RecentToolCall>>()
        for (const r of runs) {
          const cached = parsedCalls.get(keyOf(r))
          if (cached !== undefined) calls.set(r.id, cached)
        }
        const missing = runs.filter((r) => !calls.has(r.id))
        if (missing.length > 0) {
          const rows = yield* sql<RecentCallsRow>`SELECT run_id, coalesce(recent,
                (SELECT json_agg(json_build_array(x.id, x.name, x.arguments, x."isError", x.refused, x.error,
                      x."startedAt") ORDER BY x.n)
                  FROM ROWS FROM (json_to_recordset(calls) AS (id json, name json, arguments json,
                      "isError" json, refused json, error json, "startedAt" json))
                    WITH ORDINALITY AS x(id, name, arguments, "isError", refused, error, "startedAt", n)))::text AS calls
              FROM run_tool_calls WHERE org_id = ${orgId} AND run_id IN ${sql.in(missing.map((r) => r.id))}`
          // As text, parsed here once: its length is what the cache counts.
          const stored = new Map(rows.map((r) => [r.run_id, r.calls]))
          // A terminal run without a row has no calls, and never will.
          const parsed = yield* mapRows((r: RecentRunRow) => toRecentCalls(stored.get(r.id) ?? null))(missing)
          // Inside a transaction a run just written may yet roll back, and its retry differ.
          const settled = Option.isNone(yield* Effect.serviceOption(SqlClient.TransactionConnection))
          missing.forEach((r, i) => {
            calls.set(r.id, parsed[i]!)
            if (settled)
              parsedCalls.set(keyOf(r), parsed[i]!, { size: Math.max(1, stored.get(r.id)?.length ?? 0) })
          })
        }
        return runs.flatMap((r) => {
          const runStartedAt = dateOrNull(r.started_at)
          return (calls.get(r.id) ?? []).map((call) => ({
            runId: r.id,
            workflowId: r.workflow_id,
            runStartedAt,
            call
          }))
        })
      }).pipe(orStoreError("recentToolCalls")),

    dailyPassCounts: (orgId, since) =>
      sql<DailyCountsRow>`SELECT date_trunc('day', sort_at, 'UTC') AS day,
            count(*) FILTER (WHERE status = 'pass')::int AS pass,
            count(*) FILTER (WHERE status = 'partial')::int AS partial,
            count(*) FILTER (WHERE status = 'fail')::int AS fail,
            count(*) FILTER (WHERE status = 'error')::int AS error
          FROM runs
          WHERE org_id = ${orgId} AND sort_at >= ${since}::timestamptz AND status IN ${sql.in(terminal)}
          GROUP BY 1 ORDER BY 1`.pipe(
        Effect.flatMap(
          mapRows((r: DailyCountsRow) => ({
            day: date(r.day),
            pass: r.pass,
            partial: r.partial,
            fail: r.fail,
            error: r.error
          }))
        ),
        orStoreError("dailyPassCounts")
      ),
    passCounts: (orgId, since) =>
      sql<PassCountsRow>`SELECT workflow_id,
            count(*) FILTER (WHERE status = 'pass')::int AS pass,
            count(*) FILTER (WHERE status = 'partial')::int AS partial,
            count(*) FILTER (WHERE status = 'fail')::int AS fail,
            count(*) FILTER (WHERE status = 'error')::int AS error,
            max(sort_at) AS last_run_at,
            (array_agg(status ORDER BY sort_at DESC, id DESC))[1] AS last_status
          FROM runs
          WHERE org_id = ${orgId} AND sort_at >= ${since}::timestamptz AND status IN ${sql.in(terminal)}
          GROUP BY workflow_id
          ORDER BY workflow_id`.pipe(
        Effect.flatMap(
          mapRows(
            (r: PassCountsRow): PassCounts => ({
              workflowId: r.workflow_id,
              pass: r.pass,
              partial: r.partial,
              fail: r.fail,
              error: r.error,
              lastRunAt: dateOrNull(r.last_run_at),
              lastStatus: r.last_status
            })
          )
        ),
        orStoreError("passCounts")
      ),

    // Recovery scans every organization (documented by the port).
    listStale: (before, limit) =>
      sql<RunWithCallsRow>`SELECT r.*, c.calls FROM runs r
          LEFT JOIN run_tool_calls c ON c.run_id = r.id AND c.org_id = r.org_id
          WHERE r.status IN ${sql.in(active)} AND r.sort_at < ${before}::timestamptz
          ORDER BY r.sort_at, r.id LIMIT ${limit}`.pipe(Effect.flatMap(toRuns), orStoreError("listStale")),

    pruneRuns: (before, limit) =>
      sql<{ n: number }>`WITH gone AS (
            DELETE FROM runs WHERE id IN (
              SELECT id FROM runs WHERE status IN ${sql.in(terminal)} AND finished_at < ${before}::timestamptz
              ORDER BY finished_at LIMIT ${limit})
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
        Effect.map((rows) => rows[0]?.n ?? 0),
        orStoreError("pruneRuns")
      )
  })
})

/** Provides `RunStore` from a `SqlClient`. */
export const layer = Layer.effect(RunStore, make)

/**
 * Imports many runs at once, 500 per statement (history imports, benchmark seeding); runs whose
 * id exists are skipped. Two statements are in flight, so that encoding one batch overlaps the
 * database writing the previous one (+30% measured); within a transaction they share its
 * connection and run one after the other. Returns how many were inserted.
 */
export const importRuns = (
  runs: ReadonlyArray<Run>
): Effect.Effect<number, StoreError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const { insertRuns } = statements(sql)
    // An id twice in one statement would insert its tool calls twice; like an existing id, a
    // repeat is skipped (the first one is kept).
    const seen = new Set<string>()
    const unique = runs.filter((run) => !seen.has(run.id) && seen.add(run.id))
    const batches = Array.from({ length: Math.ceil(unique.length / 500) }, (_, i) =>
      unique.slice(i * 500, (i + 1) * 500)
    )
    const inserted = yield* Effect.forEach(batches, insertRuns, { concurrency: 2 })
    return inserted.reduce((n, ids) => n + ids.length, 0)
  }).pipe(orStoreError("importRuns"))
