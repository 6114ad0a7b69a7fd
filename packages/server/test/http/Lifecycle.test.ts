/**
 * The lifecycle routes of monitors, workflows and servers over REST, on PostgreSQL, called
 * through the typed client (`api.call`), so each reply must also match its declared schema:
 * edit, pause/resume, mute/unmute and delete (archive) a monitor, and list monitors by state; pause/resume a workflow and read its
 * schedule in words with its next fire times; change a server's connection settings, list its
 * auth profiles (never their secrets) and its monitor suggestions. Each route: the lowest allowed
 * role succeeds, the role below gets 403 `forbidden_role`, and a bad input is refused naming the
 * field, with nothing stored changed. Raw requests remain only for what the typed client cannot
 * send (a NUL in an id) or would hide (the wire text of a reply).
 */
import { randomUUID } from "node:crypto"
import { MonitorStore } from "@armature/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import type { ApiServer } from "./support/apiServer.js"
import { fieldsOf as fields, ok, postgresApi, refusal } from "./support/postgresApi.js"

const postgres = await postgresApi("packages/server/test/http/Lifecycle.test.ts")

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let editor = ""
let viewer = ""
let serverId = ""

const unknownId = "00000000-0000-4000-8000-000000000000"

beforeAll(async () => {
  if (!postgres.available) return
  demo = await startDemoServer({ port: 0 })
  const team = await postgres.start()
  ;({ api, editor, viewer } = team)
  const created = await api.call(team.owner.token, (client) =>
    client.servers.create({
      payload: {
        name: "demo-shop",
        baseUrl: demo.url,
        authProfiles: [
          { name: "none", kind: "none" },
          { name: "ci", kind: "bearer", token: "lifecycle-secret-token-value" }
        ]
      }
    })
  )
  serverId = ok(created).server.id
}, 120_000)

afterAll(async () => {
  await postgres.stop()
  await demo?.close()
}, 60_000)

const createMonitor = async (name: string) => {
  const created = await api.call(editor, (client) =>
    client.monitors.create({
      payload: { name, mcpServerId: serverId, toolName: "get_order", arguments: { orderId: "A-1001" } }
    })
  )
  return ok(created).id
}

const getMonitor = async (id: string) =>
  ok(await api.call(viewer, (client) => client.monitors.get({ path: { id } })))

const getWorkflow = async (id: string) =>
  ok(await api.call(viewer, (client) => client.workflows.get({ path: { id } })))

