import {
  AuthKind,
  type AuthProfile,
  type CatalogVersion,
  type McpServer,
  ServerState,
  ServerStore,
  Transport
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import * as Column from "../internal/columns.js"
import {
  date,
  dateOrNull,
  fromJson,
  json,
  jsonArray,
  mapRows,
  orConflict,
  orStoreError,
  pageOf,
  storable
} from "../internal/sql.js"

/** A row of `mcp_servers` as the drivers return it. */
const ServerRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  name: Column.text,
  transport: Transport,
  base_url: Column.nullable(Column.text),
  command: Column.nullable(Column.text),
  args: Column.json,
  env: Column.json,
  extra_headers: Column.json,
  launch_approved: Column.boolean,
  state: ServerState,
  last_probe_error: Column.nullable(Column.text),
  last_probed_at: Column.nullable(Column.timestamptz),
  created_at: Column.timestamptz,
  updated_at: Column.timestamptz
})
type ServerRow = typeof ServerRow.Type

/** A row of `auth_profiles` as the drivers return it. */
const ProfileRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  server_id: Column.text,
  name: Column.text,
  kind: AuthKind,
  header_name: Column.nullable(Column.text),
  token_url: Column.nullable(Column.text),
  client_id: Column.nullable(Column.text),
  scopes: Column.json,
  secret_ref: Column.nullable(Column.text),
  created_at: Column.timestamptz
})
type ProfileRow = typeof ProfileRow.Type

/** A row of `catalog_versions` as the drivers return it. */
const CatalogRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  server_id: Column.text,
  version: Column.integer,
  hash: Column.text,
  server_info: Column.json,
  protocol_version: Column.text,
  capabilities: Column.json,
  tools: Column.json,
  created_at: Column.timestamptz
})
type CatalogRow = typeof CatalogRow.Type

const toServer = (r: ServerRow): McpServer => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  transport: r.transport,
  baseUrl: r.base_url,
  command: r.command,
  args: fromJson(r.args),
  env: fromJson(r.env),
  extraHeaders: fromJson(r.extra_headers),
  launchApproved: r.launch_approved,
  state: r.state,
  lastProbeError: r.last_probe_error,
  lastProbedAt: dateOrNull(r.last_probed_at),
  createdAt: date(r.created_at),
  updatedAt: date(r.updated_at)
})

const serverRow = (s: McpServer): ServerRow => ({
  id: s.id,
  org_id: s.orgId,
  name: s.name,
  transport: s.transport,
  base_url: s.baseUrl,
  command: s.command,
  args: json(s.args),
  env: json(s.env),
  extra_headers: json(s.extraHeaders),
  launch_approved: s.launchApproved,
  state: s.state,
  // An MCP server's own error text may carry a U+0000.
  last_probe_error: storable(s.lastProbeError),
  last_probed_at: s.lastProbedAt,
  created_at: s.createdAt,
  updated_at: s.updatedAt
})

const toProfile = (r: ProfileRow): AuthProfile => ({
  id: r.id,
  orgId: r.org_id,
  serverId: r.server_id,
  name: r.name,
  kind: r.kind,
  headerName: r.header_name,
  tokenUrl: r.token_url,
  clientId: r.client_id,
  scopes: fromJson(r.scopes),
  secretRef: r.secret_ref,
  createdAt: date(r.created_at)
})

const toCatalog = (r: CatalogRow): CatalogVersion => ({
  id: r.id,
  orgId: r.org_id,
  serverId: r.server_id,
  version: r.version,
  hash: r.hash,
  serverInfo: fromJson(r.server_info),
  protocolVersion: r.protocol_version,
  capabilities: fromJson(r.capabilities),
  tools: fromJson(r.tools),
  createdAt: date(r.created_at)
})

const serverConflicts = { mcp_servers_org_name_key: "name", mcp_servers_pkey: "id" }

