import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * `Monitor.failAboveMs`: a latency budget above which a check fails. Existing monitors have none
 * (null), so they keep classifying as before.
 */
export default Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`ALTER TABLE monitors ADD COLUMN fail_above_ms integer`
)
