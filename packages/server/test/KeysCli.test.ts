/**
 * `armature keys` against a running server (SPEC §11): with `--key` (and `--url`) it works over
 * REST — the new token is shown once and lists monitors, `list` never shows a secret, `revoke`
 * takes effect on the next request, the API's errors show their code and fields — and without a
 * key it says that the running server holds the embedded database instead of opening it.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { rest, runCli, type ServerProcess, startServer } from "./support/serverProcess.js"

const tokenIn = (output: string) => /\b(amt_[a-z0-9]{12}_[A-Za-z0-9_-]+)/.exec(output)?.[1]
const secretOf = (token: string) => token.split("_").slice(2).join("_")

describe("armature keys over REST", () => {
  const dir = mkdtempSync(join(tmpdir(), "armature-keys-"))
  // The embedded store, and nothing of the developer's shell that would pick a server or key.
  const env: Record<string, string | undefined> = {
    ARMATURE_DATA_DIR: join(dir, "data"),
    DATABASE_URL: undefined,
    OPENAI_API_KEY: undefined,
    ARMATURE_URL: undefined,
    ARMATURE_API_KEY: undefined,
    HOST: undefined
  }
  let server: ServerProcess
  let owner: string

  beforeAll(async () => {
    server = await startServer(env)
    owner = server.ownerKey!
    expect(owner).toBeDefined()
  }, 90_000)

  afterAll(async () => {
    expect(await server?.stop()).toBe(0)
    rmSync(dir, { recursive: true, force: true })
  })

  it("creates a key whose token works, lists it without its secret, revokes it for the next request", async () => {
    const created = await runCli(
      ["keys", "create", "--name", "ci", "--role", "editor", "--url", server.baseUrl, "--key", owner],
      env
    )
    expect(created.code).toBe(0)
    expect(created.output).toMatch(/Created editor key "ci" \(amt_[a-z0-9]{12}…\)\. Token, shown once:/)
    const token = tokenIn(created.output)!
    expect(token).toBeDefined()
    expect(created.output).not.toContain(owner)
    expect(await rest(server.baseUrl, token, "GET", "/monitors")).toEqual(
      expect.objectContaining({ items: expect.any(Array) })
    )

    // The key from ARMATURE_API_KEY, at the URL of ARMATURE_URL.
    const listed = await runCli(["keys", "list"], {
      ...env,
      ARMATURE_URL: server.baseUrl,
      ARMATURE_API_KEY: owner
    })
    expect(listed.code).toBe(0)
    const keyId = token.split("_")[1]!
    expect(listed.output).toMatch(
      new RegExp(`${keyId}\\tamt_${keyId}…\\teditor\\tci\\tcreated \\S+\\tlast used \\S+`)
    )
    expect(listed.output).toContain("\towner\tOwner (owner)\t")
    expect(listed.output).not.toContain(secretOf(token))
    expect(listed.output).not.toContain(secretOf(owner))

    const revoked = await runCli(["keys", "revoke", keyId, "--url", server.baseUrl, "--key", owner], env)
    expect(revoked.code).toBe(0)
    expect(revoked.output).toContain(`Revoked key ${keyId}; it stops working on its next request.`)
    await expect(rest(server.baseUrl, token, "GET", "/monitors")).rejects.toThrow(/→ 401:/)

    const again = await runCli(["keys", "revoke", keyId, "--url", server.baseUrl, "--key", owner], env)
    expect(again.code).toBe(1)
    expect(again.output).toContain("error: not_found:")
  }, 120_000)

  it("shows the API's refusals with their code and fields, and names an unreachable URL", async () => {
    const viewer = (
      await rest(server.baseUrl, owner, "POST", "/api-keys", { name: "viewer", role: "viewer" })
    ).token as string
    const [forbidden, badRole, revoked, unreachable] = await Promise.all([
      runCli(["keys", "create", "--name", "x", "--url", server.baseUrl, "--key", viewer], env),
      runCli(
        ["keys", "create", "--name", "x", "--role", "root", "--url", server.baseUrl, "--key", owner],
        env
      ),
      runCli(["keys", "list", "--url", server.baseUrl, "--key", `${owner.slice(0, -4)}AAAA`], env),
      runCli(["keys", "list", "--url", "http://127.0.0.1:9", "--key", owner], env)
    ])
    expect(forbidden.code).toBe(1)
    expect(forbidden.output).toContain("error: forbidden_role:")
    expect(forbidden.output).toContain(`(HTTP 403 from ${server.baseUrl})`)
    expect(tokenIn(forbidden.output)).toBeUndefined()

    expect(badRole.code).toBe(1)
    expect(badRole.output).toContain("error: validation_failed:")
    expect(badRole.output).toContain(
      `  role: must be one of "viewer", "editor", "admin", "owner" (got "root")`
    )

    expect(revoked.code).toBe(1)
    expect(revoked.output).toContain("error: unauthenticated:")
    expect(revoked.output).toContain("Check the key given by --key")

    expect(unreachable.code).toBe(1)
    expect(unreachable.output).toContain("Cannot reach Armature at http://127.0.0.1:9")
    for (const run of [forbidden, badRole, revoked, unreachable]) {
      expect(run.output).not.toContain(secretOf(owner))
      expect(run.output).not.toContain(secretOf(viewer))
    }
  }, 120_000)

  it("without --key, says the running server holds the database; with --key alone, uses it", async () => {
    const port = new URL(server.baseUrl).port
    const local = { ...env, PORT: port }
    const [refused, viaLocal, unprobed] = await Promise.all([
      runCli(["keys", "create", "--name", "ci"], local),
      runCli(["keys", "list", "--key", owner], local),
      // Settings with a random port name no server to ask: the data dir's lock says it instead.
      runCli(["keys", "list"], { ...env, PORT: "0" })
    ])
    expect(refused.code).toBe(2)
    expect(refused.output).toContain(
      `A server is running at http://127.0.0.1:${port}; pass --key <an admin key> (the owner key printed at first start) to manage keys over REST`
    )
    expect(refused.output).not.toContain("is in use by process")
    expect(unprobed.code).toBe(1)
    expect(unprobed.output).toContain("is in use by process")
    expect(unprobed.output).toContain(
      "To manage keys while it runs, pass --url <its URL> --key <an admin key>."
    )
    expect(viaLocal.code).toBe(0)
    expect(viaLocal.output).toContain("\towner\tOwner (owner)\t")
  }, 120_000)
})
