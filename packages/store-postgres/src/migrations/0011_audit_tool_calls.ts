import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The audit log records MCP tool calls whole (SPEC §9.1): their arguments, credentials redacted,
 * and how long they took. Entries written before stay as they were, with both null. With one row
 * per tool call it grows fast, so retention prunes it by time: an index on `at` alone.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      `ALTER TABLE audit_log ADD COLUMN arguments jsonb, ADD COLUMN duration_ms integer`,
      `CREATE INDEX audit_log_at_idx ON audit_log (at)`
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
