/**
 * The PostgreSQL side of the server benches: the server they run on (ARMATURE_BENCH_DATABASE_URL,
 * or ARMATURE_TEST_DATABASE_URL), a fresh database per run that is dropped afterwards, and SQL
 * beside the server under test (seeding, counting) on a short-lived pool of its own.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Exit, Redacted, Scope } from "effect"
import { freshDatabase } from "../../../store-postgres/bench/support/freshDatabase.js"

export const benchDatabaseUrl =
  process.env.ARMATURE_BENCH_DATABASE_URL ??
  process.env.ARMATURE_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test"

/** A database of its own for one bench run. */
export interface BenchDatabase {
  readonly url: string
  /** Its name, as its PostgreSQL backends show it. */
  readonly name: string
  /** The server's version, for the report. */
  readonly version: string
}

/** `run` on a fresh database, dropped once `run` has settled; the database and what `run` returned. */
export const onFreshDatabase = async <A>(
  run: (database: BenchDatabase) => Promise<A>,
  url: string = benchDatabaseUrl
): Promise<{ readonly database: BenchDatabase; readonly result: A }> => {
  const scope = Effect.runSync(Scope.make())
  const fresh = await Effect.runPromise(Scope.extend(freshDatabase(url), scope))
  const database = { ...fresh, name: new URL(fresh.url).pathname.slice(1) }
  try {
    return { database, result: await run(database) }
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** `f` on a pool of its own (closed when `f` is done), also provided as the `SqlClient` service. */
export const withSql = <A, E>(
  databaseUrl: string,
  f: (sql: PgClient.PgClient) => Effect.Effect<A, E, SqlClient.SqlClient>
): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const sql = yield* PgClient.make({ url: Redacted.make(databaseUrl), maxConnections: 2 })
        return yield* Effect.provideService(f(sql), SqlClient.SqlClient, sql)
      })
    ).pipe(Effect.provide(Reactivity.layer))
  )
