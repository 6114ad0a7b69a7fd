/**
 * `/monitors` over PGlite, for what a server's fix and a latency budget change: a monitor whose
 * arguments the cached catalog refuses re-probes the server once (an editor's write, no sync
 * needed) and is accepted when the server now takes them, while bad arguments are still refused;
 * `failAboveMs` is validated, stored, and a check slower than it is recorded as a `fail` naming
 * the budget and the measured time.
 */
import { Monitors, ServerStore } from "@armature/core"
import { MonitorCheck } from "@armature/runner"
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { startSlowServer } from "../support/slowServer.js"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let slow: Awaited<ReturnType<typeof startSlowServer>>
let owner: Awaited<ReturnType<ApiServer["organization"]>>
let editor = ""

const fields = (body: { error: { details?: { fieldErrors?: Array<{ field: string }> } } }) =>
  (body.error.details?.fieldErrors ?? []).map((f) => f.field)

const register = async (name: string, baseUrl: string) => {
  const created = await api.request("POST", "/mcp-servers", { token: owner.token, body: { name, baseUrl } })
  expect(created.status).toBe(201)
  return created.body.server.id as string
}

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  slow = await startSlowServer()
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
  editor = await api.key(owner.caller, "editor")
}, 120_000)
afterAll(async () => {
  await api?.close()
  await demo?.close()
  await slow?.close()
})

describe("a monitor refused by the cached catalog re-probes the server once", () => {
  it("after the server's schema changed, new arguments are accepted and bad ones still refused", async () => {
    const serverId = await register("demo-shop", demo.url)
    const versions = async () =>
      (await api.request("GET", `/mcp-servers/${serverId}/catalog`, { token: owner.token })).body.history.map(
        (h: { version: number }) => h.version
      )
    expect(await versions()).toEqual([1])
    // The server's fix renames get_order's argument; the cached catalog still says orderId.
    demo.state.regression = true
    try {
      const accepted = await api.request("POST", "/monitors", {
        token: editor,
        body: {
          name: "order lookup",
          mcpServerId: serverId,
          toolName: "get_order",
          arguments: { order_ref: "A-1001" }
        }
      })
      expect(accepted.status).toBe(201)
      expect(accepted.body.arguments).toEqual({ order_ref: "A-1001" })
      // The re-probe went through the probe/sync path: the new catalog is stored, with its drift.
      expect(await versions()).toEqual([2, 1])

      const refused = await api.request("POST", "/monitors", {
        token: editor,
        body: {
          name: "bad lookup",
          mcpServerId: serverId,
          toolName: "get_order",
          arguments: { order_ref: 1001 }
        }
      })
      expect(refused.status).toBe(400)
      expect(refused.body.error.code).toBe("validation_failed")
      expect(fields(refused.body)).toEqual(["arguments.order_ref"])
      // Asked again, the server answered the same catalog: no new version.
      expect(await versions()).toEqual([2, 1])
    } finally {
      demo.state.regression = false
    }
  }, 60_000)
})

describe("failAboveMs", () => {
  let serverId = ""
  beforeAll(async () => {
    serverId = await register("slow", slow.url)
  })
  const spec = (over: Record<string, unknown>) => ({
    name: "lookup",
    mcpServerId: serverId,
    toolName: "lookup",
    arguments: { id: "a" },
    ...over
  })

  it("is a positive integer, at least degradedAboveMs", async () => {
    for (const body of [
      spec({ failAboveMs: 0 }),
      spec({ failAboveMs: 1.5 }),
      spec({ failAboveMs: 500, degradedAboveMs: 800 })
    ]) {
      const reply = await api.request("POST", "/monitors", { token: owner.token, body })
      expect(reply.status).toBe(400)
      expect(reply.body.error.code).toBe("validation_failed")
      expect(fields(reply.body)).toEqual(["failAboveMs"])
    }
    const equal = await api.request("POST", "/monitors", {
      token: owner.token,
      body: spec({ name: "equal budgets", failAboveMs: 800, degradedAboveMs: 800 })
    })
    expect(equal.status).toBe(201)
    // An update is checked as a whole: raising degradedAboveMs above the budget is refused too.
    const raised = await api.run(
      Effect.flip(Monitors.update(owner.caller, equal.body.id, { degradedAboveMs: 900 }))
    )
    expect(raised._tag).toBe("ValidationFailed")
    expect(raised._tag === "ValidationFailed" && raised.fieldErrors.map((f) => f.field)).toEqual([
      "failAboveMs"
    ])
  })

  it("a check slower than the budget is a fail naming the budget and the measured time", async () => {
    const created = await api.request("POST", "/monitors", {
      token: owner.token,
      body: spec({ name: "budgeted", failAboveMs: 1000 })
    })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    expect((await api.request("GET", `/monitors/${id}`, { token: owner.token })).body.failAboveMs).toBe(1000)
    const check = (at: Date) =>
      api.run(
        Effect.gen(function* () {
          const monitor = yield* Monitors.get(owner.caller, id)
          const server = Option.getOrThrow(
            yield* Effect.flatMap(ServerStore, (s) => s.getServer(owner.orgId, monitor.mcpServerId))
          )
          const result = yield* MonitorCheck.execute({ monitor, server, profile: null, scheduledAt: at })
          yield* Monitors.recordCheck(result)
          return result
        })
      )
    slow.state.delayMs = 1500
    try {
      const over = await check(new Date(Date.now() - 60_000))
      expect(over.outcome).toBe("fail")
      expect(over.error).toMatch(/^over the failAboveMs budget: answered in \d+ ms, budget 1000 ms$/)
      expect((await api.request("GET", `/monitors/${id}`, { token: owner.token })).body.lastOutcome).toBe(
        "fail"
      )
    } finally {
      slow.state.delayMs = 0
    }
    const within = await check(new Date())
    expect(within.outcome).toBe("pass")
    expect(within.error).toBeNull()
  }, 60_000)
})
