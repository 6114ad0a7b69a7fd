import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Slack app installations (core's `SlackInstallation`), one per organization — a re-install
 * replaces the row — with the bot token in `secrets` and only its reference here; and the
 * one-time install links that start them, kept as a sha256 of their secret.
 */
const statements = [
  `CREATE TABLE slack_installations (
    org_id text COLLATE "C" PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    team_id text NOT NULL,
    team_name text NOT NULL,
    bot_user_id text NOT NULL,
    scopes jsonb NOT NULL,
    secret_ref text COLLATE "C" NOT NULL,
    installed_at timestamptz NOT NULL,
    installed_by jsonb NOT NULL,
    slack_user_id text
  )`,
  `CREATE TABLE slack_install_links (
    id text COLLATE "C" PRIMARY KEY,
    org_id text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    secret_hash text NOT NULL CONSTRAINT slack_install_links_secret_hash_key UNIQUE,
    created_by jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
  )`,
  `CREATE INDEX slack_install_links_org_idx ON slack_install_links (org_id, created_at)`
]

export default Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
)
