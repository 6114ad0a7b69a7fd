import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * `/alerts` reads an organization's outbox newest first, by `(created_at, id)`, a page at a time
 * (`AlertStore.pageOutbox`). Without a status filter no index served that order, so every page
 * sorted the organization's whole outbox; this one is read backwards from the cursor.
 */
export default Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`CREATE INDEX alert_outbox_org_created_idx ON alert_outbox (org_id, created_at, id)`
)
