import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** The channel where agents' staged workflow changes are posted for approval (`/armature config proposals`). */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe("ALTER TABLE slack_installations ADD COLUMN IF NOT EXISTS proposals_channel text")
)
