/**
 * `/monitors` over PGlite: arguments validated against the tool's input schema at creation, and
 * the check history with its stats. Checks are executed by the real runner against the demo MCP
 * server and recorded through core, as the worker would (the worker is not part of the API).
 */
import type { Caller } from "@armature/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type ApiServer, startApiServer } from "./support/apiServer.js"
import { runCheck as runMonitorCheck } from "./support/monitorChecks.js"

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let owner: Awaited<ReturnType<ApiServer["organization"]>>
let serverId = ""

const fields = (body: { error: { details?: { fieldErrors?: Array<{ field: string }> } } }) =>
  (body.error.details?.fieldErrors ?? []).map((f) => f.field)

/** Executes one check of a monitor against its server and records it, like the worker. */
const runCheck = (caller: Caller, monitorId: string, scheduledAt: Date) =>
  runMonitorCheck(api, caller, monitorId, scheduledAt)

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
  const created = await api.request("POST", "/mcp-servers", {
    token: owner.token,
    body: { name: "demo-shop", baseUrl: demo.url }
  })
  serverId = created.body.server.id
}, 120_000)
afterAll(async () => {
  await api?.close()
  await demo?.close()
})

describe("monitor arguments are validated against the tool's input schema", () => {
  it("a wrongly typed argument is a 400 naming arguments.<name>, and nothing is stored", async () => {
    const reply = await api.request("POST", "/monitors", {
      token: owner.token,
      body: {
        name: "order lookup",
        mcpServerId: serverId,
        toolName: "get_order",
        arguments: { orderId: 1001 }
      }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("validation_failed")
    expect(fields(reply.body)).toEqual(["arguments.orderId"])
    expect((await api.request("GET", "/monitors", { token: owner.token })).body.items).toEqual([])
  })

  it("a missing required argument, an unknown tool and a too-short interval are named too", async () => {
    const missing = await api.request("POST", "/monitors", {
      token: owner.token,
      body: { name: "m", mcpServerId: serverId, toolName: "get_order", arguments: {} }
    })
    expect(fields(missing.body)).toEqual(["arguments.orderId"])
    const unknown = await api.request("POST", "/monitors", {
      token: owner.token,
      body: { name: "m", mcpServerId: serverId, toolName: "get_invoice" }
    })
    expect(fields(unknown.body)).toEqual(["toolName"])
    const interval = await api.request("POST", "/monitors", {
      token: owner.token,
      body: { name: "m", mcpServerId: serverId, toolName: "list_products", intervalSeconds: 5 }
    })
    expect(fields(interval.body)).toEqual(["intervalSeconds"])
  })

  it("a credential in the arguments is refused", async () => {
    const reply = await api.request("POST", "/monitors", {
      token: owner.token,
      body: { name: "m", mcpServerId: serverId, toolName: "get_order", arguments: { orderId: owner.token } }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("secret_in_arguments")
    expect(JSON.stringify(reply.body)).not.toContain(owner.token)
  })

  it("a viewer cannot create a monitor", async () => {
    const token = await api.key(owner.caller, "viewer")
    const reply = await api.request("POST", "/monitors", {
      token,
      body: { name: "m", mcpServerId: serverId, toolName: "get_order", arguments: { orderId: "A-1001" } }
    })
    expect(reply.status).toBe(403)
  })
})

describe("a monitor's check history comes with success rate and latency percentiles", () => {
  it("records pass and fail checks, newest first, and summarizes them", async () => {
    const created = await api.request("POST", "/monitors", {
      token: owner.token,
      body: {
        name: "order lookup",
        mcpServerId: serverId,
        toolName: "get_order",
        arguments: { orderId: "A-1001" }
      }
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      intervalSeconds: 300,
      timeoutMs: 30_000,
      retries: 1,
      state: "active"
    })
    const id = created.body.id
    expect((await api.request("GET", `/monitors/${id}`, { token: owner.token })).body.name).toBe(
      "order lookup"
    )
    const listed = await api.request("GET", `/monitors?mcpServerId=${serverId}`, { token: owner.token })
    expect(listed.body.items.map((m: { id: string }) => m.id)).toEqual([id])

    const empty = await api.request("GET", `/monitors/${id}/checks`, { token: owner.token })
    expect(empty.body.items).toEqual([])
    expect(empty.body.stats.map((s: { window: string }) => s.window)).toEqual(["1h", "24h", "7d"])
    expect(empty.body.stats[0]).toMatchObject({ checks: 0, successRate: null, p50: null })

    const now = Date.now()
    await runCheck(owner.caller, id, new Date(now - 120_000))
    await fetch(demo.url.replace("/mcp", "/regression"), { method: "POST", body: '{"on":true}' })
    try {
      await runCheck(owner.caller, id, new Date(now - 60_000))
    } finally {
      await fetch(demo.url.replace("/mcp", "/regression"), { method: "POST", body: '{"on":false}' })
    }

    const history = await api.request("GET", `/monitors/${id}/checks`, { token: owner.token })
    expect(history.status).toBe(200)
    expect(history.body.items.map((c: { outcome: string }) => c.outcome)).toEqual(["fail", "pass"])
    expect(history.body.stats[0]).toMatchObject({ window: "1h", checks: 2, successRate: 0.5 })
    expect(history.body.stats[0].p50).toBeGreaterThan(0)

    const latest = await api.request("GET", `/monitors/${id}/checks?limit=1`, { token: owner.token })
    expect(latest.body.items.map((c: { outcome: string }) => c.outcome)).toEqual(["fail"])
    const future = new Date(now + 3_600_000).toISOString()
    const since = await api.request("GET", `/monitors/${id}/checks?since=${future}`, { token: owner.token })
    expect(since.body.items).toEqual([])
    const bad = await api.request("GET", `/monitors/${id}/checks?since=soon`, { token: owner.token })
    expect(bad.status).toBe(400)
    expect(fields(bad.body)).toEqual(["since"])
  })

  it("an unknown monitor is a 404", async () => {
    const reply = await api.request("GET", "/monitors/00000000-0000-4000-8000-00000000dead/checks", {
      token: owner.token
    })
    expect(reply.status).toBe(404)
    expect(reply.body.error.code).toBe("monitor_not_found")
  })
})
