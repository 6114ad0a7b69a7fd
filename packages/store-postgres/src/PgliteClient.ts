/**
 * An `@effect/sql` client over embedded PGlite, without a socket: the zero-setup database of
 * Armature. PGlite is a single PostgreSQL session, so statements are serialized and a transaction
 * holds the session until it ends (never wait, inside a transaction, on another fiber's query).
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import * as Reactivity from "@effect/experimental/Reactivity"
import * as Client from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { makeCompiler } from "@effect/sql-pg/PgClient"
import { PGlite, type PGliteOptions } from "@electric-sql/pglite"
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm"
import { Context, Effect, Layer, type Scope, Stream } from "effect"

/** A `SqlClient` backed by PGlite, with access to the underlying database. */
export interface PgliteClient extends Client.SqlClient {
  readonly db: PGlite
}

/** The PGlite-backed client; also provided as the generic `SqlClient`. */
export const PgliteClient = Context.GenericTag<PgliteClient>("@armature/store-postgres/PgliteClient")

/** Where the database lives: an existing instance, a data directory, or memory (neither given). */
export interface PgliteClientOptions {
  readonly db?: PGlite
  readonly dataDir?: string
  readonly pglite?: PGliteOptions
}

const attempt = <A>(message: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => new SqlError({ cause, message }) })

const run = <A>(f: () => Promise<A>) => attempt("Failed to execute statement", f)

const connection = (db: PGlite): Connection => {
  const rows = (sql: string, params: ReadonlyArray<unknown>) =>
    run(() => db.query<any>(sql, params as Array<any>)).pipe(Effect.map((r) => r.rows))
  return {
    execute: (sql, params, transform) => Effect.map(rows(sql, params), (r) => (transform ? transform(r) : r)),
    executeRaw: (sql, params) => run(() => db.query(sql, params as Array<any>)),
    executeValues: (sql, params) =>
      run(() => db.query<any>(sql, params as Array<any>, { rowMode: "array" })).pipe(
        Effect.map((r) => r.rows as any)
      ),
    // Without parameters, `exec` accepts several statements (migrations, BEGIN/COMMIT).
    executeUnprepared: (sql, params, transform) =>
      (params.length === 0
        ? run(() => db.exec(sql)).pipe(Effect.map((rs) => (rs.at(-1)?.rows ?? []) as ReadonlyArray<any>))
        : rows(sql, params)
      ).pipe(Effect.map((r) => (transform ? transform(r) : r))),
    executeStream: (sql, params, transform) =>
      Stream.fromIterableEffect(Effect.map(rows(sql, params), (r) => (transform ? transform(r) : r)))
  }
}

/**
 * PGlite's own start parameters plus 16 MB of shared buffers instead of PostgreSQL's 128 MB: the
 * embedded store serves one small deployment, its files stay in the OS page cache anyway, and
 * this halves the process's resident memory (311 → 169 MB measured on a reopened data dir).
 */
export const defaultStartParams: ReadonlyArray<string> = [
  ...PGlite.defaultStartParams,
  "-c",
  "shared_buffers=16MB"
]

/** A plain directory path (not `memory://` or `idb://`) without a database in it yet. */
const isNewDataDir = (dataDir: string) => !dataDir.includes("://") && !existsSync(join(dataDir, "PG_VERSION"))

// CommonJS run by `node -e`: the same wherever this module is bundled. argv: pglite, dir, params.
const createScript = `
const [pglite, dataDir, params] = process.argv.slice(1)
require(pglite).PGlite.create(dataDir, { startParams: JSON.parse(params) })
  .then((db) => db.close())
  .catch((e) => { console.error(String(e?.message ?? e)); process.exit(1) })`

/**
 * Creates a new data directory in a short-lived Node process. PostgreSQL's initdb makes PGlite
 * allocate and free hundreds of megabytes of buffers (heaptrack: a 430 MB peak), and the C
 * allocator keeps much of what is freed: created in the serving process, a new embedded store
 * left it ~60 MB larger for its whole life than a reopened one. In a child, that memory goes
 * with the child; the process then opens the new directory as on any restart.
 */
const createInChild = (dataDir: string) =>
  Effect.async<void, SqlError>((resume) => {
    const pglite = createRequire(import.meta.url).resolve("@electric-sql/pglite")
    const params = JSON.stringify(defaultStartParams)
    const child = spawn(process.execPath, ["-e", createScript, pglite, dataDir, params], {
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const fail = (message: string) =>
      resume(Effect.fail(new SqlError({ message: `PGlite: failed to create ${dataDir}: ${message}` })))
    child.once("error", (e) => fail(e.message))
    child.once("exit", (code, signal) =>
      code === 0 ? resume(Effect.void) : fail(stderr.trim() || `exited with ${code ?? signal}`)
    )
    return Effect.sync(() => child.kill())
  })

/** Opens (or adopts) a PGlite database and builds a serialized `SqlClient` over it. */
export const make = (
  options: PgliteClientOptions = {}
): Effect.Effect<PgliteClient, SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function* () {
    const { dataDir } = options
    if (options.db === undefined && options.pglite === undefined && dataDir !== undefined) {
      if (isNewDataDir(dataDir)) yield* createInChild(dataDir)
    }
    const db =
      options.db ??
      (yield* Effect.acquireRelease(
        attempt("PGlite: failed to start", () =>
          // pg_trgm backs the run search index, as on PostgreSQL.
          PGlite.create(options.dataDir, {
            startParams: [...defaultStartParams],
            ...options.pglite,
            extensions: { pg_trgm, ...options.pglite?.extensions }
          })
        ),
        (db) => Effect.promise(() => db.close())
      ))
    const conn = connection(db)
    // One session: a statement (or a whole transaction) holds the only permit until it ends.
    const permit = yield* Effect.makeSemaphore(1)
    const acquirer = Effect.as(
      Effect.acquireRelease(permit.take(1), () => permit.release(1)),
      conn
    )
    const client = yield* Client.make({
      acquirer,
      compiler: makeCompiler(),
      spanAttributes: [["db.system.name", "postgresql"]]
    })
    return Object.assign(client, { db }) as PgliteClient
  })

/** Provides `PgliteClient` and `SqlClient`; the database closes with the layer. */
export const layer = (
  options?: PgliteClientOptions
): Layer.Layer<PgliteClient | Client.SqlClient, SqlError> =>
  Layer.scopedContext(
    Effect.map(make(options), (client) =>
      Context.make(PgliteClient, client).pipe(Context.add(Client.SqlClient, client))
    )
  ).pipe(Layer.provide(Reactivity.layer))
