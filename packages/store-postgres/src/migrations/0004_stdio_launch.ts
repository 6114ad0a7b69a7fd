import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Whether a stdio server's command may be started (`McpServer.launchApproved`). Existing rows
 * start unapproved: whoever registered them before this column existed may have been an API
 * caller, so their commands run again only after the operator applies them from a config file.
 */
export default Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`ALTER TABLE mcp_servers ADD COLUMN launch_approved boolean NOT NULL DEFAULT false`
)
