/**
 * The lifecycle routes of monitors, workflows and servers over REST, on PostgreSQL: edit,
 * pause/resume, mute/unmute and delete a monitor; pause/resume a workflow and read its schedule
 * in words with its next fire times; change a server's connection settings, list its auth
 * profiles (never their secrets) and its monitor suggestions. Each route: the lowest allowed
 * role succeeds, the role below gets 403 `forbidden_role`, and a bad input is refused naming
 * the field, with nothing stored changed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import type { ApiServer } from "./support/apiServer.js"
import { fieldsOf as fields, postgresApi } from "./support/postgresApi.js"

const postgres = await postgresApi("packages/server/test/http/Lifecycle.test.ts")

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let editor = ""
let viewer = ""
let serverId = ""

beforeAll(async () => {
  if (!postgres.available) return
  demo = await startDemoServer({ port: 0 })
  const team = await postgres.start()
  ;({ api, editor, viewer } = team)
  const created = await api.request("POST", "/mcp-servers", {
    token: team.owner.token,
    body: {
      name: "demo-shop",
      baseUrl: demo.url,
      authProfiles: [
        { name: "none", kind: "none" },
        { name: "ci", kind: "bearer", token: "lifecycle-secret-token-value" }
      ]
    }
  })
  serverId = created.body.server.id
}, 120_000)

afterAll(async () => {
  await postgres.stop()
  await demo?.close()
}, 60_000)

const createMonitor = async (name: string) => {
  const reply = await api.request("POST", "/monitors", {
    token: editor,
    body: { name, mcpServerId: serverId, toolName: "get_order", arguments: { orderId: "A-1001" } }
  })
  expect(reply.status).toBe(201)
  return reply.body.id as string
}

describe.runIf(postgres.available)("monitor lifecycle over REST", () => {
  it("PATCH edits a monitor (editor); a viewer is 403; bad arguments are a 400 naming the field and change nothing", async () => {
    const id = await createMonitor("edit me")
    const refused = await api.request("PATCH", `/monitors/${id}`, {
      token: viewer,
      body: { intervalSeconds: 120 }
    })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe("forbidden_role")

    const bad = await api.request("PATCH", `/monitors/${id}`, {
      token: editor,
      body: { intervalSeconds: 120, arguments: { orderId: 1001 } }
    })
    expect(bad.status).toBe(400)
    expect(fields(bad.body)).toEqual(["arguments.orderId"])
    expect((await api.request("GET", `/monitors/${id}`, { token: viewer })).body.intervalSeconds).toBe(300)

    const edited = await api.request("PATCH", `/monitors/${id}`, {
      token: editor,
      body: { intervalSeconds: 120, assertions: [{ type: "jsonPath", path: "$.orderId", equals: "A-1001" }] }
    })
    expect(edited.status).toBe(200)
    expect(edited.body.intervalSeconds).toBe(120)
    expect(edited.body.assertions).toHaveLength(1)
    const stored = (await api.request("GET", `/monitors/${id}`, { token: viewer })).body
    expect(stored.intervalSeconds).toBe(120)
    expect(stored.name).toBe("edit me")
  })

  it("pause and resume (editor); a resumed monitor is due at once; a viewer is 403", async () => {
    const id = await createMonitor("pause me")
    expect((await api.request("POST", `/monitors/${id}/pause`, { token: viewer })).status).toBe(403)
    const paused = await api.request("POST", `/monitors/${id}/pause`, { token: editor })
    expect(paused.status).toBe(200)
    expect(paused.body.state).toBe("paused")
    const before = Date.now()
    const resumed = await api.request("POST", `/monitors/${id}/resume`, { token: editor })
    expect(resumed.body.state).toBe("active")
    expect(new Date(resumed.body.nextCheckAt).getTime()).toBeGreaterThanOrEqual(before - 1000)
    expect(new Date(resumed.body.nextCheckAt).getTime()).toBeLessThanOrEqual(Date.now() + 1000)
  })

  it("mute and unmute (editor); a viewer is 403; an unknown monitor is 404", async () => {
    const id = await createMonitor("mute me")
    expect((await api.request("POST", `/monitors/${id}/mute`, { token: viewer })).status).toBe(403)
    expect((await api.request("POST", `/monitors/${id}/mute`, { token: editor })).body.muted).toBe(true)
    expect((await api.request("GET", `/monitors/${id}`, { token: viewer })).body.muted).toBe(true)
    expect((await api.request("POST", `/monitors/${id}/unmute`, { token: editor })).body.muted).toBe(false)
    const unknown = await api.request("POST", "/monitors/00000000-0000-4000-8000-000000000000/mute", {
      token: editor
    })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("monitor_not_found")
  })

  it("DELETE removes a monitor (editor); a viewer is 403 and the monitor stays; a second delete is 404", async () => {
    const id = await createMonitor("delete me")
    expect((await api.request("DELETE", `/monitors/${id}`, { token: viewer })).status).toBe(403)
    expect((await api.request("GET", `/monitors/${id}`, { token: viewer })).status).toBe(200)
    const deleted = await api.request("DELETE", `/monitors/${id}`, { token: editor })
    expect(deleted.status).toBe(204)
    expect((await api.request("GET", `/monitors/${id}`, { token: viewer })).status).toBe(404)
    expect((await api.request("DELETE", `/monitors/${id}`, { token: editor })).status).toBe(404)
  })
})

describe.runIf(postgres.available)("workflow pause, resume and schedule over REST", () => {
  let workflowId = ""
  beforeAll(async () => {
    const created = await api.request("POST", "/workflows", {
      token: editor,
      body: {
        name: "Nightly order lookup",
        mcpServerId: serverId,
        prompt: "Find order A-1001.",
        criteria: [{ text: "The agent called get_order" }],
        testerModels: ["scripted:tester"],
        judgeModel: "scripted:judge",
        schedule: { cron: "0 3 * * *", timezone: "Europe/Paris" }
      }
    })
    expect(created.status).toBe(201)
    workflowId = created.body.id
  })

  it("GET shows the schedule in words and the next fire times (viewer)", async () => {
    const reply = await api.request("GET", `/workflows/${workflowId}`, { token: viewer })
    expect(reply.status).toBe(200)
    expect(reply.body.scheduleLabel).toMatch(/03:00/)
    expect(reply.body.nextFires).toHaveLength(5)
    const fires = (reply.body.nextFires as string[]).map((d) => new Date(d).getTime())
    expect(fires[0]).toBeGreaterThan(Date.now())
    for (let i = 1; i < fires.length; i++)
      expect(fires[i]! - fires[i - 1]!).toBeGreaterThanOrEqual(23 * 3600_000)
  })

  it("pause (editor) stops the next fires; resume restarts them; a viewer is 403; an unknown id is 404", async () => {
    expect((await api.request("POST", `/workflows/${workflowId}/pause`, { token: viewer })).status).toBe(403)
    const paused = await api.request("POST", `/workflows/${workflowId}/pause`, { token: editor })
    expect(paused.status).toBe(200)
    expect(paused.body.state).toBe("paused")
    const whilePaused = (await api.request("GET", `/workflows/${workflowId}`, { token: viewer })).body
    expect(whilePaused.nextFires).toEqual([])
    const resumed = await api.request("POST", `/workflows/${workflowId}/resume`, { token: editor })
    expect(resumed.body.state).toBe("active")
    // The schedule restarts from the resume: nothing missed while paused is made up.
    expect(new Date(resumed.body.updatedAt).getTime()).toBeGreaterThan(
      new Date(paused.body.updatedAt).getTime() - 1
    )
    expect(
      (await api.request("GET", `/workflows/${workflowId}`, { token: viewer })).body.nextFires
    ).toHaveLength(5)
    const unknown = await api.request("POST", "/workflows/00000000-0000-4000-8000-000000000000/resume", {
      token: editor
    })
    expect(unknown.status).toBe(404)
  })
})

describe.runIf(postgres.available)("deleting a workflow archives it over REST", () => {
  const spec = (name: string) => ({
    name,
    mcpServerId: serverId,
    prompt: "Find order A-1001.",
    criteria: [{ text: "The agent called get_order" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge"
  })

  it("DELETE (editor) archives: gone from lists and writes, readable by id with its runs, its name free again", async () => {
    const created = await api.request("POST", "/workflows", { token: editor, body: spec("Order audit") })
    const id = created.body.id as string
    const run = await api.request("POST", `/workflows/${id}/runs`, {
      token: editor,
      body: { reason: "before" }
    })
    expect(run.status).toBe(202)

    const refused = await api.request("DELETE", `/workflows/${id}`, { token: viewer })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe("forbidden_role")
    expect((await api.request("GET", `/workflows/${id}`, { token: viewer })).body.state).toBe("active")

    expect((await api.request("DELETE", `/workflows/${id}`, { token: editor })).status).toBe(204)
    const archived = await api.request("GET", `/workflows/${id}`, { token: viewer })
    expect(archived.status).toBe(200)
    expect(archived.body.state).toBe("archived")
    expect(archived.body.nextFires).toEqual([])
    const listed = (await api.request("GET", "/workflows", { token: viewer })).body.items
    expect(listed.map((w: { id: string }) => w.id)).not.toContain(id)
    const onlyArchived = (await api.request("GET", "/workflows?state=archived", { token: viewer })).body.items
    expect(onlyArchived.map((w: { id: string }) => w.id)).toEqual([id])
    // Its runs stay readable.
    expect((await api.request("GET", `/runs/${run.body.run.runId}`, { token: viewer })).status).toBe(200)

    // No edit, pause, run or second delete: it is deleted.
    for (const [method, path, body] of [
      ["PATCH", `/workflows/${id}`, { prompt: "changed" }],
      ["POST", `/workflows/${id}/pause`, undefined],
      ["POST", `/workflows/${id}/runs`, { reason: "after" }],
      ["DELETE", `/workflows/${id}`, undefined]
    ] as const) {
      const reply = await api.request(method, path, {
        token: editor,
        ...(body === undefined ? {} : { body })
      })
      expect({ method, path, status: reply.status, code: reply.body.error.code }).toEqual({
        method,
        path,
        status: 404,
        code: "workflow_not_found"
      })
    }
    expect((await api.request("GET", `/workflows/${id}`, { token: viewer })).body.spec.prompt).toBe(
      "Find order A-1001."
    )

    // The name is free again.
    const reborn = await api.request("POST", "/workflows", { token: editor, body: spec("order  AUDIT") })
    expect(reborn.status).toBe(201)
    expect(reborn.body.id).not.toBe(id)
  })
})

describe.runIf(postgres.available)("server settings, auth profiles and monitor suggestions over REST", () => {
  it("PATCH changes connection settings and probes again (editor); a viewer is 403; a bad URL is a 400 naming baseUrl and changes nothing", async () => {
    const refused = await api.request("PATCH", `/mcp-servers/${serverId}`, {
      token: viewer,
      body: { extraHeaders: { "x-team": "shop" } }
    })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe("forbidden_role")

    const bad = await api.request("PATCH", `/mcp-servers/${serverId}`, {
      token: editor,
      body: { baseUrl: "not a url", extraHeaders: { "x-team": "shop" } }
    })
    expect(bad.status).toBe(400)
    expect(fields(bad.body)).toContain("baseUrl")
    const unchanged = (await api.request("GET", `/mcp-servers/${serverId}`, { token: viewer })).body.server
    expect(unchanged.baseUrl).toBe(demo.url)
    expect(unchanged.extraHeaders).toEqual({})

    const changed = await api.request("PATCH", `/mcp-servers/${serverId}`, {
      token: editor,
      body: { extraHeaders: { "x-team": "shop" } }
    })
    expect(changed.status).toBe(200)
    expect(changed.body.probe.ok).toBe(true)
    expect(changed.body.server.extraHeaders).toEqual({ "x-team": "shop" })
    expect(changed.body.server.state).toBe("active")
  })

  it("lists auth profiles (viewer) without their secrets; an unknown server is 404", async () => {
    const reply = await api.request("GET", `/mcp-servers/${serverId}/auth-profiles`, { token: viewer })
    expect(reply.status).toBe(200)
    // In the order given at registration: the first is the server's default.
    expect(reply.body.items.map((p: { name: string; kind: string }) => [p.name, p.kind])).toEqual([
      ["none", "none"],
      ["ci", "bearer"]
    ])
    expect(JSON.stringify(reply.body)).not.toContain("lifecycle-secret-token-value")
    const unknown = await api.request(
      "GET",
      "/mcp-servers/00000000-0000-4000-8000-000000000000/auth-profiles",
      {
        token: viewer
      }
    )
    expect(unknown.status).toBe(404)
  })

  it("suggests monitors for read-only tools no monitor calls yet (viewer), each creatable as is", async () => {
    const reply = await api.request("GET", `/mcp-servers/${serverId}/monitor-suggestions`, { token: viewer })
    expect(reply.status).toBe(200)
    const items = reply.body.items as Array<{ toolName: string; [k: string]: unknown }>
    expect(items.length).toBeGreaterThan(0)
    // get_order has monitors already (created above); a suggestion never repeats a monitored tool.
    expect(items.map((s) => s.toolName)).not.toContain("get_order")
    const { reason: _reason, ...suggestion } = items[0]!
    const created = await api.request("POST", "/monitors", { token: editor, body: suggestion })
    expect(created.status).toBe(201)
    const after = await api.request("GET", `/mcp-servers/${serverId}/monitor-suggestions`, { token: viewer })
    expect(after.body.items.map((s: { toolName: string }) => s.toolName)).not.toContain(items[0]!.toolName)
    const unknown = await api.request(
      "GET",
      "/mcp-servers/00000000-0000-4000-8000-000000000000/monitor-suggestions",
      {
        token: viewer
      }
    )
    expect(unknown.status).toBe(404)
  })
})
