import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * A run's tool calls become one JSON document per run instead of one row per call.
 *
 * Every read takes a run's calls whole and in order (a run, a stale run, coverage's 50 newest
 * runs of a server); nothing filters or sorts single calls. As rows, the 20 calls of a run cost
 * 20 heap tuples, 20 primary-key entries, 20 foreign-key checks and a jsonb conversion of each
 * field: ~85% of the database work of ingesting a run (EXPLAIN ANALYZE and backend CPU time,
 * bench of 2026-12-02). One compressed `json` value per run (stored as sent, never parsed into
 * jsonb: nothing looks inside it in SQL) halves the statement's cost, shrinks the table several
 * times and is returned to readers without being rebuilt.
 *
 * Existing calls are moved over in their domain shape (the keys `ToolCall` has), then the old
 * table is dropped. lz4 compresses and decompresses several times faster than pglz; servers
 * built without it (and PGlite) keep pglz.
 *
 * `armature_insert_runs(json)` is the run insert of `RunStore` (one run or a batch of an import):
 * PL/pgSQL keeps the statement's plan for the session, where sent as a statement it was parsed,
 * analysed and planned on every call (`@effect/sql-pg` does not name statements): ~0.25 ms, a
 * third or more of the database's CPU for a one-run insert. Its argument is a JSON array of run
 * records keyed by column (`runRecords` in `internal/runRows.ts`); `calls` is the run's tool
 * calls, or null. It returns the ids it inserted: a run whose id exists is skipped with its
 * calls, and ON CONFLICT DO NOTHING waits for a concurrent insert of the same id to end, so
 * exactly one of concurrent inserts creates the run. The document is expanded once
 * (MATERIALIZED) for both inserts. A later migration that changes the columns of `runs`
 * replaces this function too.
 */
const statements = [
  `CREATE TABLE run_tool_calls (
    run_id text COLLATE "C" PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    org_id text COLLATE "C" NOT NULL,
    calls json NOT NULL
  )`,
  `DO $$ BEGIN
    ALTER TABLE run_tool_calls ALTER COLUMN calls SET COMPRESSION lz4;
  EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: tool calls are compressed with pglz';
  END $$`,
  `INSERT INTO run_tool_calls (run_id, org_id, calls)
    SELECT run_id, min(org_id), json_agg(json_build_object(
        'id', call_id, 'phase', phase, 'step', step, 'name', name, 'arguments', arguments,
        'content', content, 'structuredContent', structured_content, 'isError', is_error,
        'refused', refused, 'error', error, 'startedAt', started_at, 'durationMs', duration_ms)
      ORDER BY seq)
    FROM tool_calls
    GROUP BY run_id`,
  `DROP TABLE tool_calls`,
  `CREATE FUNCTION armature_insert_runs(json) RETURNS SETOF text LANGUAGE plpgsql AS $$
  BEGIN
    RETURN QUERY
    WITH x AS MATERIALIZED (
      SELECT * FROM json_to_recordset($1) AS x(id text, org_id text, workflow_id text,
        workflow_version_id text, workflow_version integer, workflow_name text, mcp_server_id text,
        tester_model text, judge_model text, trigger text, reason text, idempotency_key text,
        baseline_run_id text, sample_group_id text, fire_at timestamptz, attempt integer,
        status text, created_at timestamptz, started_at timestamptz, finished_at timestamptz,
        duration_ms double precision, final_answer text, trace jsonb, criteria jsonb,
        assertions jsonb, usage jsonb, cost_usd double precision, server_info jsonb,
        catalog_hash text, error jsonb, calls json)),
    inserted AS (
      INSERT INTO runs (id, org_id, workflow_id, workflow_version_id, workflow_version,
        workflow_name, mcp_server_id, tester_model, judge_model, trigger, reason, idempotency_key,
        baseline_run_id, sample_group_id, fire_at, attempt, status, created_at, started_at,
        finished_at, duration_ms, final_answer, trace, criteria, assertions, usage, cost_usd,
        server_info, catalog_hash, error)
      SELECT x.id, x.org_id, x.workflow_id, x.workflow_version_id, x.workflow_version,
        x.workflow_name, x.mcp_server_id, x.tester_model, x.judge_model, x.trigger, x.reason,
        x.idempotency_key, x.baseline_run_id, x.sample_group_id, x.fire_at, x.attempt, x.status,
        x.created_at, x.started_at, x.finished_at, x.duration_ms, x.final_answer, x.trace,
        x.criteria, x.assertions, x.usage, x.cost_usd, x.server_info, x.catalog_hash, x.error
      FROM x
      ON CONFLICT (id) DO NOTHING
      RETURNING runs.id, runs.org_id),
    calls AS (
      INSERT INTO run_tool_calls (run_id, org_id, calls)
      SELECT x.id, inserted.org_id, x.calls FROM x JOIN inserted ON inserted.id = x.id
      WHERE x.calls IS NOT NULL)
    SELECT inserted.id::text FROM inserted;
  END
  $$`
]

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
)
