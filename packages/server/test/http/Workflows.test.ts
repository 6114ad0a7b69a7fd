/**
 * `/workflows` and `/runs` over PGlite: immutable versions, field-named validation errors,
 * idempotent dispatch (which only enqueues: no worker runs here) and the run filters.
 */
import { Ids, JobQueue, RunStore } from "@armature/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let owner: Awaited<ReturnType<ApiServer["organization"]>>
let serverId = ""

const spec = (overrides: Record<string, unknown> = {}) => ({
  name: "Customer can look up an order",
  mcpServerId: serverId,
  prompt: "Find order A-1001 and tell the customer its status.",
  criteria: [{ text: "The agent looked the order up with get_order" }],
  testerModels: ["scripted:tester"],
  judgeModel: "scripted:judge",
  toolPolicy: { allowedTools: ["get_order"] },
  ...overrides
})

const fields = (body: { error: { details?: { fieldErrors?: Array<{ field: string }> } } }) =>
  (body.error.details?.fieldErrors ?? []).map((f) => f.field)

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

describe("every edit of a workflow stores a new immutable version", () => {
  it("create is version 1; PATCH makes version 2 and keeps version 1 unchanged", async () => {
    const created = await api.request("POST", "/workflows", { token: owner.token, body: spec() })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ version: 1, state: "active", warnings: [] })
    expect(created.body.spec.limits.maxSteps).toBe(20)
    const id = created.body.id

    const patched = await api.request("PATCH", `/workflows/${id}`, {
      token: owner.token,
      body: { prompt: "Find order A-1002.", limits: { maxSteps: 40 } }
    })
    expect(patched.status).toBe(200)
    expect(patched.body.version).toBe(2)
    expect(patched.body.spec).toMatchObject({
      prompt: "Find order A-1002.",
      limits: { maxSteps: 40, maxToolCalls: 25 }
    })

    const versions = await api.request("GET", `/workflows/${id}/versions`, { token: owner.token })
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([2, 1])
    expect(versions.body.items[1].spec.prompt).toBe("Find order A-1001 and tell the customer its status.")
    expect((await api.request("GET", `/workflows/${id}`, { token: owner.token })).body.version).toBe(2)
  })

  it("a PATCH against a stale version is a 409 version_conflict", async () => {
    const created = await api.request("POST", "/workflows", {
      token: owner.token,
      body: spec({ name: "stale" })
    })
    const first = created.body.currentVersionId
    await api.request("PATCH", `/workflows/${created.body.id}`, {
      token: owner.token,
      body: { description: "v2" }
    })
    const reply = await api.request("PATCH", `/workflows/${created.body.id}`, {
      token: owner.token,
      body: { description: "v3", expectedVersionId: first }
    })
    expect(reply.status).toBe(409)
    expect(reply.body.error.code).toBe("version_conflict")
  })
})

