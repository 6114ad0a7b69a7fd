/**
 * Databases for the store tests: a fresh PostgreSQL database per test file (dropped at the
 * end), or an in-memory PGlite. PostgreSQL comes from `ARMATURE_TEST_DATABASE_URL`; when
 * `ARMATURE_REQUIRE_DATABASE=true` an unreachable server fails the tests instead of skipping them.
 */
import { randomBytes } from "node:crypto"
import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { Cause, Effect, Either, Exit, Layer, Redacted } from "effect"
import { PgSecretStore, PgStore } from "../../src/index.js"

export const databaseUrl = process.env.ARMATURE_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
export const databaseRequired = process.env.ARMATURE_REQUIRE_DATABASE === "true"

const admin = PgClient.make({
  url: Redacted.make(databaseUrl),
  maxConnections: 1,
  connectTimeout: "3 seconds"
})

/** `null` when PostgreSQL answers, otherwise why not. */
export const probePostgres = (): Promise<string | null> =>
  Effect.runPromiseExit(
    Effect.scoped(Effect.flatMap(admin, (sql) => sql`SELECT 1`)).pipe(Effect.provide(Reactivity.layer))
  ).then((exit) => (Exit.isSuccess(exit) ? null : Cause.pretty(exit.cause).split("\n")[0]!))

/** Whether the PostgreSQL tests of a file run; fails loudly when a database is required. */
export const postgresAvailable = async (file: string): Promise<boolean> => {
  const problem = await probePostgres()
  if (problem === null) return true
  const message = `PostgreSQL at ${new URL(databaseUrl).host} is unreachable (${problem})`
  if (databaseRequired) throw new Error(`${message}; ARMATURE_REQUIRE_DATABASE=true, so ${file} fails`)
  console.warn(`\n!!! ${message}: SKIPPING the PostgreSQL tests of ${file}.\n`)
  return false
}

/** The URL of a database created for this layer's lifetime. */
export const freshDatabaseUrl = Effect.gen(function* () {
  const sql = yield* admin
  const name = `armature_test_${randomBytes(6).toString("hex")}`
  yield* Effect.acquireRelease(
    Effect.zipRight(
      sql`CREATE DATABASE ${sql(name)}`,
      // Test data need not survive a crash: skip the WAL flush on commit.
      sql`ALTER DATABASE ${sql(name)} SET synchronous_commit = off`
    ),
    () => Effect.orDie(sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`)
  )
  const url = new URL(databaseUrl)
  url.pathname = `/${name}`
  return url.toString()
}).pipe(Effect.provide(Reactivity.layer))

/** A random `SecretStore` key: tests never depend on the environment's key. */
export const testKeys = () => [Either.getOrThrow(PgSecretStore.parseKey(randomBytes(32).toString("base64")))]

/** The stores on a fresh PostgreSQL database. */
export const postgresLayer = (options: { readonly maxConnections?: number } = {}) =>
  Layer.unwrapScoped(
    Effect.map(freshDatabaseUrl, (url) =>
      PgStore.layer({
        url: Redacted.make(url),
        maxConnections: options.maxConnections ?? 4,
        secretKeys: testKeys()
      })
    )
  ).pipe(Layer.orDie)

/** The stores on an in-memory PGlite. */
export const pgliteLayer = () => PgStore.layerPglite().pipe(Layer.orDie)
