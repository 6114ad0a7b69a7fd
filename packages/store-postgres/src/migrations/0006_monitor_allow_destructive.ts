import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * `Monitor.allowDestructive`: a monitor of a tool annotated `destructiveHint: true` needs it.
 * Existing monitors start without it; the next edit of one on such a tool must say so.
 */
export default Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`ALTER TABLE monitors ADD COLUMN allow_destructive boolean NOT NULL DEFAULT false`
)
