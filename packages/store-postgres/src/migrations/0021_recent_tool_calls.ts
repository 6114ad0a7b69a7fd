import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * `run_tool_calls.recent`: a run's tool calls as coverage reads them, written with the calls.
 *
 * Coverage (and the organization's health) reads the calls of a server's 50 newest runs, but of
 * each call only what `RecentToolCall` holds — never its result. Picking those fields out of the
 * stored `calls` made PostgreSQL decompress and parse each run's whole document (~9 KB at the
 * reads-at-scale bench: ~3 ms of its CPU a report, most of what the report cost it). `recent`
 * holds just them, one JSON array `[id, name, arguments, isError, refused, error, startedAt]`
 * per call (`recentDocument` in `internal/runRows.ts`), written by the statements that write
 * `calls`.
 *
 * Rows from before this migration (or from a replica still running the previous version during
 * a rolling deploy) have none, and the reader falls back to picking the fields out of `calls`.
 * Nothing is backfilled: on a large history that would rewrite the whole table at startup, and
 * coverage reads only a server's newest runs, which new runs soon replace.
 *
 * `armature_insert_runs` (migration 0003) takes `recent` in each run record.
 */
const statements = [
  "ALTER TABLE run_tool_calls ADD COLUMN recent json",
  `CREATE OR REPLACE FUNCTION armature_insert_runs(json) RETURNS SETOF text LANGUAGE plpgsql AS $$
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
        catalog_hash text, error jsonb, calls json, recent json)),
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
      INSERT INTO run_tool_calls (run_id, org_id, calls, recent)
      SELECT x.id, inserted.org_id, x.calls, x.recent FROM x JOIN inserted ON inserted.id = x.id
      WHERE x.calls IS NOT NULL)
    SELECT inserted.id::text FROM inserted;
  END
  $$`
]

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
)