describe.runIf(postgres.available)("monitor lifecycle over REST", () => {
  it("PATCH edits a monitor (editor); a viewer is 403; bad arguments or interval are a 400 naming the field and change nothing", async () => {
    const id = await createMonitor("edit me")
    const refused = await api.call(viewer, (client) =>
      client.monitors.update({ path: { id }, payload: { intervalSeconds: 120 } })
    )
    expect(refusal(refused)).toMatchObject({ status: 403, code: "forbidden_role" })

    // Arguments the tool's input schema refuses (orderId is a string).
    const bad = await api.call(editor, (client) =>
      client.monitors.update({
        path: { id },
        payload: { intervalSeconds: 120, arguments: { orderId: 1001 } }
      })
    )
    expect(refusal(bad)).toMatchObject({
      status: 400,
      code: "validation_failed",
      fields: ["arguments.orderId"]
    })
    const zero = await api.call(editor, (client) =>
      client.monitors.update({ path: { id }, payload: { intervalSeconds: 0 } })
    )
    expect(refusal(zero)).toMatchObject({
      status: 400,
      code: "validation_failed",
      fields: ["intervalSeconds"]
    })
    expect((await getMonitor(id)).intervalSeconds).toBe(300)

    const edited = ok(
      await api.call(editor, (client) =>
        client.monitors.update({
          path: { id },
          payload: {
            intervalSeconds: 120,
            assertions: [{ type: "jsonPath", path: "$.orderId", equals: "A-1001" }]
          }
        })
      )
    )
    expect(edited.intervalSeconds).toBe(120)
    expect(edited.assertions).toHaveLength(1)
    const stored = await getMonitor(id)
    expect(stored.intervalSeconds).toBe(120)
    expect(stored.name).toBe("edit me")
  })

  it("pause and resume (editor); a resumed monitor is due at once; a viewer is 403 on both and changes nothing", async () => {
    const id = await createMonitor("pause me")
    const refusedPause = await api.call(viewer, (client) => client.monitors.pause({ path: { id } }))
    expect(refusal(refusedPause)).toMatchObject({ status: 403, code: "forbidden_role" })
    expect((await getMonitor(id)).state).toBe("active")
    const paused = ok(await api.call(editor, (client) => client.monitors.pause({ path: { id } })))
    expect(paused.state).toBe("paused")
    const refusedResume = await api.call(viewer, (client) => client.monitors.resume({ path: { id } }))
    expect(refusal(refusedResume)).toMatchObject({ status: 403, code: "forbidden_role" })
    expect((await getMonitor(id)).state).toBe("paused")
    const before = Date.now()
    const resumed = ok(await api.call(editor, (client) => client.monitors.resume({ path: { id } })))
    expect(resumed.state).toBe("active")
    expect(resumed.nextCheckAt.getTime()).toBeGreaterThanOrEqual(before - 1000)
    expect(resumed.nextCheckAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000)
    const unknown = await api.call(editor, (client) => client.monitors.resume({ path: { id: unknownId } }))
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "monitor_not_found" })
  })

  it("mute and unmute (editor); a viewer is 403 on both; an unknown monitor is 404", async () => {
    const id = await createMonitor("mute me")
    const refusedMute = await api.call(viewer, (client) => client.monitors.mute({ path: { id } }))
    expect(refusal(refusedMute)).toMatchObject({ status: 403, code: "forbidden_role" })
    expect((await getMonitor(id)).muted).toBe(false)
    expect(ok(await api.call(editor, (client) => client.monitors.mute({ path: { id } }))).muted).toBe(true)
    expect((await getMonitor(id)).muted).toBe(true)
    const refusedUnmute = await api.call(viewer, (client) => client.monitors.unmute({ path: { id } }))
    expect(refusal(refusedUnmute)).toMatchObject({ status: 403, code: "forbidden_role" })
    expect((await getMonitor(id)).muted).toBe(true)
    expect(ok(await api.call(editor, (client) => client.monitors.unmute({ path: { id } }))).muted).toBe(false)
    const unknown = await api.call(editor, (client) => client.monitors.mute({ path: { id: unknownId } }))
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "monitor_not_found" })
  })

  it("DELETE archives a monitor (editor, 204): its checks stay readable, gone from lists and writes, its rules go, its name free again; a viewer is 403", async () => {
    const id = await createMonitor("delete me")
    const scheduledAt = new Date(Date.now() - 60_000)
    const { orgId } = await getMonitor(id)
    await api.run(
      Effect.flatMap(MonitorStore, (s) =>
        s.insertCheck({
          id: randomUUID(),
          orgId,
          monitorId: id,
          scheduledAt,
          startedAt: scheduledAt,
          outcome: "fail",
          latencyMs: 120,
          error: null,
          resultExcerpt: null,
          attempts: 1
        })
      )
    )
    const rule = ok(
      await api.call(editor, (client) =>
        client.alerts.createRule({
          payload: {
            name: "delete me down",
            target: { type: "monitor", id },
            destination: { type: "email", address: "ops@example.com" }
          }
        })
      )
    )

    const refused = await api.call(viewer, (client) => client.monitors.delete({ path: { id } }))
    expect(refusal(refused)).toMatchObject({ status: 403, code: "forbidden_role" })
    expect((await getMonitor(id)).state).toBe("active")
    // The typed client accepts only the declared 204 No Content as success.
    ok(await api.call(editor, (client) => client.monitors.delete({ path: { id } })))

    // Readable by id, with its checks and stats.
    const archived = await getMonitor(id)
    expect(archived).toMatchObject({ id, name: "delete me", state: "archived" })
    const history = ok(
      await api.call(viewer, (client) => client.monitors.checks({ path: { id }, urlParams: {} }))
    )
    expect(history.items.map((c) => c.outcome)).toEqual(["fail"])
    expect(history.stats.find((w) => w.window === "1h")?.checks).toBe(1)

    // Out of lists unless asked for by state.
    const listed = ok(await api.call(viewer, (client) => client.monitors.list({ urlParams: {} }))).items
    expect(listed.map((m) => m.id)).not.toContain(id)
    const onlyArchived = ok(
      await api.call(viewer, (client) => client.monitors.list({ urlParams: { state: "archived" } }))
    ).items
    expect(onlyArchived.map((m) => m.id)).toEqual([id])
    const active = ok(
      await api.call(viewer, (client) => client.monitors.list({ urlParams: { state: "active" } }))
    ).items
    expect(active.map((m) => m.id)).not.toContain(id)

    // The alert rule on it went with it.
    const rules = ok(await api.call(viewer, (client) => client.alerts.listRules({ urlParams: {} })))
    expect(rules.items.map((r) => r.id)).not.toContain(rule.id)

    // No edit, pause, resume, mute, unmute or second delete: it is deleted.
    const afterDelete = [
      [
        "PATCH",
        await api.call(editor, (client) =>
          client.monitors.update({ path: { id }, payload: { intervalSeconds: 60 } })
        )
      ],
      ["pause", await api.call(editor, (client) => client.monitors.pause({ path: { id } }))],
      ["resume", await api.call(editor, (client) => client.monitors.resume({ path: { id } }))],
      ["mute", await api.call(editor, (client) => client.monitors.mute({ path: { id } }))],
      ["unmute", await api.call(editor, (client) => client.monitors.unmute({ path: { id } }))],
      ["DELETE", await api.call(editor, (client) => client.monitors.delete({ path: { id } }))]
    ] as const
    for (const [route, called] of afterDelete) {
      expect({ route, ...refusal(called) }).toMatchObject({
        route,
        status: 404,
        code: "monitor_not_found",
        message: expect.stringContaining("archived (deleted)")
      })
    }
    expect(await getMonitor(id)).toEqual(archived)

    // The name is free again.
    const reborn = await createMonitor("DELETE  me")
    expect(reborn).not.toBe(id)
  })

  it("GET /monitors?state= filters by state (viewer); a bogus state is a 400 naming state", async () => {
    const id = await createMonitor("paused for the filter")
    ok(await api.call(editor, (client) => client.monitors.pause({ path: { id } })))
    const paused = ok(
      await api.call(viewer, (client) => client.monitors.list({ urlParams: { state: "paused" } }))
    ).items
    expect(paused.map((m) => m.id)).toContain(id)
    expect(paused.every((m) => m.state === "paused")).toBe(true)
    const bogus = await api.call(viewer, (client) => client.monitors.list({ urlParams: { state: "bogus" } }))
    expect(refusal(bogus)).toMatchObject({ status: 400, code: "validation_failed", fields: ["state"] })
  })
})

