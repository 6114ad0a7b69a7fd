import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * `Monitor.assertions`: checks on the first step's result (the assertions of later steps live in
 * `next_steps`). Existing monitors have none, so they keep classifying as before.
 */
export default Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`ALTER TABLE monitors ADD COLUMN assertions jsonb NOT NULL DEFAULT '[]'::jsonb`
)
