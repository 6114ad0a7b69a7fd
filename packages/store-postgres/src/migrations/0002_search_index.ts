import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * A trigram index for run search (`search_text LIKE '%term%'`), when the `pg_trgm` extension
 * can be created (it ships with PostgreSQL's contrib and is trusted, so a database owner may
 * create it; the PGlite client loads it). Without it, search still works by scanning an
 * organization's runs newest first, and this migration only logs why the index is missing.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql
    .withTransaction(
      Effect.zipRight(
        sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`,
        sql`CREATE INDEX runs_search_trgm_idx ON runs USING gin (search_text gin_trgm_ops)`
      )
    )
    .pipe(
      Effect.catchAll((error) =>
        Effect.logWarning("pg_trgm is not available: run search will scan instead of using an index", error)
      )
    )
)
