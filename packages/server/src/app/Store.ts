import { setFlagsFromString } from "node:v8"
import type { StorePorts } from "@armature/core"
import { PgSecretStore, PgStore } from "@armature/store-postgres"
import { type FileSystem, Path } from "@effect/platform"
import type { SqlClient } from "@effect/sql"
import { Data, Effect, Layer, Option } from "effect"
import { isEmbedded, ServerConfigTag } from "../config/ServerConfig.js"
import { resolveSecretKeys, SecretKeyRequired } from "../config/secretKey.js"
import { DataDirLock, DataDirLocked } from "./DataDirLock.js"

/** Every storage port, plus the SQL client (readiness checks, advisory locks). */
export type StoreServices = StorePorts | SqlClient.SqlClient

/** The store could not be opened: bad secret key, unreachable database, failed migration. */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** What building the store needs from the platform. */
export type Requirements = ServerConfigTag | FileSystem.FileSystem | Path.Path

const describe = (error: unknown) => {
  // Their messages name the setting at fault (never its value).
  if (error instanceof PgSecretStore.InvalidSecretKey || error instanceof SecretKeyRequired)
    return error.message
  const message = error instanceof Error ? error.message : String(error)
  return `cannot open the database: ${message}`
}

/**
 * Embedded PGlite, its WebAssembly compiled by V8's baseline compiler (Liftoff) only. V8 would
 * re-compile PostgreSQL's hot functions with its optimizing compiler on background threads, whose
 * scratch memory (~90 MB at its peak, heaptrack) glibc keeps after it is freed: an idle
 * `armature serve` measured 215–221 MB with that tier-up and 168–177 MB without, while the store
 * benchmark on PGlite showed no consistent difference in speed. The flag is process-wide and
 * applies to modules compiled after it is set, so it is set here, before PGlite compiles.
 */
export const embedded = (options?: PgStore.PgliteOptions): Layer.Layer<StoreServices, PgStore.LayerError> =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      setFlagsFromString("--liftoff-only")
      return PgStore.layerPglite(options)
    })
  )

/**
 * The store the configuration names: PostgreSQL at `DATABASE_URL`, or else embedded PGlite in
 * the data dir, which one process at a time may open (a lock file says which).
 * Migrations run when the layer starts.
 */
export const layer: Layer.Layer<StoreServices, StoreUnavailable | DataDirLocked, Requirements> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const config = yield* ServerConfigTag
      if (!isEmbedded(config)) {
        const secretKeys = yield* resolveSecretKeys(config)
        return PgStore.layer({
          url: Option.getOrThrow(config.databaseUrl),
          secretKeys,
          ...(config.databasePoolMax === undefined ? {} : { maxConnections: config.databasePoolMax })
        })
      }
      const path = yield* Path.Path
      const dataDir = path.resolve(config.dataDir)
      // The key is read, or generated on a new data dir, under the lock: two processes starting
      // together on a new data dir must not each write a key of their own.
      return Layer.unwrapEffect(
        Effect.map(resolveSecretKeys(config), (secretKeys) =>
          embedded({ dataDir: path.join(dataDir, "pg"), secretKeys })
        )
      ).pipe(Layer.provide(DataDirLock.layer(dataDir)))
    })
  ).pipe(
    Layer.mapError((error) =>
      error instanceof DataDirLocked
        ? error
        : new StoreUnavailable({ message: describe(error), cause: error })
    )
  )
