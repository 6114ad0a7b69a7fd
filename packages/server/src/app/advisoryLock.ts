import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Runs `effect` in a transaction that first takes the advisory lock `name`, so replicas doing
 * the same start-up work at once (bootstrap, `serve --apply`) take turns: the second sees what
 * the first committed.
 */
export const inTurn =
  (name: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.withTransaction(sql`SELECT pg_advisory_xact_lock(hashtext(${name}))`.pipe(Effect.zipRight(effect)))
    )
