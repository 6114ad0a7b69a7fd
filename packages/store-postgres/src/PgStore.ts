/**
 * Every storage port of `@armature/core` on PostgreSQL, and the same SQL on embedded PGlite.
 * The stores are built from any `SqlClient`; the layers below only choose the client.
 */
import { randomBytes } from "node:crypto"
import type { StorePorts as CorePorts, SecretStore, SlackInstallations } from "@armature/core"
import type { SqlClient } from "@effect/sql"
import type { MigrationError } from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Config, type ConfigError, Effect, Either, Layer, type Redacted } from "effect"
import * as Migrations from "./Migrations.js"
import * as PgliteClient from "./PgliteClient.js"
import * as PgSecretStore from "./SecretStore.js"
import * as AlertStoreLive from "./stores/AlertStore.js"
import * as AuditLogLive from "./stores/AuditLog.js"
import * as JobQueueLive from "./stores/JobQueue.js"
import * as MonitorStoreLive from "./stores/MonitorStore.js"
import * as OrgStoreLive from "./stores/OrgStore.js"
import * as ProposalStoreLive from "./stores/ProposalStore.js"
import * as RunStoreLive from "./stores/RunStore.js"
import * as ServerStoreLive from "./stores/ServerStore.js"
import * as SlackInstallationsLive from "./stores/SlackInstallations.js"
import * as TransactorLive from "./stores/Transactor.js"
import * as UsageStoreLive from "./stores/UsageStore.js"
import * as WorkflowStoreLive from "./stores/WorkflowStore.js"

/** The services every `PgStore` layer provides: the core's `StorePorts`. */
export type StorePorts = CorePorts

/**
 * The storage services built from a `SqlClient` alone: without the key-holding `SecretStore`
 * and the stores that keep credentials in it (`SlackInstallations`).
 */
export type Stores = Exclude<CorePorts, SecretStore | SlackInstallations>

/** Every storage port over an existing `SqlClient` (whose schema is migrated). */
export const layerFromClient: Layer.Layer<Stores, never, SqlClient.SqlClient> = Layer.mergeAll(
  OrgStoreLive.layer,
  ServerStoreLive.layer,
  WorkflowStoreLive.layer,
  RunStoreLive.layer,
  MonitorStoreLive.layer,
  AlertStoreLive.layer,
  ProposalStoreLive.layer,
  JobQueueLive.layer,
  AuditLogLive.layer,
  TransactorLive.layer,
  UsageStoreLive.layer
)

const withClient = <C, E, R, E2>(
  client: Layer.Layer<C | SqlClient.SqlClient, E, R>,
  migrate: boolean,
  secrets: Layer.Layer<SecretStore, E2, SqlClient.SqlClient>
) =>
  Layer.provideMerge(
    Layer.merge(layerFromClient, Layer.provideMerge(SlackInstallationsLive.layer, secrets)),
    migrate ? Layer.provideMerge(Migrations.layer, client) : client
  )

/** Errors of building a store layer. */
export type LayerError = SqlError | MigrationError | PgSecretStore.InvalidSecretKey | ConfigError.ConfigError

/** Connection options of the PostgreSQL layer. */
export interface Options {
  /** `postgres://user:password@host:port/database` */
  readonly url: Redacted.Redacted
  /** Pool size (default 10). */
  readonly maxConnections?: number
  /** Apply pending migrations when the layer starts (default true). */
  readonly migrate?: boolean
  readonly applicationName?: string
  /** Keys of the `SecretStore`: the first encrypts, all decrypt (`PgSecretStore.parseKey`, `keysFrom`). */
  readonly secretKeys: ReadonlyArray<PgSecretStore.Key>
}

/** The stores on PostgreSQL; also provides the `SqlClient` (health checks, bulk import). */
export const layer = (
  options: Options
): Layer.Layer<StorePorts | SqlClient.SqlClient | PgClient.PgClient, LayerError> =>
  withClient(
    PgClient.layer({
      url: options.url,
      maxConnections: options.maxConnections ?? 10,
      applicationName: options.applicationName ?? "armature"
    }),
    options.migrate ?? true,
    PgSecretStore.layer({ keys: options.secretKeys })
  )

/**
 * `layer` from configuration, under the names the application chooses, e.g.
 * `PgStore.layerConfig({ url: Config.redacted("DATABASE_URL"), secretKeys: PgSecretStore.keysFrom(Config.redacted("SECRET_KEY")) })`:
 * a `Config.Wrap` of `url`, `maxConnections` and `secretKeys`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Pick<Options, "url" | "maxConnections" | "secretKeys">>,
  options: Pick<Options, "migrate" | "applicationName"> = {}
): Layer.Layer<StorePorts | SqlClient.SqlClient | PgClient.PgClient, LayerError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), (connection) => layer({ ...connection, ...options })))

/** Options of the embedded layer. */
export interface PgliteOptions extends PgliteClient.PgliteClientOptions {
  /**
   * Keys of the `SecretStore`; required with a `dataDir` or `db` (what they encrypt outlives the
   * process). In memory, a random key by default, as short-lived as the database.
   */
  readonly secretKeys?: ReadonlyArray<PgSecretStore.Key>
}

/**
 * The stores on embedded PGlite: in memory without `dataDir`, persistent with one. Migrations
 * always run on start. One session: statements are serialized.
 */
export const layerPglite = (
  options: PgliteOptions = {}
): Layer.Layer<StorePorts | SqlClient.SqlClient | PgliteClient.PgliteClient, LayerError> => {
  const { secretKeys, ...client } = options
  const inMemory = client.dataDir === undefined && client.db === undefined
  if (secretKeys === undefined && !inMemory) {
    return Layer.fail(
      new PgSecretStore.InvalidSecretKey({
        message: "secretKeys is required for a PGlite database that outlives the process (dataDir or db)"
      })
    )
  }
  const keys = secretKeys ?? [Either.getOrThrow(PgSecretStore.parseKey(randomBytes(32).toString("base64")))]
  return withClient(PgliteClient.layer(client), true, PgSecretStore.layer({ keys }))
}

/** Bulk import of runs with multi-row inserts (see `RunStore` for the one-run path). */
export const importRuns = RunStoreLive.importRuns