/** `ServerStore` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // A statement that may fail with Conflict runs in a savepoint inside a caller's transaction,
  // so the caller can handle the Conflict and go on (a failed statement aborts a transaction).
  const atomic = sql.withTransaction

  return ServerStore.of({
    insertServer: (server) =>
      atomic(sql`INSERT INTO mcp_servers ${sql.insert(serverRow(server))}`).pipe(
        Effect.asVoid,
        orConflict("insertServer", serverConflicts)
      ),
    updateServer: (s) => {
      const { id, org_id, created_at: _created, ...columns } = serverRow(s)
      return atomic(
        sql`UPDATE mcp_servers SET ${sql.update(columns)} WHERE org_id = ${org_id} AND id = ${id}`
      ).pipe(Effect.asVoid, orConflict("updateServer", serverConflicts))
    },
    getServer: (orgId, id) =>
      sql<ServerRow>`SELECT * FROM mcp_servers WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.flatMap(mapRows(toServer)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getServer")
      ),
    listServers: (orgId, query) => {
      const page = pageOf(sql, query)
      return sql<ServerRow>`SELECT * FROM mcp_servers WHERE org_id = ${orgId} ${page.after}
          ORDER BY created_at, id ${page.limit}`.pipe(
        Effect.flatMap(mapRows(toServer)),
        orStoreError("listServers")
      )
    },
    // Auth profiles and catalog versions go with it (ON DELETE CASCADE).
    deleteServer: (orgId, id) =>
      sql`DELETE FROM mcp_servers WHERE org_id = ${orgId} AND id = ${id} RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("deleteServer")
      ),

    insertAuthProfile: (p) =>
      atomic(
        sql`INSERT INTO auth_profiles ${sql.insert({
          id: p.id,
          org_id: p.orgId,
          server_id: p.serverId,
          name: p.name,
          kind: p.kind,
          header_name: p.headerName,
          token_url: p.tokenUrl,
          client_id: p.clientId,
          scopes: json(p.scopes),
          secret_ref: p.secretRef,
          created_at: p.createdAt
        } satisfies ProfileRow)}`
      ).pipe(
        Effect.asVoid,
        orConflict("insertAuthProfile", { auth_profiles_server_name_key: "name", auth_profiles_pkey: "id" })
      ),
    getAuthProfile: (orgId, id) =>
      sql<ProfileRow>`SELECT * FROM auth_profiles WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.flatMap(mapRows(toProfile)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getAuthProfile")
      ),
    listAuthProfiles: (orgId, serverId) =>
      sql<ProfileRow>`SELECT * FROM auth_profiles WHERE org_id = ${orgId} AND server_id = ${serverId}
          ORDER BY created_at, id`.pipe(Effect.flatMap(mapRows(toProfile)), orStoreError("listAuthProfiles")),
    // One statement for a worker starting a run: the profiles come as a JSON array beside the
    // server's row (timestamps as text there, which `toProfile` reads as well).
    getServerWithProfiles: (orgId, serverId, profileId) =>
      sql<ServerRow & { readonly profiles: unknown }>`SELECT s.*, (
            SELECT coalesce(json_agg(p ORDER BY p.created_at, p.id), '[]'::json) FROM auth_profiles p
            WHERE p.org_id = s.org_id AND ${profileId === null ? sql`p.server_id = s.id` : sql`p.id = ${profileId}`}
          ) AS profiles
          FROM mcp_servers s WHERE s.org_id = ${orgId} AND s.id = ${serverId}`.pipe(
        Effect.flatMap(
          mapRows((row) => ({
            server: toServer(row),
            profiles: jsonArray<ProfileRow>(row.profiles).map(toProfile)
          }))
        ),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getServerWithProfiles")
      ),
    deleteAuthProfile: (orgId, id) =>
      sql`DELETE FROM auth_profiles WHERE org_id = ${orgId} AND id = ${id} RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("deleteAuthProfile")
      ),
    setAuthProfileSecret: (orgId, id, secretRef) =>
      sql`UPDATE auth_profiles SET secret_ref = ${secretRef} WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.asVoid,
        orStoreError("setAuthProfileSecret")
      ),

    insertCatalogVersion: (v) =>
      atomic(
        sql`INSERT INTO catalog_versions ${sql.insert({
          id: v.id,
          org_id: v.orgId,
          server_id: v.serverId,
          version: v.version,
          hash: v.hash,
          server_info: json(v.serverInfo),
          protocol_version: storable(v.protocolVersion),
          capabilities: json(v.capabilities),
          tools: json(v.tools),
          created_at: v.createdAt
        } satisfies CatalogRow)}`
      ).pipe(
        Effect.asVoid,
        orConflict("insertCatalogVersion", {
          catalog_versions_server_version_key: "version",
          catalog_versions_pkey: "id"
        })
      ),
    latestCatalog: (orgId, serverId) =>
      sql<CatalogRow>`SELECT * FROM catalog_versions WHERE org_id = ${orgId} AND server_id = ${serverId}
          ORDER BY version DESC LIMIT 1`.pipe(
        Effect.flatMap(mapRows(toCatalog)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("latestCatalog")
      ),
    listCatalogVersions: (orgId, serverId, limit) =>
      sql<CatalogRow>`SELECT * FROM catalog_versions WHERE org_id = ${orgId} AND server_id = ${serverId}
          ORDER BY version DESC LIMIT ${limit}`.pipe(
        Effect.flatMap(mapRows(toCatalog)),
        orStoreError("listCatalogVersions")
      )
  })
})

/** Provides `ServerStore` from a `SqlClient`. */
export const layer = Layer.effect(ServerStore, make)
