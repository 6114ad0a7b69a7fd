import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The Slack bot finds the organizations of an incoming command by the Slack workspace it came
 * from (`SlackInstallations.listByTeam`), on every command.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe("CREATE INDEX IF NOT EXISTS slack_installations_team_idx ON slack_installations (team_id)")
)
