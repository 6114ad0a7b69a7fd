import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Names of servers, workflows and monitors are unique per organization ignoring case and runs of
 * white space (core's `nameKey`), enforced here by a unique index on the same expression, and
 * never blank. Before, servers were unique by exact name (and checked loosely in code only),
 * workflows by exact name, monitors not at all.
 *
 * Rows that would break the new rules are renamed, never dropped: a blank name becomes
 * `unnamed <id>`, surrounding space is trimmed, and of names equal by the key the oldest keeps
 * its name while later ones get ` (2)`, ` (3)`, …
 */
const key = (column: string) => `lower(btrim(regexp_replace(${column}, '\\s+', ' ', 'g')))`

const tables = [
  { table: "mcp_servers", constraint: "mcp_servers_org_name_key" },
  { table: "workflows", constraint: "workflows_org_name_key" },
  { table: "monitors", constraint: "monitors_org_name_key" }
] as const

const statements = tables.flatMap(({ table, constraint }) => [
  `UPDATE ${table} SET name = 'unnamed ' || left(id, 8) WHERE name !~ '\\S'`,
  `UPDATE ${table} SET name = regexp_replace(name, '^\\s+|\\s+$', '', 'g') WHERE name ~ '^\\s|\\s$'`,
  `UPDATE ${table} AS t SET name = t.name || ' (' || d.n || ')'
     FROM (SELECT id, row_number() OVER (PARTITION BY org_id, ${key("name")} ORDER BY created_at, id) AS n
           FROM ${table}) AS d
     WHERE d.id = t.id AND d.n > 1`,
  `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${constraint}`,
  `CREATE UNIQUE INDEX ${constraint} ON ${table} (org_id, (${key("name")}))`,
  `ALTER TABLE ${table} ADD CONSTRAINT ${table}_name_not_blank CHECK (name ~ '\\S')`
])

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(
    [
      ...statements,
      // A workflow's current spec carries its name too; versions are history and keep theirs.
      `UPDATE workflows SET spec = jsonb_set(spec, '{name}', to_jsonb(name)) WHERE spec->>'name' IS DISTINCT FROM name`
    ],
    (statement) => sql.unsafe(statement),
    { discard: true }
  )
)
