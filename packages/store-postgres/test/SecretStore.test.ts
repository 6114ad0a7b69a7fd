import { randomBytes } from "node:crypto"
import { OrgStore, SecretStore } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import { PgSecretStore } from "../src/index.js"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"
import * as F from "./support/fixtures.js"

const postgres = await postgresAvailable("SecretStore.test.ts")

const keyText = () => randomBytes(32).toString("base64")
const key = (text = keyText()) => Either.getOrThrow(PgSecretStore.parseKey(text))
const [k1, k2] = [key(), key()]

/** A secret store with `keys` over the test database. */
const storeWith = (keys: ReadonlyArray<PgSecretStore.Key>) =>
  Effect.provide(SecretStore, PgSecretStore.layer({ keys }).pipe(Layer.orDie))

const newOrg = Effect.gen(function* () {
  const org = F.organization()
  yield* (yield* OrgStore).createOrganization(org)
  return org.id
})

describe("PgSecretStore.parseKey", () => {
  it("accepts 32 bytes as base64 or hex, with an optional id", () => {
    const bytes = randomBytes(32)
    const fromHex = key(bytes.toString("hex"))
    const fromBase64 = key(bytes.toString("base64"))
    expect(fromHex.id).toBe(fromBase64.id)
    expect(Redacted.value(fromHex.material).equals(bytes)).toBe(true)
    expect(key(`2026-01:${bytes.toString("base64")}`).id).toBe("2026-01")
    expect(String(fromHex.material)).not.toContain(bytes.toString("hex"))
  })

  it("refuses keys of another length", () => {
    expect(Either.isLeft(PgSecretStore.parseKey(randomBytes(16).toString("base64")))).toBe(true)
    expect(Either.isLeft(PgSecretStore.parseKey("not a key"))).toBe(true)
  })
})

describe.each([
  ...(postgres ? [["PostgreSQL", postgresLayer] as const] : []),
  ["PGlite", pgliteLayer] as const
])("PgSecretStore on %s", (_, database) => {
  layer(database(), { timeout: "60 seconds" })((it) => {
    it.effect("stores only ciphertext and reads the value back in its organization only", () =>
      Effect.gen(function* () {
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const store = yield* storeWith([k1])
        const ref = yield* store.put(orgA, Redacted.make("s3cret-token-value"))
        expect(Redacted.value(yield* store.get(orgA, ref))).toBe("s3cret-token-value")
        const rows = yield* (yield* SqlClient.SqlClient)`SELECT * FROM secrets WHERE id = ${ref}`
        expect(JSON.stringify(rows)).not.toContain("s3cret")
        expect(rows[0]?.key_id).toBe(k1.id)
        const error = yield* Effect.flip(store.get(orgB, ref))
        expect(error._tag).toBe("SecretNotFound")
        yield* store.delete(orgA, ref)
        expect((yield* Effect.flip(store.get(orgA, ref)))._tag).toBe("SecretNotFound")
      })
    )

    it.effect("a row moved to another organization or tampered with does not decrypt", () =>
      Effect.gen(function* () {
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const sql = yield* SqlClient.SqlClient
        const store = yield* storeWith([k1])
        const ref = yield* store.put(orgA, Redacted.make("value"))
        yield* sql`UPDATE secrets SET org_id = ${orgB} WHERE id = ${ref}`
        expect((yield* Effect.flip(store.get(orgB, ref)))._tag).toBe("StoreError")
        yield* sql`DELETE FROM secrets WHERE id = ${ref}`
      })
    )

    it.effect("older keys still decrypt what they encrypted; new values take the first key", () =>
      Effect.gen(function* () {
        const org = yield* newOrg
        const sql = yield* SqlClient.SqlClient
        const old = yield* Effect.flatMap(storeWith([k1]), (s) => s.put(org, Redacted.make("a")))
        const both = yield* storeWith([k2, k1])
        expect(Redacted.value(yield* both.get(org, old))).toBe("a")
        const fresh = yield* both.put(org, Redacted.make("b"))
        const rows = yield* sql<{ key_id: string }>`SELECT key_id FROM secrets WHERE id = ${fresh}`
        expect(rows[0]?.key_id).toBe(k2.id)
      })
    )

    it.effect("layerConfig takes its keys from configuration under the application's names", () =>
      Effect.gen(function* () {
        const org = yield* newOrg
        const [old, current] = [keyText(), keyText()]
        const ref = yield* Effect.flatMap(storeWith([key(old)]), (s) => s.put(org, Redacted.make("v")))
        // The first key encrypts; older ones, comma-separated under another name, only decrypt.
        const configured = PgSecretStore.layerConfig({
          keys: Config.map(
            Config.all([
              PgSecretStore.keysFrom(Config.redacted("APP_SECRET_KEY")),
              Config.withDefault(PgSecretStore.keysFrom(Config.redacted("APP_OLD_KEYS")), [])
            ]),
            ([first, older]) => [...first, ...older]
          )
        })
        const withSettings = (settings: ReadonlyArray<[string, string]>) =>
          configured.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(settings)))))
        const store = yield* Effect.provide(
          SecretStore,
          withSettings([
            ["APP_SECRET_KEY", current],
            ["APP_OLD_KEYS", `${keyText()},${old}`]
          ]).pipe(Layer.orDie)
        )
        expect(Redacted.value(yield* store.get(org, ref))).toBe("v")
        const missing = yield* Effect.flip(
          Layer.build(withSettings([["APP_SECRET_KEY", "short"]])).pipe(Effect.scoped)
        )
        expect(String(missing)).toContain("32 bytes")
      })
    )
  })
})
