/**
 * The `armature` CLI and the secret key: every command that opens a PostgreSQL store refuses to
 * start without `ARMATURE_SECRET_KEY` and says how to make one; `armature secrets rotate`
 * re-encrypts every stored secret under the current key, beside a running server, and fails while
 * any secret is left unreadable.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { OrgStore, SecretStore } from "@armature/core"
import { PgSecretStore, PgStore } from "@armature/store-postgres"
import type { SqlClient } from "@effect/sql"
import { Effect, Either, Exit, Layer, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabaseUrl, postgresAvailable } from "../../store-postgres/test/support/databases.js"
import * as F from "../../store-postgres/test/support/fixtures.js"
import { runCli, startServer } from "./support/serverProcess.js"

const keyText = () => randomBytes(32).toString("base64")
const parse = (text: string) => Either.getOrThrow(PgSecretStore.parseKey(text))

describe("with DATABASE_URL, every command that opens the store needs ARMATURE_SECRET_KEY", () => {
  const dir = mkdtempSync(join(tmpdir(), "armature-secrets-"))
  const keyFile = keyText()
  writeFileSync(join(dir, "secret.key"), `${keyFile}\n`, { mode: 0o600 })
  const config = join(dir, "armature.yaml")
  writeFileSync(config, "servers: []\n")
  // Nothing listens on port 1: the refusal must come before any attempt to connect.
  const env = {
    DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    ARMATURE_DATA_DIR: dir,
    ARMATURE_SECRET_KEY: undefined,
    ARMATURE_SECRET_KEYS_PREVIOUS: undefined
  }

  it.concurrent.each(
    [["serve"], ["migrate"], ["init"], ["keys", "list"], ["apply", config], ["secrets", "rotate"]].map(
      (args) => ({ command: args[0], args })
    )
  )(
    "armature $command refuses to start and says how to make a key",
    async ({ args }) => {
      const { code, output } = await runCli(args, env)
      expect(code).toBe(1)
      expect(output).toContain("ARMATURE_SECRET_KEY is required with DATABASE_URL")
      expect(output).toContain("openssl rand -base64 32")
      expect(output).toContain(`${join(dir, "secret.key")} is not used with PostgreSQL`)
      expect(output).not.toContain(keyFile)
      expect(output).not.toContain("cannot open the database")
    },
    120_000
  )
})

describe("armature secrets rotate on the embedded store", () => {
  it("uses the key the data dir's first start generated (mode 0600)", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "armature-secrets-")), "data")
    const env = { DATABASE_URL: undefined, ARMATURE_DATA_DIR: dir, ARMATURE_SECRET_KEY: undefined }
    const { code, output } = await runCli(["secrets", "rotate"], env)
    expect(output).toContain("Re-encrypted 0, already current 0, unreadable 0")
    expect(code).toBe(0)
    expect(statSync(join(dir, "secret.key")).mode & 0o777).toBe(0o600)
  }, 120_000)
})

const postgres = await postgresAvailable("packages/server/test/Secrets.test.ts")

describe.runIf(postgres)("armature secrets rotate on PostgreSQL", () => {
  const database = Effect.runSync(Scope.make())
  let url: string
  const [a, b, c] = [keyText(), keyText(), keyText()]
  const values = ["token-one", "token-two", "token-three"]
  let stored: ReadonlyArray<{ readonly orgId: string; readonly ref: string }> = []

  /** Runs `f` on the test database's stores with `keys`. */
  const withStore = <A, E>(
    keys: ReadonlyArray<string>,
    f: Effect.Effect<A, E, SecretStore | OrgStore | SqlClient.SqlClient>
  ) =>
    Effect.runPromise(
      f.pipe(
        Effect.provide(
          PgStore.layer({ url: Redacted.make(url), maxConnections: 2, secretKeys: keys.map(parse) }).pipe(
            Layer.orDie
          )
        )
      )
    )

  const readAll = (keys: ReadonlyArray<string>) =>
    withStore(
      keys,
      Effect.flatMap(SecretStore, (store) =>
        Effect.forEach(stored, (s) => Effect.map(store.get(s.orgId, s.ref), Redacted.value))
      )
    )

  const rotate = (keys: { current: string; previous?: string }) =>
    runCli(["secrets", "rotate", "--batch-size", "2"], {
      DATABASE_URL: url,
      ARMATURE_SECRET_KEY: keys.current,
      ARMATURE_SECRET_KEYS_PREVIOUS: keys.previous
    })

  beforeAll(async () => {
    url = await Effect.runPromise(Scope.extend(freshDatabaseUrl, database))
    stored = await withStore(
      [a],
      Effect.gen(function* () {
        const orgs = [F.organization(), F.organization()]
        for (const org of orgs) yield* (yield* OrgStore).createOrganization(org)
        const store = yield* SecretStore
        return yield* Effect.forEach(values, (value, i) =>
          Effect.map(store.put(orgs[i % 2]!.id, Redacted.make(value)), (ref) => ({
            orgId: orgs[i % 2]!.id,
            ref
          }))
        )
      })
    )
  }, 60_000)

  afterAll(() => Effect.runPromise(Scope.close(database, Exit.void)), 60_000)

  it("moves every secret to the new key beside a running server; a second run finds all current", async () => {
    // The server already runs with the new key and the old one, as the README's steps say.
    const server = await startServer({
      DATABASE_URL: url,
      ARMATURE_SECRET_KEY: b,
      ARMATURE_SECRET_KEYS_PREVIOUS: a
    })
    try {
      const first = await rotate({ current: b, previous: a })
      expect(first.output).toContain("Re-encrypted 3, already current 0, unreadable 0")
      expect(first.code).toBe(0)
      expect(await readAll([b])).toEqual(values)

      const second = await rotate({ current: b, previous: a })
      expect(second.output).toContain("Re-encrypted 0, already current 3, unreadable 0")
      expect(second.code).toBe(0)
      expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200)
      for (const text of [first.output, second.output]) {
        for (const secret of [a, b, ...values]) expect(text).not.toContain(secret)
      }
    } finally {
      await server.stop()
    }
  }, 120_000)

  it("reports a secret no configured key decrypts, keeps it, and exits 1 naming how many", async () => {
    const [org] = stored
    const lost = await withStore(
      [c],
      Effect.flatMap(SecretStore, (s) => s.put(org!.orgId, Redacted.make("lost")))
    )
    const { code, output } = await rotate({ current: b, previous: a })
    expect(code).toBe(1)
    expect(output).toContain("Re-encrypted 0, already current 3, unreadable 1")
    expect(output).toContain(
      `unreadable: secret ${lost} of organization ${org!.orgId}, under key ${parse(c).id}`
    )
    expect(output).toContain("error: 1 secret could not be decrypted with any configured key")
    for (const secret of [a, b, c]) expect(output).not.toContain(secret)
    // Still there, and its own key still opens it.
    const value = await withStore(
      [c],
      Effect.flatMap(SecretStore, (s) => s.get(org!.orgId, lost))
    )
    expect(Redacted.value(value)).toBe("lost")
  }, 60_000)
})