describe("validation errors name the field path", () => {
  it("create: nested schema errors and unknown models, every one named; nothing stored", async () => {
    const before = (await api.request("GET", "/workflows", { token: owner.token })).body.items.length
    const reply = await api.request("POST", "/workflows", {
      token: owner.token,
      body: spec({ name: "invalid", criteria: [{ text: "" }], testerModels: ["nope:model"] })
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("validation_failed")
    expect(fields(reply.body)).toContain("criteria[0].text")
    const after = (await api.request("GET", "/workflows", { token: owner.token })).body.items.length
    expect(after).toBe(before)

    const models = await api.request("POST", "/workflows", {
      token: owner.token,
      body: spec({ name: "invalid", testerModels: ["nope:model"] })
    })
    expect(fields(models.body)).toEqual(["testerModels[0]"])
  })

  it("PATCH: a tool missing from the server's catalog is named by its index", async () => {
    const created = await api.request("POST", "/workflows", {
      token: owner.token,
      body: spec({ name: "policy" })
    })
    const reply = await api.request("PATCH", `/workflows/${created.body.id}`, {
      token: owner.token,
      body: { toolPolicy: { allowedTools: ["get_order", "no_such_tool"] } }
    })
    expect(reply.status).toBe(400)
    expect(fields(reply.body)).toEqual(["toolPolicy.allowedTools[1]"])
    expect(
      (await api.request("GET", `/workflows/${created.body.id}`, { token: owner.token })).body.version
    ).toBe(1)
  })

  it("a PATCH body that is not an object is refused", async () => {
    const created = await api.request("POST", "/workflows", {
      token: owner.token,
      body: spec({ name: "array" })
    })
    const reply = await api.request("PATCH", `/workflows/${created.body.id}`, {
      token: owner.token,
      body: [1]
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("validation_failed")
  })
})

describe("POST /workflows/{id}/runs dispatches idempotently", () => {
  let workflowId = ""
  beforeAll(async () => {
    workflowId = (
      await api.request("POST", "/workflows", { token: owner.token, body: spec({ name: "dispatch" }) })
    ).body.id
  })
  const dispatch = (body: unknown, token = owner.token) =>
    api.request("POST", `/workflows/${workflowId}/runs`, { token, body })

  it("the same idempotency key twice gives one run; the second says created:false", async () => {
    const depth = await api.run(Effect.flatMap(JobQueue, (q) => q.depth))
    const first = await dispatch({ idempotencyKey: "deploy-42", reason: "Deploy 42" })
    const second = await dispatch({ idempotencyKey: "deploy-42", reason: "  deploy   42 " })
    expect(first.status).toBe(202)
    expect(first.body.created).toBe(true)
    expect(first.body.run).toMatchObject({
      workflowId,
      status: "pending",
      trigger: "api",
      testerModel: "scripted:tester"
    })
    expect(second.status).toBe(202)
    expect(second.body).toMatchObject({ created: false, run: { runId: first.body.run.runId } })
    // Dispatch only enqueues: one job for the one run, executed later by a worker.
    const after = await api.run(Effect.flatMap(JobQueue, (q) => q.depth))
    expect(after.queued).toBe(depth.queued + 1)

    const run = await api.request("GET", `/runs/${first.body.run.runId}`, { token: owner.token })
    expect(run.body).toMatchObject({ status: "pending", idempotencyKey: "deploy-42", workflowVersion: 1 })
  })

  it("another key, or forceNewRun, makes a new run", async () => {
    const a = await dispatch({ idempotencyKey: "k-1" })
    const b = await dispatch({ idempotencyKey: "k-2" })
    const c = await dispatch({ idempotencyKey: "k-1", forceNewRun: true })
    expect(new Set([a.body.run.runId, b.body.run.runId, c.body.run.runId]).size).toBe(3)
    expect(c.body.created).toBe(true)
  })

  it("bad dispatch options are named; a viewer may not dispatch; an unknown workflow is a 404", async () => {
    const model = await dispatch({ testerModel: "scripted:judge" })
    expect(model.status).toBe(400)
    expect(fields(model.body)).toEqual(["testerModel"])
    const unknown = await dispatch({ idempotencyKey: "x", colour: "red" })
    expect(fields(unknown.body)).toEqual(["colour"])
    const baseline = await dispatch({ baselineRunId: "00000000-0000-4000-8000-00000000beef" })
    expect(fields(baseline.body)).toEqual(["baselineRunId"])

    const viewer = await api.key(owner.caller, "viewer")
    expect((await dispatch({}, viewer)).status).toBe(403)

    const missing = await api.request("POST", "/workflows/00000000-0000-4000-8000-00000000dead/runs", {
      token: owner.token,
      body: {}
    })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe("workflow_not_found")
  })
})

describe("GET /runs filters and paginates", () => {
  let workflowId = ""
  let runIds: string[] = []
  let oldRunId = ""
  beforeAll(async () => {
    workflowId = (
      await api.request("POST", "/workflows", { token: owner.token, body: spec({ name: "Nightly search" }) })
    ).body.id
    runIds = []
    for (const key of ["r1", "r2", "r3"]) {
      const reply = await api.request("POST", `/workflows/${workflowId}/runs`, {
        token: owner.token,
        body: { idempotencyKey: key }
      })
      runIds.push(reply.body.run.runId)
    }
    // A run from ten days ago, stored directly: the API cannot backdate runs.
    oldRunId = await api.run(
      Effect.gen(function* () {
        const store = yield* RunStore
        const id = yield* Effect.flatMap(Ids, (ids) => ids.uuid)
        const run = yield* Effect.flatMap(store.getRun(owner.orgId, runIds[0]!), Effect.orDie)
        const at = new Date(Date.now() - 10 * 86_400_000)
        yield* store.insertRun({ ...run, id, idempotencyKey: "old", createdAt: at })
        return id
      })
    )
  })
  const ids = (body: { items: Array<{ runId: string }> }) => body.items.map((r) => r.runId).sort()

  it("by workflow, status and text", async () => {
    const byWorkflow = await api.request("GET", `/runs?workflowId=${workflowId}`, { token: owner.token })
    expect(byWorkflow.status).toBe(200)
    expect(ids(byWorkflow.body)).toEqual([...runIds, oldRunId].sort())
    const pending = await api.request("GET", `/runs?workflowId=${workflowId}&status=pending`, {
      token: owner.token
    })
    expect(pending.body.items).toHaveLength(4)
    const passed = await api.request("GET", `/runs?workflowId=${workflowId}&status=pass`, {
      token: owner.token
    })
    expect(passed.body.items).toEqual([])
    const search = await api.request("GET", "/runs?search=nightly", { token: owner.token })
    expect(ids(search.body)).toEqual([...runIds, oldRunId].sort())
  })

  it("by range: 7d leaves out the ten-day-old run, 30d includes it", async () => {
    const week = await api.request("GET", `/runs?workflowId=${workflowId}&range=7d`, { token: owner.token })
    expect(ids(week.body)).toEqual([...runIds].sort())
    const month = await api.request("GET", `/runs?workflowId=${workflowId}&range=30d`, { token: owner.token })
    expect(ids(month.body)).toContain(oldRunId)
  })

  it("follows the cursor page by page, visiting each run once", async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `/runs?workflowId=${workflowId}&limit=3${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
      const page = await api.request("GET", query, { token: owner.token })
      expect(page.body.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.body.items.map((r: { runId: string }) => r.runId))
      cursor = page.body.nextCursor
    } while (cursor !== null)
    expect(seen.sort()).toEqual([...runIds, oldRunId].sort())
  })

  it("bad filters are named", async () => {
    for (const [query, field] of [
      ["range=1y", "range"],
      ["status=bogus", "status"],
      ["limit=0", "limit"],
      ["after=yesterday", "after"],
      ["range=7d&after=2025-01-01T00:00:00Z", "range"]
    ] as const) {
      const reply = await api.request("GET", `/runs?${query}`, { token: owner.token })
      expect(reply.status).toBe(400)
      expect(fields(reply.body)).toContain(field)
    }
  })

  it("the trace of a pending run is empty; an unknown run is a 404", async () => {
    const trace = await api.request("GET", `/runs/${runIds[0]}/trace`, { token: owner.token })
    expect(trace.status).toBe(200)
    expect(trace.body).toEqual({
      runId: runIds[0],
      status: "pending",
      toolCalls: [],
      trace: [],
      finalAnswer: null
    })
    const missing = await api.request("GET", "/runs/00000000-0000-4000-8000-00000000dead/trace", {
      token: owner.token
    })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe("run_not_found")
  })
})
