import { randomBytes } from "node:crypto"
import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"

/**
 * A database for one benchmark run on the PostgreSQL server at `url`, dropped when the scope
 * closes, and the server's version for the report. Unlike the tests' databases it keeps the
 * default commit settings: a benchmark measures what a deployment would see.
 */
export const freshDatabase = (url: string) =>
  Effect.gen(function* () {
    const admin = yield* PgClient.make({ url: Redacted.make(url), maxConnections: 1 })
    const name = `armature_bench_${randomBytes(4).toString("hex")}`
    yield* Effect.acquireRelease(admin`CREATE DATABASE ${admin(name)}`, () =>
      Effect.orDie(admin`DROP DATABASE IF EXISTS ${admin(name)} WITH (FORCE)`)
    )
    const version = (yield* admin<{ v: string }>`SELECT current_setting('server_version') AS v`)[0]!.v
    const target = new URL(url)
    target.pathname = `/${name}`
    return { url: target.toString(), version }
  }).pipe(Effect.provide(Reactivity.layer))