describe.runIf(postgres.available)("workflow pause, resume and schedule over REST", () => {
  let workflowId = ""
  beforeAll(async () => {
    const created = await api.call(editor, (client) =>
      client.workflows.create({
        payload: {
          name: "Nightly order lookup",
          mcpServerId: serverId,
          prompt: "Find order A-1001.",
          // No criterion id: the declared body lets it out and the server numbers it.
          criteria: [{ text: "The agent called get_order" }],
          testerModels: ["scripted:tester"],
          judgeModel: "scripted:judge",
          schedule: { cron: "0 3 * * *", timezone: "Europe/Paris" }
        }
      })
    )
    workflowId = ok(created).id
    expect(ok(created).spec.criteria.map((c) => c.id)).toEqual(["c1"])
  })

  it("GET shows the schedule in words and the next fire times (viewer); an unknown id is 404", async () => {
    const workflow = await getWorkflow(workflowId)
    expect(workflow.scheduleLabel).toMatch(/03:00/)
    expect(workflow.nextFires).toHaveLength(5)
    const fires = workflow.nextFires.map((d) => d.getTime())
    expect(fires[0]).toBeGreaterThan(Date.now())
    for (let i = 1; i < fires.length; i++)
      expect(fires[i]! - fires[i - 1]!).toBeGreaterThanOrEqual(23 * 3600_000)
    const unknown = await api.call(viewer, (client) => client.workflows.get({ path: { id: unknownId } }))
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "workflow_not_found" })
  })

  it("pause (editor) stops the next fires; resume restarts them; a viewer is 403 on both; an unknown id is 404", async () => {
    const refusedPause = await api.call(viewer, (client) =>
      client.workflows.pause({ path: { id: workflowId } })
    )
    expect(refusal(refusedPause)).toMatchObject({ status: 403, code: "forbidden_role" })
    expect((await getWorkflow(workflowId)).state).toBe("active")
    const paused = ok(
      await api.call(editor, (client) => client.workflows.pause({ path: { id: workflowId } }))
    )
    expect(paused.state).toBe("paused")
    expect((await getWorkflow(workflowId)).nextFires).toEqual([])
    const refusedResume = await api.call(viewer, (client) =>
      client.workflows.resume({ path: { id: workflowId } })
    )
    expect(refusal(refusedResume)).toMatchObject({ status: 403, code: "forbidden_role" })
    expect((await getWorkflow(workflowId)).state).toBe("paused")
    const resumed = ok(
      await api.call(editor, (client) => client.workflows.resume({ path: { id: workflowId } }))
    )
    expect(resumed.state).toBe("active")
    // The schedule restarts from the resume: nothing missed while paused is made up.
    expect(resumed.updatedAt.getTime()).toBeGreaterThan(paused.updatedAt.getTime() - 1)
    expect((await getWorkflow(workflowId)).nextFires).toHaveLength(5)
    const unknown = await api.call(editor, (client) => client.workflows.resume({ path: { id: unknownId } }))
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "workflow_not_found" })
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
    const id = ok(
      await api.call(editor, (client) => client.workflows.create({ payload: spec("Order audit") }))
    ).id
    const run = ok(
      await api.call(editor, (client) =>
        client.workflows.dispatch({ path: { id }, payload: { reason: "before" } })
      )
    )

    const refused = await api.call(viewer, (client) => client.workflows.delete({ path: { id } }))
    expect(refusal(refused)).toMatchObject({ status: 403, code: "forbidden_role" })
    expect((await getWorkflow(id)).state).toBe("active")

    // The typed client accepts only the declared 204 No Content as success.
    ok(await api.call(editor, (client) => client.workflows.delete({ path: { id } })))
    const archived = await getWorkflow(id)
    expect(archived.state).toBe("archived")
    expect(archived.nextFires).toEqual([])
    const listed = ok(await api.call(viewer, (client) => client.workflows.list({ urlParams: {} }))).items
    expect(listed.map((w) => w.id)).not.toContain(id)
    const onlyArchived = ok(
      await api.call(viewer, (client) => client.workflows.list({ urlParams: { state: "archived" } }))
    ).items
    expect(onlyArchived.map((w) => w.id)).toEqual([id])
    // Its runs stay readable.
    expect(ok(await api.call(viewer, (client) => client.runs.get({ path: { id: run.run.runId } }))).id).toBe(
      run.run.runId
    )

    // No edit, pause, run or second delete: it is deleted.
    const afterDelete = [
      [
        "PATCH",
        await api.call(editor, (client) =>
          client.workflows.update({ path: { id }, payload: { prompt: "changed" } })
        )
      ],
      ["pause", await api.call(editor, (client) => client.workflows.pause({ path: { id } }))],
      [
        "dispatch",
        await api.call(editor, (client) =>
          client.workflows.dispatch({ path: { id }, payload: { reason: "after" } })
        )
      ],
      ["DELETE", await api.call(editor, (client) => client.workflows.delete({ path: { id } }))]
    ] as const
    for (const [route, called] of afterDelete) {
      expect({ route, ...refusal(called) }).toMatchObject({ route, status: 404, code: "workflow_not_found" })
    }
    expect((await getWorkflow(id)).spec.prompt).toBe("Find order A-1001.")

    // The name is free again.
    const reborn = ok(
      await api.call(editor, (client) => client.workflows.create({ payload: spec("order  AUDIT") }))
    )
    expect(reborn.id).not.toBe(id)
  })
})

