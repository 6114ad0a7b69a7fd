import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Run search finds a workflow name's runs through a btree, newest first, and only reasons and
 * ids through the trigram index.
 *
 * A trigram index yields its matches in no useful order, so a term found in many runs that are
 * all old (the name of a retired or renamed workflow) had every match read from the heap to
 * sort them: 26,807 rows, 22,407 pages and ~190 ms at the reads-at-scale bench's 1M runs. An
 * organization has few distinct workflow names, though; `searchRuns` now lists them by a skip
 * scan of `runs_org_name_sort_idx`, matches the term against each, and reads each matching
 * name's newest runs from the same index. Only the reason and the id are left to the trigram
 * index (`runs_search_other_trgm_idx`, its expression repeated exactly in `searchRuns`, or the
 * planner will not use it), and the trigram index of `search_text`, names included, goes.
 *
 * Without `pg_trgm` (migration 0002 logged why) there is no trigram index to replace: the
 * reason and the id are then matched by a scan, as every term was.
 *
 * The indexes are built in the migration's transaction, not concurrently, so writes to `runs`
 * wait while they are built: ~17 s at 1M runs on the bench machine.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.gen(function* () {
    yield* sql`CREATE INDEX runs_org_name_sort_idx ON runs (org_id, workflow_name, sort_at, id)`
    const trigrams = yield* sql`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`
    if (trigrams.length === 0) return
    yield* sql`CREATE INDEX runs_search_other_trgm_idx ON runs
      USING gin ((lower(coalesce(reason, '')) || chr(31) || lower(id)) gin_trgm_ops)`
    yield* sql`DROP INDEX IF EXISTS runs_search_trgm_idx`
  })
)
