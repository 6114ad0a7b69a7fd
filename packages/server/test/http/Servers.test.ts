/**
 * `/mcp-servers` over PGlite and the real runner connector, against the demo MCP server.
 */
import { createServer } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let owner: Awaited<ReturnType<ApiServer["organization"]>>

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
}, 120_000)
afterAll(async () => {
  await api?.close()
  await demo?.close()
})

/** A loopback port nothing listens on (bound, then released). */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

const setRegression = (on: boolean) =>
  fetch(demo.url.replace("/mcp", "/regression"), { method: "POST", body: JSON.stringify({ on }) })

describe("registering a server probes it live", () => {
  it("a reachable server is saved active with its catalog, and the probe outcome is returned", async () => {
    const reply = await api.request("POST", "/mcp-servers", {
      token: owner.token,
      body: { name: "demo-shop", baseUrl: demo.url }
    })
    expect(reply.status).toBe(201)
    expect(reply.body.probe).toEqual({ ok: true })
    expect(reply.body.server).toMatchObject({
      name: "demo-shop",
      state: "active",
      transport: "streamable_http"
    })
    expect(reply.body.catalog).toMatchObject({ version: 1, toolCount: 3, serverInfo: { name: "demo-shop" } })
    expect(reply.body.authProfiles).toEqual([expect.objectContaining({ name: "default", kind: "none" })])

    const detail = await api.request("GET", `/mcp-servers/${reply.body.server.id}`, { token: owner.token })
    expect(detail.status).toBe(200)
    expect(detail.body.catalog.toolCount).toBe(3)
  })

  it("an unreachable server is still saved, as unreachable with the reason", async () => {
    const reply = await api.request("POST", "/mcp-servers", {
      token: owner.token,
      body: { name: "down", baseUrl: `http://127.0.0.1:${await closedPort()}/mcp` }
    })
    expect(reply.status).toBe(201)
    expect(reply.body.probe.ok).toBe(false)
    expect(reply.body.probe.error.reason).toBe("connection_refused")
    expect(reply.body.server.state).toBe("unreachable")
  })

  it("bad input is a 400 naming the field, and nothing is stored", async () => {
    const reply = await api.request("POST", "/mcp-servers", {
      token: owner.token,
      body: { name: "bad", baseUrl: "ftp://example.com/mcp" }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("validation_failed")
    expect(reply.body.error.details.fieldErrors.map((f: { field: string }) => f.field)).toContain("baseUrl")
    const list = await api.request("GET", "/mcp-servers", { token: owner.token })
    expect(list.body.items.map((s: { name: string }) => s.name).sort()).toEqual(["demo-shop", "down"])
  })

  it("a viewer cannot register a server", async () => {
    const token = await api.key(owner.caller, "viewer")
    const reply = await api.request("POST", "/mcp-servers", { token, body: { name: "v", baseUrl: demo.url } })
    expect(reply.status).toBe(403)
    expect(reply.body.error.code).toBe("forbidden_role")
  })
})

describe("catalog sync, history and coverage", () => {
  const serverId = async () => {
    const list = await api.request("GET", "/mcp-servers", { token: owner.token })
    return list.body.items.find((s: { name: string }) => s.name === "demo-shop").id as string
  }

  it("sync needs the admin role", async () => {
    const token = await api.key(owner.caller, "editor")
    const reply = await api.request("POST", `/mcp-servers/${await serverId()}/sync`, { token })
    expect(reply.status).toBe(403)
    expect(reply.body.error.code).toBe("forbidden_role")
  })

  it("an unchanged catalog stores no new version; a changed one is classified", async () => {
    const id = await serverId()
    const same = await api.request("POST", `/mcp-servers/${id}/sync`, { token: owner.token })
    expect(same.status).toBe(200)
    expect(same.body).toMatchObject({ catalogVersion: 1, added: [], removed: [], changed: [] })

    await setRegression(true)
    try {
      const drift = await api.request("POST", `/mcp-servers/${id}/sync`, { token: owner.token })
      expect(drift.body.catalogVersion).toBe(2)
      expect(drift.body.changed).toEqual([
        expect.objectContaining({ tool: "get_order", classification: "breaking" })
      ])
    } finally {
      await setRegression(false)
    }

    const catalog = await api.request("GET", `/mcp-servers/${id}/catalog`, { token: owner.token })
    expect(catalog.status).toBe(200)
    expect(catalog.body.latest.version).toBe(2)
    expect(catalog.body.history.map((h: { version: number }) => h.version)).toEqual([2, 1])
    expect(catalog.body.history[0].diff.severity).toBe("breaking")
    const limited = await api.request("GET", `/mcp-servers/${id}/catalog?limit=1`, { token: owner.token })
    expect(limited.body.history).toHaveLength(1)
    const bad = await api.request("GET", `/mcp-servers/${id}/catalog?limit=zero`, { token: owner.token })
    expect(bad.status).toBe(400)
    expect(bad.body.error.details.fieldErrors[0].field).toBe("limit")
  })

  it("syncing an unreachable server is a 502 server_unreachable with the reason", async () => {
    const list = await api.request("GET", "/mcp-servers", { token: owner.token })
    const down = list.body.items.find((s: { name: string }) => s.name === "down").id
    const reply = await api.request("POST", `/mcp-servers/${down}/sync`, { token: owner.token })
    expect(reply.status).toBe(502)
    expect(reply.body.error).toMatchObject({
      code: "server_unreachable",
      details: { reason: "connection_refused" }
    })
  })

  it("coverage lists every tool as uncovered before any workflow or run", async () => {
    const reply = await api.request("GET", `/mcp-servers/${await serverId()}/coverage`, {
      token: owner.token
    })
    expect(reply.status).toBe(200)
    expect(reply.body.percentage).toBe(0)
    expect([...reply.body.uncovered].sort()).toEqual(["cancel_order", "get_order", "list_products"])
  })

  it("another organization cannot see the server", async () => {
    const other = await api.organization("Globex")
    const reply = await api.request("GET", `/mcp-servers/${await serverId()}`, { token: other.token })
    expect(reply.status).toBe(404)
    expect(reply.body.error.code).toBe("mcp_server_not_found")
  })
})

describe("auth profiles and probes", () => {
  const register = async (name: string) => {
    const reply = await api.request("POST", "/mcp-servers", {
      token: owner.token,
      body: { name, baseUrl: demo.url }
    })
    return reply.body.server.id as string
  }

  it("a profile is added without its secret ever coming back, and probes can use it", async () => {
    const id = await register("demo-profiles")
    const added = await api.request("POST", `/mcp-servers/${id}/auth-profiles`, {
      token: owner.token,
      body: { name: "ci", kind: "bearer", token: "Bearer s3cr3t-first" }
    })
    expect(added.status).toBe(201)
    expect(added.body).toMatchObject({ name: "ci", kind: "bearer", hasSecret: true })
    expect(JSON.stringify(added.body)).not.toContain("s3cr3t")

    const probed = await api.request("POST", `/mcp-servers/${id}/probe`, {
      token: owner.token,
      body: { authProfileId: added.body.id }
    })
    expect(probed.status).toBe(200)
    expect(probed.body.probe).toEqual({ ok: true })
    expect(probed.body.server.state).toBe("active")

    const typo = await api.request("POST", `/mcp-servers/${id}/probe`, {
      token: owner.token,
      body: { profileId: added.body.id }
    })
    expect(typo.status).toBe(400)
    expect(typo.body.error.details.fieldErrors.map((f: { field: string }) => f.field)).toEqual(["profileId"])

    const detail = await api.request("GET", `/mcp-servers/${id}`, { token: owner.token })
    expect(detail.body.authProfiles.map((p: { name: string }) => p.name)).toEqual(["default", "ci"])
  })

  it("a profile's secret is replaced in place; bad input names the field and changes nothing", async () => {
    const id = await register("demo-rotation")
    const added = await api.request("POST", `/mcp-servers/${id}/auth-profiles`, {
      token: owner.token,
      body: { name: "ci", kind: "api_key_header", headerName: "X-Api-Key", headerValue: "first-value" }
    })
    const path = `/mcp-servers/${id}/auth-profiles/${added.body.id}/secret`

    const wrongField = await api.request("PUT", path, { token: owner.token, body: { secret: "second" } })
    expect(wrongField.status).toBe(400)
    expect(wrongField.body.error.details.fieldErrors.map((f: { field: string }) => f.field)).toEqual([
      "secret"
    ])

    const viewer = await api.key(owner.caller, "viewer")
    const forbidden = await api.request("PUT", path, { token: viewer, body: { headerValue: "second" } })
    expect(forbidden.status).toBe(403)

    const unknown = await api.request(
      "PUT",
      `/mcp-servers/${id}/auth-profiles/${crypto.randomUUID()}/secret`,
      {
        token: owner.token,
        body: { headerValue: "second" }
      }
    )
    expect(unknown.status).toBe(404)

    const replaced = await api.request("PUT", path, {
      token: owner.token,
      body: { headerValue: "second-value" }
    })
    expect(replaced.status).toBe(200)
    expect(replaced.body).toEqual(added.body)
    expect(JSON.stringify(replaced.body)).not.toContain("second-value")
  })
})
