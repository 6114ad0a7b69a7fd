import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { SecretStore } from "@armature/core"
import { SecretStoreContract } from "@armature/core/testing"
import { Config, ConfigProvider, Effect, Redacted } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as VaultSecretStore from "./VaultSecretStore.js"

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: any
}

const goodToken = "hvs.loopback-token-0123456789"

/**
 * A loopback stand-in for Vault's KV version 2 engine mounted at `secret/`: write (with
 * check-and-set), read, list and delete-all-versions, Vault's 403 for any other token and its
 * 503 while `sealed`. Entries live in `entries`, by path under the mount.
 */
const startFakeVault = () =>
  new Promise<{
    address: string
    entries: Map<string, Record<string, unknown>>
    received: Array<Received>
    setSealed: (sealed: boolean) => void
    close: () => Promise<void>
  }>((resolve) => {
    const entries = new Map<string, Record<string, unknown>>()
    const received: Array<Received> = []
    let sealed = false
    const answer = (res: import("node:http").ServerResponse, status: number, body?: unknown) =>
      body === undefined
        ? res.writeHead(status).end()
        : res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
    const server = createServer(async (req, res) => {
      let raw = ""
      for await (const chunk of req) raw += chunk
      const body = raw === "" ? null : JSON.parse(raw)
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
      if (sealed) return answer(res, 503, { errors: ["Vault is sealed"] })
      if (req.headers["x-vault-token"] !== goodToken)
        return answer(res, 403, { errors: ["permission denied"] })
      const url = new URL(req.url ?? "/", "http://vault")
      // Vault decodes the path and resolves dot segments itself.
      const match = /^\/v1\/secret\/(data|metadata)\/(.+)$/.exec(decodeURIComponent(url.pathname))
      if (match === null) return answer(res, 404, { errors: [] })
      const [, kind, path] = match as unknown as [string, string, string]
      if (kind === "data" && req.method === "POST") {
        if (body?.options?.cas === 0 && entries.has(path)) {
          return answer(res, 400, { errors: ["check-and-set parameter did not match the current version"] })
        }
        entries.set(path, body.data)
        return answer(res, 200, { data: { created_time: new Date().toISOString(), version: 1 } })
      }
      if (kind === "data" && req.method === "GET") {
        const data = entries.get(path)
        return data === undefined
          ? answer(res, 404, { errors: [] })
          : answer(res, 200, { data: { data, metadata: { version: 1, destroyed: false } } })
      }
      if (kind === "metadata" && req.method === "DELETE") {
        entries.delete(path)
        return answer(res, 204)
      }
      if (kind === "metadata" && (req.method === "LIST" || url.searchParams.get("list") === "true")) {
        const folder = `${path.replace(/\/$/, "")}/`
        const keys = new Set(
          [...entries.keys()]
            .filter((p) => p.startsWith(folder))
            .map((p) => p.slice(folder.length).replace(/\/.*$/, "/"))
        )
        return keys.size === 0
          ? answer(res, 404, { errors: [] })
          : answer(res, 200, { data: { keys: [...keys] } })
      }
      answer(res, 405, { errors: ["unsupported operation"] })
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        entries,
        received,
        setSealed: (s) => {
          sealed = s
        },
        close: () => new Promise((done) => server.close(() => done()))
      })
    )
  })

const vault = await startFakeVault()
afterAll(() => vault.close())

const options = (over: Partial<VaultSecretStore.Options> = {}): VaultSecretStore.Options => ({
  address: vault.address,
  token: Redacted.make(goodToken),
  ...over
})

// #region contract
SecretStoreContract.secretStoreContract("VaultSecretStore", VaultSecretStore.layer(options()))
// #endregion contract

/** Runs `body` with a store built from `over`. */
const withStore = <A, E>(
  body: (store: SecretStore["Type"]) => Effect.Effect<A, E>,
  over: Partial<VaultSecretStore.Options> = {}
) =>
  Effect.runPromise(
    Effect.flatMap(SecretStore, body).pipe(Effect.provide(VaultSecretStore.layer(options(over))))
  )

