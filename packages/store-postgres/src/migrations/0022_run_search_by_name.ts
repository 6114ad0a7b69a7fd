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
 * Without `pg_trgm` (migration 0002 logged why), or with it where its operator class is not
 * found, there is no trigram index to build: this migration logs why, keeps any old one, and
 * reasons and ids are matched by a scan.
 *
 * The indexes are built in the migration's transaction, not concurrently, so writes to `runs`
 * wait while they are built: ~17 s at 1M runs on the bench machine. An operator may build them
 * beforehand with `CREATE INDEX CONCURRENTLY` under these names and definitions (hence `IF NOT
 * EXISTS`). The old index is dropped last, since dropping it locks out reads until commit.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.zipRight(
    sql`CREATE INDEX IF NOT EXISTS runs_org_name_sort_idx ON runs (org_id, workflow_name, sort_at, id)`,
    sql
      .withTransaction(
        Effect.zipRight(
          sql`CREATE INDEX IF NOT EXISTS runs_search_other_trgm_idx ON runs
            USING gin ((lower(coalesce(reason, '')) || chr(31) || lower(id)) gin_trgm_ops)`,
          sql`DROP INDEX IF EXISTS runs_search_trgm_idx`
        )
      )
      .pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("pg_trgm is not available: run search will scan reasons and ids", error)
        )
      )
  )
)
