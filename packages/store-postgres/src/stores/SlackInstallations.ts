import {
  SecretStore,
  type SlackInstallation,
  SlackInstallations,
  type SlackInstallLink,
  StoreError
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import * as Column from "../internal/columns.js"
import { date, dateOrNull, fromJson, json, mapRows, orStoreError } from "../internal/sql.js"

/** A row of `slack_installations` as the drivers return it (`proposals_channel` since 0019). */
const InstallationRow = Schema.Struct({
  org_id: Column.text,
  team_id: Column.text,
  team_name: Column.text,
  bot_user_id: Column.text,
  scopes: Column.json,
  secret_ref: Column.text,
  installed_at: Column.timestamptz,
  installed_by: Column.json,
  slack_user_id: Column.nullable(Column.text),
  proposals_channel: Column.nullable(Column.text)
})
type InstallationRow = typeof InstallationRow.Type

/** A row of `slack_install_links` as the drivers return it. */
const LinkRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  secret_hash: Column.text,
  created_by: Column.json,
  created_at: Column.timestamptz,
  expires_at: Column.timestamptz,
  used_at: Column.nullable(Column.timestamptz)
})
type LinkRow = typeof LinkRow.Type

const toInstallation = (r: InstallationRow): SlackInstallation => ({
  orgId: r.org_id,
  teamId: r.team_id,
  teamName: r.team_name,
  botUserId: r.bot_user_id,
  scopes: fromJson(r.scopes),
  installedAt: date(r.installed_at),
  installedBy: fromJson(r.installed_by),
  slackUserId: r.slack_user_id,
  proposalsChannel: r.proposals_channel
})

const toLink = (r: LinkRow): SlackInstallLink => ({
  id: r.id,
  orgId: r.org_id,
  secretHash: r.secret_hash,
  createdBy: fromJson(r.created_by),
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
  usedAt: dateOrNull(r.used_at)
})

const first = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

/**
 * `SlackInstallations` over any PostgreSQL `SqlClient`, with bot tokens in the `SecretStore` (on
 * the same client, so a token's secret and its installation commit together).
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const secrets = yield* SecretStore

  const secretRefOf = (orgId: string) =>
    sql<
      Pick<InstallationRow, "secret_ref">
    >`SELECT secret_ref FROM slack_installations WHERE org_id = ${orgId}`.pipe(
      Effect.map((rows) => Option.map(first(rows), (r) => r.secret_ref))
    )

  return SlackInstallations.of({
    save: (installation, botToken) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const orgId = installation.orgId
            // Installs of one organization take turns on its row, so two at once cannot both
            // read "no earlier token" and leave one of the new tokens' secrets behind.
            yield* sql`SELECT id FROM organizations WHERE id = ${orgId} FOR NO KEY UPDATE`
            const previous = yield* secretRefOf(orgId)
            const secretRef = yield* secrets.put(orgId, botToken)
            const row = {
              org_id: orgId,
              team_id: installation.teamId,
              team_name: installation.teamName,
              bot_user_id: installation.botUserId,
              scopes: json(installation.scopes),
              secret_ref: secretRef,
              installed_at: installation.installedAt,
              installed_by: json(installation.installedBy),
              slack_user_id: installation.slackUserId,
              proposals_channel: installation.proposalsChannel
            } satisfies InstallationRow
            yield* sql`INSERT INTO slack_installations ${sql.insert(row)}
              ON CONFLICT (org_id) DO UPDATE SET
                team_id = EXCLUDED.team_id,
                team_name = EXCLUDED.team_name,
                bot_user_id = EXCLUDED.bot_user_id,
                scopes = EXCLUDED.scopes,
                secret_ref = EXCLUDED.secret_ref,
                installed_at = EXCLUDED.installed_at,
                installed_by = EXCLUDED.installed_by,
                slack_user_id = EXCLUDED.slack_user_id,
                proposals_channel = EXCLUDED.proposals_channel`
            if (Option.isSome(previous)) yield* secrets.delete(orgId, previous.value)
          })
        )
        .pipe(orStoreError("SlackInstallations.save")),
    get: (orgId) =>
      sql<InstallationRow>`SELECT * FROM slack_installations WHERE org_id = ${orgId}`.pipe(
        Effect.flatMap(mapRows(toInstallation)),
        Effect.map(first),
        orStoreError("SlackInstallations.get")
      ),
    listByTeam: (teamId) =>
      sql<InstallationRow>`SELECT * FROM slack_installations WHERE team_id = ${teamId} ORDER BY org_id`.pipe(
        Effect.flatMap(mapRows(toInstallation)),
        orStoreError("SlackInstallations.listByTeam")
      ),
    botToken: (orgId) =>
      Effect.gen(function* () {
        const ref = yield* secretRefOf(orgId)
        if (Option.isNone(ref)) return Option.none()
        return Option.some(
          yield* secrets
            .get(orgId, ref.value)
            .pipe(
              Effect.catchTag("SecretNotFound", () =>
                Effect.fail(new StoreError({ message: "the Slack installation's bot token is missing" }))
              )
            )
        )
      }).pipe(orStoreError("SlackInstallations.botToken")),
    setProposalsChannel: (orgId, channel) =>
      sql`UPDATE slack_installations SET proposals_channel = ${channel} WHERE org_id = ${orgId} RETURNING org_id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("SlackInstallations.setProposalsChannel")
      ),
    remove: (orgId) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            const rows = yield* sql<Pick<InstallationRow, "secret_ref">>`DELETE FROM slack_installations
              WHERE org_id = ${orgId} RETURNING secret_ref`
            for (const row of rows) yield* secrets.delete(orgId, row.secret_ref)
            return rows.length > 0
          })
        )
        .pipe(orStoreError("SlackInstallations.remove")),

    createLink: (link) =>
      sql`INSERT INTO slack_install_links ${sql.insert({
        id: link.id,
        org_id: link.orgId,
        secret_hash: link.secretHash,
        created_by: json(link.createdBy),
        created_at: link.createdAt,
        expires_at: link.expiresAt,
        used_at: link.usedAt
      } satisfies LinkRow)}`.pipe(Effect.asVoid, orStoreError("SlackInstallations.createLink")),
    // A browser brings only the link's secret: the organization is known once the link is found.
    getLinkBySecretHash: (secretHash) =>
      sql<LinkRow>`SELECT * FROM slack_install_links WHERE secret_hash = ${secretHash}`.pipe(
        Effect.flatMap(mapRows(toLink)),
        Effect.map(first),
        orStoreError("SlackInstallations.getLinkBySecretHash")
      ),
    // One statement: of two concurrent callers, the second finds `used_at` set and updates nothing.
    consumeLink: (id, at) =>
      sql<LinkRow>`UPDATE slack_install_links SET used_at = ${at}
          WHERE id = ${id} AND used_at IS NULL AND expires_at > ${at}
          RETURNING *`.pipe(
        Effect.flatMap(mapRows(toLink)),
        Effect.map(first),
        orStoreError("SlackInstallations.consumeLink")
      ),
    pruneLinks: (before) =>
      sql<{ n: number }>`WITH gone AS (
            DELETE FROM slack_install_links WHERE expires_at < ${before}::timestamptz RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
        Effect.map((rows) => rows[0]?.n ?? 0),
        orStoreError("SlackInstallations.pruneLinks")
      )
  })
})

/** Provides `SlackInstallations` from a `SqlClient` and the `SecretStore` on it. */
export const layer = Layer.effect(SlackInstallations, make)
