/**
 * Where the secret store's keys come from: `ARMATURE_SECRET_KEY` is required with PostgreSQL (a
 * key file is never used in its place); the embedded store generates its key once in the data
 * dir; `ARMATURE_SECRET_KEYS_PREVIOUS` adds decrypt-only keys.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PgSecretStore } from "@armature/store-postgres"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer } from "effect"
import * as Store from "../src/app/Store.js"
import * as ServerConfig from "../src/config/ServerConfig.js"
import { resolveSecretKeys } from "../src/config/secretKey.js"

const keyText = () => randomBytes(32).toString("base64")
const idOf = (text: string) => Either.getOrThrow(PgSecretStore.parseKey(text)).id
// Nothing listens on port 1: a test that reached the database would fail differently.
const unreachable = "postgres://nobody@127.0.0.1:1/none"

const withSettings = (settings: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings))))

const keysFor = (settings: Record<string, string>) =>
  Effect.flatMap(ServerConfig.config, resolveSecretKeys).pipe(
    withSettings(settings),
    Effect.provide(NodeContext.layer)
  )

/** A data dir holding a key file, as an embedded deployment (or an older version) left it. */
const dataDirWithKeyFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "armature-key-"))
  const text = keyText()
  writeFileSync(join(dir, "secret.key"), `${text}\n`, { mode: 0o600 })
  return { dir, text }
}

describe("with DATABASE_URL, ARMATURE_SECRET_KEY is required", () => {
  it.effect(
    "without it, the keys are refused with how to make one, and the data dir's key file is not used",
    () =>
      Effect.gen(function* () {
        const { dir, text } = dataDirWithKeyFile()
        const error = yield* Effect.flip(keysFor({ DATABASE_URL: unreachable, ARMATURE_DATA_DIR: dir }))
        expect(error._tag).toBe("SecretKeyRequired")
        expect(error.message).toContain("ARMATURE_SECRET_KEY is required with DATABASE_URL")
        expect(error.message).toContain("openssl rand -base64 32")
        expect(error.message).toContain(join(dir, "secret.key"))
        expect(error.message).not.toContain(text)
      })
  )

  it.effect("the store does not open, and says why before reaching the database", () =>
    Effect.gen(function* () {
      const { dir } = dataDirWithKeyFile()
      const error = yield* Effect.flip(
        Layer.build(Store.layer).pipe(
          Effect.scoped,
          Effect.provide(Layer.merge(ServerConfig.layer, NodeContext.layer)),
          withSettings({ DATABASE_URL: unreachable, ARMATURE_DATA_DIR: dir })
        )
      )
      expect(error._tag).toBe("StoreUnavailable")
      expect(error.message).toMatch(/^ARMATURE_SECRET_KEY is required with DATABASE_URL/)
    })
  )

  it.effect("with it, the configured key is the current one even beside a key file", () =>
    Effect.gen(function* () {
      const { dir } = dataDirWithKeyFile()
      const current = keyText()
      const keys = yield* keysFor({
        DATABASE_URL: unreachable,
        ARMATURE_DATA_DIR: dir,
        ARMATURE_SECRET_KEY: current
      })
      expect(keys.map((k) => k.id)).toEqual([idOf(current)])
    })
  )
})

describe("the embedded store without ARMATURE_SECRET_KEY", () => {
  it.effect("generates its key once in the data dir, readable by its owner only, and keeps it", () =>
    Effect.gen(function* () {
      const dir = join(mkdtempSync(join(tmpdir(), "armature-key-")), "data")
      const [first] = yield* keysFor({ ARMATURE_DATA_DIR: dir })
      const file = join(dir, "secret.key")
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const stored = readFileSync(file, "utf8")
      const [second] = yield* keysFor({ ARMATURE_DATA_DIR: dir })
      expect(second!.id).toBe(first!.id)
      expect(readFileSync(file, "utf8")).toBe(stored)
    })
  )
})

describe("ARMATURE_SECRET_KEYS_PREVIOUS", () => {
  it.effect("adds decrypt-only keys after the current one", () =>
    Effect.gen(function* () {
      const [current, old1, old2] = [keyText(), keyText(), keyText()]
      const keys = yield* keysFor({
        DATABASE_URL: unreachable,
        ARMATURE_SECRET_KEY: current,
        ARMATURE_SECRET_KEYS_PREVIOUS: `${old1}, ${old2},`
      })
      expect(keys.map((k) => k.id)).toEqual([current, old1, old2].map(idOf))
    })
  )

  it.effect("a malformed key is named by its place, never shown", () =>
    Effect.gen(function* () {
      const bad = randomBytes(16).toString("base64")
      const error = yield* Effect.flip(
        keysFor({
          DATABASE_URL: unreachable,
          ARMATURE_SECRET_KEY: keyText(),
          ARMATURE_SECRET_KEYS_PREVIOUS: `${keyText()},${bad}`
        })
      )
      expect(error.message).toBe(
        "ARMATURE_SECRET_KEYS_PREVIOUS (key 2 of 2): a secret key must be 32 bytes, as base64 or hex"
      )
    })
  )
})
