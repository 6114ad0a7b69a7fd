/**
 * The embedding examples, run: the Promise-facade script on the embedded database, and the REST
 * and MCP APIs mounted into Express, Fastify and Hono applications on a fresh PostgreSQL database,
 * each beside the application's own route, with a monitor checked against the demo MCP server.
 */
import { randomBytes } from "node:crypto"
import { type ArmatureInstance, createArmature } from "@armature/server"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabaseUrl, postgresAvailable } from "../../packages/store-postgres/test/support/databases.js"
import { startDemoServer } from "../demo-mcp-server/server.js"
import { main as effectMain } from "./effect-program.js"
import { startExpressApp } from "./express.js"
import { startFastifyApp } from "./fastify.js"
import { startHonoApp } from "./hono.js"
import { main } from "./monitor-script.js"

let demo: Awaited<ReturnType<typeof startDemoServer>>
beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
})
afterAll(() => demo?.close())

describe("the Promise-facade script", () => {
  it("registers a server, creates a monitor and gets its first check", async () => {
    const check = await main(demo.url)
    expect(check.outcome).toBe("pass")
    expect(check.error).toBeNull()
    expect(demo.state.calls.get_order).toBeGreaterThanOrEqual(1)
  }, 90_000)
})

describe("the Effect program", () => {
  it("gets the first check through Armature.layer and Armature.background", async () => {
    const check = await effectMain(demo.url)
    expect(check.outcome).toBe("pass")
  }, 90_000)
})

const hasPostgres = await postgresAvailable("examples/embedding/embedding.test.ts")

describe.runIf(hasPostgres)("mounted into an existing application", () => {
  const database = Effect.runSync(Scope.make())
  let armature: ArmatureInstance
  let editorKey: string
  let viewerKey: string
  let monitorId: string

  beforeAll(async () => {
    const url = await Effect.runPromise(Scope.extend(freshDatabaseUrl, database))
    armature = await createArmature({
      database: { url, secretKey: randomBytes(32).toString("base64") },
      network: { allowLoopback: true },
      organization: { orgName: "Embedded shop" }
    })
    expect(armature.ownerKey).toMatch(/^amt_/)
    editorKey = (await armature.createApiKey({ name: "editor", role: "editor" })).token
    viewerKey = (await armature.createApiKey({ name: "viewer", role: "viewer" })).token
    const { server } = await armature.registerServer({
      name: "demo-shop",
      transport: "streamable_http",
      baseUrl: demo.url
    })
    const monitor = await armature.createMonitor({
      name: "Orders",
      mcpServerId: server.id,
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: 60
    })
    monitorId = monitor.id
    await armature.start()
    await armature.waitForCheck(monitor.id, { after: monitor.createdAt, timeoutSeconds: 30 })
  }, 120_000)

  afterAll(async () => {
    await armature?.dispose()
    await Effect.runPromise(Scope.close(database, Exit.void))
  })

  const apps = [
    ["Express", startExpressApp, "from express"],
    ["Fastify", startFastifyApp, "from fastify"],
    ["Hono", startHonoApp, "from hono"]
  ] as const

  describe.each(apps)("%s", (_name, start, hello) => {
    let app: Awaited<ReturnType<typeof start>>
    beforeAll(async () => {
      app = await start(armature)
    })
    afterAll(() => app?.close())

    const get = (path: string, key?: string) =>
      fetch(`${app.url}${path}`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } })
    const mcp = (body: unknown, key: string) =>
      fetch(`${app.url}/api/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream"
        },
        body: JSON.stringify(body)
      })

    it("keeps the application's own routes", async () => {
      const response = await get("/hello")
      expect(await response.json()).toEqual({ hello })
    })

    it("answers the REST API with the monitor and its check", async () => {
      const monitors = await get("/api/armature/v1/monitors", viewerKey)
      expect(monitors.status).toBe(200)
      const { items } = (await monitors.json()) as {
        items: Array<{ id: string; lastOutcome: string | null }>
      }
      expect(items.map((m) => m.id)).toEqual([monitorId])
      expect(items[0]?.lastOutcome).toBe("pass")
    })

    it("refuses a request without a valid key, and a viewer's write", async () => {
      expect((await get("/api/armature/v1/monitors")).status).toBe(401)
      expect((await get("/api/armature/v1/monitors", "amt_not-a-key")).status).toBe(401)
      const write = await fetch(`${app.url}/api/armature/v1/monitors/${monitorId}/pause`, {
        method: "POST",
        headers: { authorization: `Bearer ${viewerKey}` }
      })
      expect(write.status).toBe(403)
      expect(((await write.json()) as { error: { code: string } }).error.code).toBe("forbidden_role")
    })

    it("reads a JSON body, and names the field of a bad one", async () => {
      const response = await fetch(`${app.url}/api/armature/v1/monitors`, {
        method: "POST",
        headers: { authorization: `Bearer ${editorKey}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "No tool", mcpServerId: "not-a-uuid", intervalSeconds: 60 })
      })
      expect(response.status).toBe(400)
      const body = (await response.json()) as {
        error: { code: string; details: { fieldErrors: Array<{ field: string }> } }
      }
      expect(body.error.code).toBe("validation_failed")
      expect(body.error.details.fieldErrors.map((f) => f.field)).toContain("toolName")
    })

    it("answers the MCP API: initialize, then a tool call", async () => {
      const init = await mcp(
        {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "test", version: "1" }
          }
        },
        viewerKey
      )
      expect(init.status, await init.clone().text()).toBe(200)
      const list = await mcp({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }, viewerKey)
      expect(await list.text()).toContain("get_organization_health")
      const call = await mcp(
        {
          jsonrpc: "2.0",
          id: 3,
          method: "tools/call",
          params: { name: "get_organization_health", arguments: {} }
        },
        viewerKey
      )
      expect(call.status).toBe(200)
      const { result } = (await call.json()) as { result: { isError?: boolean; structuredContent: unknown } }
      expect(result.isError).not.toBe(true)
      expect(JSON.stringify(result.structuredContent)).toContain("monitors")
    })
  })
})
