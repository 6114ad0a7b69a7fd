import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Deleting a workflow archives it (`state = 'archived'`): its runs stay readable, and its name is
 * free again, so names are unique only among workflows that are not archived — the unique index
 * of 0005 on the same name key, made partial.
 */
const key = "lower(btrim(regexp_replace(name, '\\s+', ' ', 'g')))"

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      "DROP INDEX IF EXISTS workflows_org_name_key",
      `CREATE UNIQUE INDEX workflows_org_name_key ON workflows (org_id, (${key})) WHERE state <> 'archived'`
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
