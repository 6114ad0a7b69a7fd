import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * `Monitor.mutedUntil` and `AlertRule.mutedUntil`: muted for a while ("Mute 1 h"), until that
 * instant. Existing monitors and rules have none (null), so nothing about them changes.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      "ALTER TABLE monitors ADD COLUMN muted_until timestamptz",
      "ALTER TABLE alert_rules ADD COLUMN muted_until timestamptz"
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