const orgId = "0b6d2c8e-4a57-4f0e-9d0c-5f1f3a1f0c11"

describe("VaultSecretStore, a plugin secret store", () => {
  it("keeps the value in Vault under <prefix>/<org>/<ref>, written with cas 0; Armature keeps the ref", async () => {
    vault.received.length = 0
    const ref = await withStore((s) => s.put(orgId, Redacted.make("ghp_token-value")), {
      prefix: "teams/armature",
      namespace: "ops"
    })
    expect(vault.entries.get(`teams/armature/${orgId}/${ref}`)).toEqual({ value: "ghp_token-value" })
    const [write] = vault.received
    expect(write).toMatchObject({
      method: "POST",
      url: `/v1/secret/data/teams/armature/${orgId}/${ref}`,
      body: { options: { cas: 0 } }
    })
    expect(write?.headers["x-vault-token"]).toBe(goodToken)
    expect(write?.headers["x-vault-namespace"]).toBe("ops")
  })

  it("deleting removes every version through the metadata path", async () => {
    const ref = await withStore((s) => s.put(orgId, Redacted.make("short-lived")))
    vault.received.length = 0
    await withStore((s) => s.delete(orgId, ref))
    expect(vault.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      `DELETE /v1/secret/metadata/armature/${orgId}/${ref}`
    ])
    expect(vault.entries.has(`armature/${orgId}/${ref}`)).toBe(false)
  })

  it("a refused token is a StoreError, not SecretNotFound, and names neither the value nor the token", async () => {
    const ref = await withStore((s) => s.put(orgId, Redacted.make("kept-value")))
    const read = await withStore((s) => Effect.flip(s.get(orgId, ref)), {
      token: Redacted.make("hvs.revoked")
    })
    expect(read).toMatchObject({ _tag: "StoreError", unavailable: false })
    expect(read.message).toContain("403")
    const write = await withStore((s) => Effect.flip(s.put(orgId, Redacted.make("new-value"))), {
      token: Redacted.make("hvs.revoked")
    })
    for (const error of [read, write]) {
      expect(`${String(error)} ${JSON.stringify(error)}`).not.toMatch(/kept-value|new-value|hvs\./)
    }
  })

  it("a sealed or unreachable Vault is a StoreError marked unavailable, so callers may retry", async () => {
    const ref = await withStore((s) => s.put(orgId, Redacted.make("value")))
    vault.setSealed(true)
    try {
      const sealed = await withStore((s) => Effect.flip(s.get(orgId, ref)))
      expect(sealed).toMatchObject({ _tag: "StoreError", unavailable: true })
    } finally {
      vault.setSealed(false)
    }
    const down = await withStore((s) => Effect.flip(s.matching(orgId, ["value"])), {
      address: "http://127.0.0.1:9"
    })
    expect(down).toMatchObject({ _tag: "StoreError", unavailable: true })
  })

  it("bad options fail the layer, naming the field", async () => {
    const problem = (over: Partial<VaultSecretStore.Options>) =>
      Effect.runPromise(Effect.flip(Effect.provide(SecretStore, VaultSecretStore.layer(options(over)))))
    expect(await problem({ address: "vault.internal:8200" })).toMatchObject({ field: "address" })
    expect(await problem({ prefix: "armature/../other" })).toMatchObject({ field: "prefix" })
    expect(await problem({ mount: "" })).toMatchObject({ field: "mount" })
    expect(await problem({ token: Redacted.make(" ") })).toMatchObject({ field: "token" })
  })

  it("layerConfig reads the options under the names the application gives them", async () => {
    const layer = VaultSecretStore.layerConfig({
      address: Config.string("VAULT_ADDR"),
      token: Config.redacted("VAULT_TOKEN")
    })
    const value = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* SecretStore
        return Redacted.value(yield* store.get(orgId, yield* store.put(orgId, Redacted.make("from-config"))))
      }).pipe(
        Effect.provide(layer),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["VAULT_ADDR", vault.address],
              ["VAULT_TOKEN", goodToken]
            ])
          )
        )
      )
    )
    expect(value).toBe("from-config")
  })
})