describe.runIf(postgres.available)("server settings, auth profiles and monitor suggestions over REST", () => {
  it("PATCH changes connection settings and probes again (editor); a viewer is 403; a bad URL is a 400 naming baseUrl and changes nothing", async () => {
    const refused = await api.call(viewer, (client) =>
      client.servers.update({ path: { id: serverId }, payload: { extraHeaders: { "x-team": "shop" } } })
    )
    expect(refusal(refused)).toMatchObject({ status: 403, code: "forbidden_role" })

    const bad = await api.call(editor, (client) =>
      client.servers.update({
        path: { id: serverId },
        payload: { baseUrl: "not a url", extraHeaders: { "x-team": "shop" } }
      })
    )
    expect(refusal(bad)).toMatchObject({ status: 400, code: "validation_failed" })
    expect(refusal(bad).fields).toContain("baseUrl")
    const unchanged = ok(
      await api.call(viewer, (client) => client.servers.get({ path: { id: serverId } }))
    ).server
    expect(unchanged.baseUrl).toBe(demo.url)
    expect(unchanged.extraHeaders).toEqual({})

    const changed = ok(
      await api.call(editor, (client) =>
        client.servers.update({ path: { id: serverId }, payload: { extraHeaders: { "x-team": "shop" } } })
      )
    )
    expect(changed.probe.ok).toBe(true)
    expect(changed.server.extraHeaders).toEqual({ "x-team": "shop" })
    expect(changed.server.state).toBe("active")
  })

  it("lists auth profiles (viewer) without their secrets; an unknown server is 404", async () => {
    const listed = ok(
      await api.call(viewer, (client) => client.servers.listAuthProfiles({ path: { id: serverId } }))
    )
    // In the order given at registration: the first is the server's default.
    expect(listed.items.map((p) => [p.name, p.kind])).toEqual([
      ["none", "none"],
      ["ci", "bearer"]
    ])
    // Raw: decoding drops fields the schema does not declare, so only the wire text shows that
    // no secret is sent.
    const raw = await api.request("GET", `/mcp-servers/${serverId}/auth-profiles`, { token: viewer })
    expect(raw.status).toBe(200)
    expect(JSON.stringify(raw.body)).not.toContain("lifecycle-secret-token-value")
    const unknown = await api.call(viewer, (client) =>
      client.servers.listAuthProfiles({ path: { id: unknownId } })
    )
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "mcp_server_not_found" })
  })

  it("suggests monitors for read-only tools no monitor calls yet (viewer), each creatable as is", async () => {
    const suggestions = async () =>
      ok(await api.call(viewer, (client) => client.servers.monitorSuggestions({ path: { id: serverId } })))
        .items
    const items = await suggestions()
    expect(items.length).toBeGreaterThan(0)
    // get_order has monitors already (created above); a suggestion never repeats a monitored tool.
    expect(items.map((s) => s.toolName)).not.toContain("get_order")
    const { reason: _reason, ...suggestion } = items[0]!
    ok(await api.call(editor, (client) => client.monitors.create({ payload: suggestion })))
    expect((await suggestions()).map((s) => s.toolName)).not.toContain(items[0]!.toolName)
    const unknown = await api.call(viewer, (client) =>
      client.servers.monitorSuggestions({ path: { id: unknownId } })
    )
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "mcp_server_not_found" })
  })
})

