import { randomBytes } from "node:crypto"
import { OrgStore, SecretStore } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Either, Layer, Redacted } from "effect"
import { PgSecretStore, SecretRotation } from "../src/index.js"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"
import * as F from "./support/fixtures.js"

const postgres = await postgresAvailable("SecretRotation.test.ts")

const key = () => Either.getOrThrow(PgSecretStore.parseKey(randomBytes(32).toString("base64")))
const [a, b, c] = [key(), key(), key()]

/** A secret store with `keys` over the test database. */
const storeWith = (keys: ReadonlyArray<PgSecretStore.Key>) =>
  Effect.provide(SecretStore, PgSecretStore.layer({ keys }).pipe(Layer.orDie))

/** A fresh `secrets` table with `values` stored under `keys`, spread over two organizations. */
const seed = (keys: ReadonlyArray<PgSecretStore.Key>, values: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM secrets`
    const orgs = [F.organization(), F.organization()]
    for (const org of orgs) yield* (yield* OrgStore).createOrganization(org)
    const store = yield* storeWith(keys)
    return yield* Effect.forEach(values, (value, i) => {
      const orgId = orgs[i % 2]!.id
      return Effect.map(store.put(orgId, Redacted.make(value)), (ref) => ({ orgId, ref, value }))
    })
  })

/** Every seeded value as a store with `keys` reads it. */
const readAll = (
  keys: ReadonlyArray<PgSecretStore.Key>,
  secrets: ReadonlyArray<{ orgId: string; ref: string }>
) =>
  Effect.flatMap(storeWith(keys), (store) =>
    Effect.forEach(secrets, (s) => Effect.map(store.get(s.orgId, s.ref), Redacted.value))
  )

const values = ["alpha", "bravo", "charlie", "delta", "echo"]

describe.each([
  ...(postgres ? [["PostgreSQL", postgresLayer] as const] : []),
  ["PGlite", pgliteLayer] as const
])("SecretRotation on %s", (_, database) => {
  layer(database(), { timeout: "60 seconds" })((it) => {
    it.effect("after rotating to B with A previous, a store with only B reads every secret", () =>
      Effect.gen(function* () {
        const secrets = yield* seed([a], values)
        // Batches of 2: the pass crosses batch boundaries and ends on a short one.
        const first = yield* SecretRotation.run({ keys: [b, a], batchSize: 2 })
        expect(first).toEqual({
          keyId: b.id,
          reencrypted: 5,
          alreadyCurrent: 0,
          unreadable: [],
          changedMeanwhile: 0,
          remaining: 0
        })
        expect(yield* readAll([b], secrets)).toEqual(values)
        const keyIds = yield* (yield* SqlClient.SqlClient)<{
          key_id: string
        }>`SELECT DISTINCT key_id FROM secrets`
        expect(keyIds).toEqual([{ key_id: b.id }])
      })
    )

    it.effect("a second rotation rewrites nothing and reports every secret current", () =>
      Effect.gen(function* () {
        const secrets = yield* seed([a], values)
        yield* SecretRotation.run({ keys: [b, a] })
        const sql = yield* SqlClient.SqlClient
        const before = yield* sql`SELECT id, iv, tag, ciphertext FROM secrets ORDER BY id`
        const second = yield* SecretRotation.run({ keys: [b, a], batchSize: 5 })
        expect(second).toMatchObject({ reencrypted: 0, alreadyCurrent: 5, unreadable: [], remaining: 0 })
        expect(yield* sql`SELECT id, iv, tag, ciphertext FROM secrets ORDER BY id`).toEqual(before)
        expect(yield* readAll([b], secrets)).toEqual(values)
      })
    )

    it.effect("a secret no configured key decrypts is reported and left as it is", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const readable = yield* seed([a], values.slice(0, 3))
        const lost = yield* Effect.flatMap(storeWith([c]), (s) =>
          s.put(readable[0]!.orgId, Redacted.make("x"))
        )
        const before = yield* sql`SELECT * FROM secrets WHERE id = ${lost}`
        const summary = yield* SecretRotation.run({ keys: [b, a], batchSize: 2 })
        expect(summary).toMatchObject({ reencrypted: 3, alreadyCurrent: 0, remaining: 0 })
        expect(summary.unreadable).toEqual([{ orgId: readable[0]!.orgId, ref: lost, keyId: c.id }])
        expect(yield* sql`SELECT * FROM secrets WHERE id = ${lost}`).toEqual(before)
        // Once its key is configured again, the next pass moves it too.
        const again = yield* SecretRotation.run({ keys: [b, c] })
        expect(again).toMatchObject({ reencrypted: 1, alreadyCurrent: 3, unreadable: [] })
        expect(yield* readAll([b], [...readable, { orgId: readable[0]!.orgId, ref: lost }])).toEqual([
          ...values.slice(0, 3),
          "x"
        ])
      })
    )

    it.effect("a tampered secret under the current key is reported as unreadable, not counted current", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const [first] = yield* seed([b], values.slice(0, 2))
        yield* sql`UPDATE secrets SET tag = ${randomBytes(16).toString("base64")} WHERE id = ${first!.ref}`
        const summary = yield* SecretRotation.run({ keys: [b, a] })
        expect(summary).toMatchObject({ reencrypted: 0, alreadyCurrent: 1, remaining: 0 })
        expect(summary.unreadable.map((u) => u.ref)).toEqual([first!.ref])
      })
    )

    it.effect("a key configured under another id than it was written with still opens its secrets", () =>
      Effect.gen(function* () {
        const secrets = yield* seed([a], values.slice(0, 2))
        const renamed = { id: "2025-old", material: a.material }
        const summary = yield* SecretRotation.run({ keys: [b, renamed] })
        expect(summary).toMatchObject({ reencrypted: 2, unreadable: [] })
        expect(yield* readAll([b], secrets)).toEqual(values.slice(0, 2))
      })
    )

    it.effect("two rotations at once rewrite each secret once", () =>
      Effect.gen(function* () {
        const secrets = yield* seed([a], values)
        const [x, y] = yield* Effect.all(
          [
            SecretRotation.run({ keys: [b, a], batchSize: 1 }),
            SecretRotation.run({ keys: [b, a], batchSize: 1 })
          ],
          { concurrency: 2 }
        )
        expect(x.reencrypted + y.reencrypted).toBe(5)
        for (const s of [x, y]) {
          expect(s.reencrypted + s.alreadyCurrent + s.changedMeanwhile).toBe(5)
          expect(s.remaining).toBe(0)
        }
        expect(yield* readAll([b], secrets)).toEqual(values)
      })
    )

    it.effect("refuses to run without a key", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(SecretRotation.run({ keys: [] }))
        expect(error._tag).toBe("InvalidSecretKey")
      })
    )
  })
})
