import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Alert rule names are unique per organization ignoring case and runs of white space (core's
 * `nameKey`), like those of servers, workflows and monitors (0005): a rule is found by its name
 * in config files and `armature alerts test <name>`. Rules that would break the rule are
 * renamed, never dropped — the oldest keeps its name, later ones get ` (2)`, ` (3)`, …
 */
const key = `lower(btrim(regexp_replace(name, '\\s+', ' ', 'g')))`

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      `UPDATE alert_rules SET name = 'unnamed ' || left(id, 8) WHERE name !~ '\\S'`,
      `UPDATE alert_rules SET name = regexp_replace(name, '^\\s+|\\s+$', '', 'g') WHERE name ~ '^\\s|\\s$'`,
      `UPDATE alert_rules AS t SET name = t.name || ' (' || d.n || ')'
         FROM (SELECT id, row_number() OVER (PARTITION BY org_id, ${key} ORDER BY created_at, id) AS n
               FROM alert_rules) AS d
         WHERE d.id = t.id AND d.n > 1`,
      `CREATE UNIQUE INDEX alert_rules_org_name_key ON alert_rules (org_id, (${key}))`
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
