import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Plans and billing: the payment provider's customer of a subscription (for its customer
 * portal), and an index so counting a month's runs for a plan limit reads the index alone.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      "ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS customer_id text",
      "CREATE INDEX IF NOT EXISTS runs_org_created_idx ON runs (org_id, created_at)"
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