describe.runIf(postgres.available)("a bad id on the lifecycle routes", () => {
  // Raw requests: the typed client refuses a NUL in a path parameter before sending; these test
  // what a client without the schema can send.
  const routes = [
    ["PATCH", "/monitors/{id}", {}],
    ["POST", "/monitors/{id}/pause"],
    ["POST", "/monitors/{id}/resume"],
    ["POST", "/monitors/{id}/mute"],
    ["POST", "/monitors/{id}/unmute"],
    ["DELETE", "/monitors/{id}"],
    ["GET", "/workflows/{id}"],
    ["POST", "/workflows/{id}/pause"],
    ["POST", "/workflows/{id}/resume"],
    ["DELETE", "/workflows/{id}"],
    ["PATCH", "/mcp-servers/{id}", {}],
    ["GET", "/mcp-servers/{id}/auth-profiles"],
    ["GET", "/mcp-servers/{id}/monitor-suggestions"]
  ] as const

  it("a NUL in the id is a 400 naming id on every route", async () => {
    for (const [method, path, body] of routes) {
      const nul = await api.request(method, path.replace("{id}", "a%00b"), {
        token: editor,
        ...(body === undefined ? {} : { body })
      })
      expect({
        method,
        path,
        status: nul.status,
        code: nul.body.error.code,
        fields: fields(nul.body)
      }).toEqual({
        method,
        path,
        status: 400,
        code: "validation_failed",
        fields: ["id"]
      })
    }
  })
})
