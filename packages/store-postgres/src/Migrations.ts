/**
 * Forward-only, numbered schema migrations. They are imported explicitly (not read from a
 * folder), so they run the same from sources and from `dist` without a file loader.
 */
import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer } from "effect"
import initial from "./migrations/0001_initial.js"
import searchIndex from "./migrations/0002_search_index.js"
import runToolCalls from "./migrations/0003_run_tool_calls.js"
import stdioLaunch from "./migrations/0004_stdio_launch.js"
import uniqueNames from "./migrations/0005_unique_names.js"
import monitorAllowDestructive from "./migrations/0006_monitor_allow_destructive.js"
import alertIncidents from "./migrations/0007_alert_incidents.js"
import slackInstallations from "./migrations/0008_slack_installations.js"
import alertOutboxPages from "./migrations/0009_alert_outbox_pages.js"
import alertRuleNames from "./migrations/0010_alert_rule_names.js"
import auditToolCalls from "./migrations/0011_audit_tool_calls.js"
import monitorAssertions from "./migrations/0012_monitor_assertions.js"
import monitorFailBudget from "./migrations/0014_monitor_fail_budget.js"
import archivedWorkflows from "./migrations/0015_archived_workflows.js"
import subscriptionCustomer from "./migrations/0016_subscription_customer.js"
import archivedMonitors from "./migrations/0017_archived_monitors.js"
import slackInstallationsByTeam from "./migrations/0018_slack_installations_by_team.js"
import slackProposalsChannel from "./migrations/0019_slack_proposals_channel.js"
import mutedUntil from "./migrations/0020_muted_until.js"
import recentToolCalls from "./migrations/0021_recent_tool_calls.js"
import runSearchByName from "./migrations/0022_run_search_by_name.js"

/** The table recording applied migrations. */
export const table = "armature_migrations"

/** Every migration by `<id>_<name>`; append new ones, never edit an applied one. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0001_initial": initial,
  "0002_search_index": searchIndex,
  "0003_run_tool_calls": runToolCalls,
  "0004_stdio_launch": stdioLaunch,
  "0005_unique_names": uniqueNames,
  "0006_monitor_allow_destructive": monitorAllowDestructive,
  "0007_alert_incidents": alertIncidents,
  "0008_slack_installations": slackInstallations,
  "0009_alert_outbox_pages": alertOutboxPages,
  "0010_alert_rule_names": alertRuleNames,
  "0011_audit_tool_calls": auditToolCalls,
  "0012_monitor_assertions": monitorAssertions,
  "0014_monitor_fail_budget": monitorFailBudget,
  "0015_archived_workflows": archivedWorkflows,
  "0016_subscription_customer": subscriptionCustomer,
  "0017_archived_monitors": archivedMonitors,
  "0018_slack_installations_by_team": slackInstallationsByTeam,
  "0019_slack_proposals_channel": slackProposalsChannel,
  "0020_muted_until": mutedUntil,
  "0021_recent_tool_calls": recentToolCalls,
  "0022_run_search_by_name": runSearchByName
}

// Any constant works; it only has to be the same for every replica.
const lockKey = 0x41524d41 // "ARMA"

/**
 * Applies the pending migrations; returns the ones applied. Replicas starting together on an
 * empty database wait for each other on a transaction-scoped advisory lock: the migrator's own
 * table lock cannot cover creating that table.
 */
export const run: Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  Migrator.MigrationError | SqlError,
  SqlClient.SqlClient
> = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.withTransaction(
    Effect.gen(function* () {
      yield* sql`SELECT pg_advisory_xact_lock(${lockKey})`
      // The migrator's own table, created here so that its existence probe (which fails, and
      // would abort this transaction, when the table is missing) always succeeds.
      yield* sql`CREATE TABLE IF NOT EXISTS ${sql(table)} (
        migration_id integer PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        name text NOT NULL)`
      return yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations), table })
    })
  )
)

/** The `migrate` entry point: applies pending migrations and logs which ones ran. */
export const migrate = Effect.tap(run, (applied) =>
  applied.length === 0
    ? Effect.logDebug("schema is up to date")
    : Effect.logInfo(`applied migrations: ${applied.map(([id, name]) => `${id}_${name}`).join(", ")}`)
)

/** Runs the migrations when the layer is built. */
export const layer = Layer.effectDiscard(run)
