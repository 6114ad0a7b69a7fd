import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Deleting a monitor archives it (`state = 'archived'`), as 0015 did for workflows: its checks
 * stay readable, and its name is free again, so names are unique only among monitors that are
 * not archived — the unique index of 0005 on the same name key, made partial. `monitors_due_idx`
 * (`WHERE state = 'active'`) already leaves archived monitors out of the scheduler's claims.
 */
const key = "lower(btrim(regexp_replace(name, '\\s+', ' ', 'g')))"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      "DROP INDEX IF EXISTS monitors_org_name_key",
      `CREATE UNIQUE INDEX monitors_org_name_key ON monitors (org_id, (${key})) WHERE state <> 'archived'`
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
