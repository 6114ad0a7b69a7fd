/**
 * What a REST caller sends never starts a process on the host nor reaches an address the
 * deployment's guard refuses.
 *
 * A stdio server starts a process on the host, so nothing a REST caller sends may start one:
 * creating a stdio server is refused for every role, and probing or syncing a stdio server whose
 * command the operator did not set starts nothing. One the operator registered still runs.
 */
import { existsSync, mkdtempSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ServerStore, Servers } from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let owner: Awaited<ReturnType<ApiServer["organization"]>>
const dir = mkdtempSync(join(tmpdir(), "armature-stdio-"))

beforeAll(async () => {
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
}, 120_000)
afterAll(() => api?.close())

/** A command that leaves a file behind if it ever runs. */
const tripwire = (name: string) => {
  const marker = join(dir, name)
  return { marker, command: "sh", args: ["-c", `touch ${marker}`] }
}

describe("REST callers cannot start processes", () => {
  it("creating a stdio server is 403 stdio_not_allowed for editors and owners, and stores nothing", async () => {
    const editor = await api.key(owner.caller, "editor")
    for (const [role, token] of [
      ["editor", editor],
      ["owner", owner.token]
    ] as const) {
      const { marker, command, args } = tripwire(`create-${role}`)
      const reply = await api.request("POST", "/mcp-servers", {
        token,
        body: { name: `shell-${role}`, transport: "stdio", command, args }
      })
      expect(reply.status).toBe(403)
      expect(reply.body.error.code).toBe("stdio_not_allowed")
      expect(reply.body.error.message).toContain("armature apply")
      expect(existsSync(marker)).toBe(false)
    }
    const list = await api.request("GET", "/mcp-servers", { token: owner.token })
    expect(list.body.items ?? list.body).toEqual([])
  })

  it("probing or syncing a stdio server the operator did not approve starts nothing", async () => {
    const { marker, command, args } = tripwire("probe")
    // As a row registered before launches needed approval would be.
    const stored = Fixtures.server(owner.orgId, { transport: "stdio", baseUrl: null, command, args })
    await api.run(Effect.flatMap(ServerStore, (s) => s.insertServer(stored)))

    const probe = await api.request("POST", `/mcp-servers/${stored.id}/probe`, {
      token: owner.token,
      body: {}
    })
    expect(probe.status).toBe(200)
    expect(probe.body.probe).toMatchObject({ ok: false, error: { reason: "ssrf_blocked" } })
    expect(probe.body.probe.error.message).toContain("operator")
    const sync = await api.request("POST", `/mcp-servers/${stored.id}/sync`, { token: owner.token })
    expect(sync.status).toBe(502)
    expect(existsSync(marker)).toBe(false)
  })

  it("a stdio server the operator registered is probed over REST as usual", async () => {
    const operator = { ...owner.caller, operator: true }
    const everything = createRequire(import.meta.url).resolve(
      "@modelcontextprotocol/server-everything/dist/index.js"
    )
    const { server } = await api.run(
      Servers.register(operator, {
        name: "everything",
        transport: "stdio",
        command: process.execPath,
        args: [everything, "stdio"]
      })
    )
    expect(server.launchApproved).toBe(true)
    const editor = await api.key(owner.caller, "editor")
    const probe = await api.request("POST", `/mcp-servers/${server.id}/probe`, { token: editor, body: {} })
    expect(probe.body.probe).toEqual({ ok: true })
  })
})

describe("REST callers cannot point Armature at refused addresses", () => {
  it("a server URL the address guard refuses is 400 naming baseUrl, and is not saved", async () => {
    const before = await api.request("GET", "/mcp-servers", { token: owner.token })
    for (const baseUrl of [
      "https://169.254.169.254/latest/meta-data",
      "https://[64:ff9b::a9fe:a9fe]/mcp",
      "https://[::ffff:a9fe:a9fe]/mcp"
    ]) {
      const reply = await api.request("POST", "/mcp-servers", {
        token: owner.token,
        body: { name: `metadata ${baseUrl.length}`, baseUrl }
      })
      expect(reply.status).toBe(400)
      expect(reply.body.error.details.fieldErrors).toEqual([
        { field: "baseUrl", message: expect.stringContaining("address guard") }
      ])
    }
    expect(await api.request("GET", "/mcp-servers", { token: owner.token })).toMatchObject({
      body: before.body
    })
  })
})
