import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Alert incidents (core's `AlertIncident`): a server's continuous fault or unresolved breaking
 * drift, with the rules grouped into it and the destinations it notified. At most one of each
 * kind is open per server. Also indexes for the reminder timer (firing rules with reminders) and
 * for a rule's newest message (the wording of its reminders).
 */
const statements = [
  `CREATE TABLE alert_incidents (
    id text COLLATE "C" PRIMARY KEY,
    org_id text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    server_id text COLLATE "C" NOT NULL,
    server_name text NOT NULL,
    kind text NOT NULL,
    opened_at timestamptz NOT NULL,
    resolved_at timestamptz,
    summary text NOT NULL,
    monitors_down boolean NOT NULL,
    baseline_version integer,
    rule_ids jsonb NOT NULL,
    notified jsonb NOT NULL
  )`,
  `CREATE UNIQUE INDEX alert_incidents_open_key ON alert_incidents (org_id, server_id, kind)
     WHERE resolved_at IS NULL`,
  `CREATE INDEX alert_incidents_server_idx ON alert_incidents (org_id, server_id, opened_at)`,
  `CREATE INDEX alert_rules_reminders_idx ON alert_rules (firing_since)
     WHERE firing_since IS NOT NULL AND reminder_minutes IS NOT NULL`,
  `CREATE INDEX alert_outbox_rule_idx ON alert_outbox (rule_id, created_at) WHERE rule_id IS NOT NULL`
]

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
)
