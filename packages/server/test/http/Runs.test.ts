/**
 * The run routes over REST, on PostgreSQL, called through the typed client (`api.call`), so each
 * reply must also match its declared schema: a run's evaluation and tool calls, the multi-sample
 * result of its dispatch, its replay against the demo MCP server, and dispatch to every tester
 * model (`allModels`). Runs really execute — the runner's `RunJob` against the demo server with
 * scripted tester and judge models through the real `ai` SDK path — as the worker would (the
 * API has no worker). Each route: the lowest allowed role succeeds, the role below gets 403
 * `forbidden_role` (no key at all: 401), and a bad input is refused (400 naming the field, or 404
 * for an unknown id). Raw requests remain only for what the typed client cannot send: a NUL in
 * an id, a wrongly typed body field.
 */
import { RunIds } from "@armature/core"
import { ScriptedModel } from "@armature/core/testing"
import { Models, RunJob } from "@armature/runner"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import type { ApiSchemas } from "../../src/api.js"
import { tester } from "../support/scriptedModels.js"
import type { ApiServer } from "./support/apiServer.js"
import { fieldsOf as fields, ok, postgresApi, refusal, type Team, typedCalls } from "./support/postgresApi.js"

const postgres = await postgresApi("packages/server/test/http/Runs.test.ts")

/** The judge's verdict on criterion `c1` of the next runs, in order (then `pass`). */
const verdicts: Array<"pass" | "fail"> = []
const judge = ScriptedModel.make({
  id: "scripted:judge",
  steps: () => ({
    json: {
      verdicts: [
        {
          criterionId: "c1",
          verdict: verdicts.shift() ?? "pass",
          reasoning: "It looked the order up with get_order.",
          evidence: []
        }
      ]
    }
  })
})
const models = Models.layer({
  models: [Models.register("scripted:tester", tester), Models.register("scripted:judge", judge)]
})

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let owner: Team["owner"]
let editor = ""
let viewer = ""
let workflowId = ""
/** A run that executed and passed. */
let passed = ""

/** Executes a dispatched run as the worker does; its terminal status. */
const execute = async (runId: string) => {
  const result = await api.run(RunJob.executeRun(owner.orgId, runId, 1).pipe(Effect.provide(models)))
  return result.run?.status
}

/** `POST /workflows/{id}/runs` through the typed client. */
const dispatch = (token: string, payload: typeof ApiSchemas.DispatchBody.Encoded, id = workflowId) =>
  api.call(token, (client) => client.workflows.dispatch({ path: { id }, payload }))

const runCount = async () =>
  ok(await api.call(viewer, (client) => client.runs.list({ urlParams: { workflowId, limit: "100" } }))).items
    .length

/** A call through the typed client with no key at all. */
const withoutKey = () => typedCalls(api.origin)

beforeAll(async () => {
  if (!postgres.available) return
  demo = await startDemoServer({ port: 0 })
  ;({ api, owner, editor, viewer } = await postgres.start())
  const server = ok(
    await api.call(owner.token, (client) =>
      client.servers.create({
        payload: { name: "demo-shop", baseUrl: demo.url, authProfiles: [{ name: "none", kind: "none" }] }
      })
    )
  )
  const workflow = ok(
    await api.call(editor, (client) =>
      client.workflows.create({
        payload: {
          name: "Customer can look up an order",
          mcpServerId: server.server.id,
          prompt: "Find order A-1001 and tell the customer its status and total.",
          criteria: [{ text: "The agent looked the order up with get_order" }],
          assertions: [{ type: "tool_called", tool: "get_order" }],
          testerModels: ["scripted:tester"],
          judgeModel: "scripted:judge"
        }
      })
    )
  )
  workflowId = workflow.id
  passed = ok(await dispatch(editor, { reason: "baseline" })).run.runId
  expect(await execute(passed)).toBe("pass")
}, 120_000)

afterAll(async () => {
  await postgres.stop()
  await demo?.close()
}, 60_000)

/** A raw request with a NUL in the id: the typed client refuses to send one (its path schema). */
const withNulId = async (method: "GET" | "POST", route: string) => {
  const reply = await api.request(method, `/runs/a%00b/${route}`, { token: editor })
  return { status: reply.status, code: reply.body.error.code, fields: fields(reply.body) }
}
const nulRefused = { status: 400, code: "validation_failed", fields: ["id"] }

describe.runIf(postgres.available)("GET /runs/{id}/evaluation", () => {
  it("a viewer reads verdicts with reasoning and evidence, assertion results, the judge model and the status", async () => {
    const evaluation = ok(
      await api.call(viewer, (client) => client.runs.evaluation({ path: { id: passed } }))
    )
    expect(evaluation).toMatchObject({
      runId: passed,
      status: "pass",
      judgeModel: "scripted:judge",
      error: null,
      criteria: [
        {
          criterionId: "c1",
          text: "The agent looked the order up with get_order",
          required: true,
          verdict: "pass",
          reasoning: "It looked the order up with get_order.",
          evidence: []
        }
      ],
      assertions: [{ index: 0, type: "tool_called", required: true, passed: true }]
    })
  })

  it("without a key it is 401; an unknown id is 404 run_not_found; a NUL in the id is a 400 naming id", async () => {
    const anonymous = await withoutKey()(null, (client) => client.runs.evaluation({ path: { id: passed } }))
    expect(refusal(anonymous)).toMatchObject({ status: 401, code: "unauthenticated" })
    const unknown = await api.call(viewer, (client) => client.runs.evaluation({ path: { id: "nope" } }))
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "run_not_found" })
    expect(await withNulId("GET", "evaluation")).toEqual(nulRefused)
  })

  it("another organization's run is 404, as if it did not exist", async () => {
    const other = await api.organization("Other")
    const reply = await api.call(other.token, (client) => client.runs.evaluation({ path: { id: passed } }))
    expect(refusal(reply)).toMatchObject({ status: 404, code: "run_not_found" })
  })
})

describe.runIf(postgres.available)("GET /runs/{id}/tool-calls", () => {
  it("a viewer reads each call: id, tool, arguments, result, error, duration and phase", async () => {
    const reply = ok(await api.call(viewer, (client) => client.runs.toolCalls({ path: { id: passed } })))
    expect(reply.runId).toBe(passed)
    expect(reply.status).toBe("pass")
    expect(reply.items).toHaveLength(1)
    const [call] = reply.items
    expect(call).toMatchObject({
      name: "get_order",
      phase: "agent",
      arguments: { orderId: "A-1001" },
      isError: false,
      refused: false,
      error: null
    })
    expect(typeof call!.id).toBe("string")
    expect(typeof call!.durationMs).toBe("number")
    expect(JSON.stringify(call!.content)).toContain("A-1001")
  })

  it("without a key it is 401; an unknown id is 404 run_not_found; a NUL in the id is a 400 naming id", async () => {
    const anonymous = await withoutKey()(null, (client) => client.runs.toolCalls({ path: { id: passed } }))
    expect(refusal(anonymous)).toMatchObject({ status: 401, code: "unauthenticated" })
    const unknown = await api.call(viewer, (client) => client.runs.toolCalls({ path: { id: "nope" } }))
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "run_not_found" })
    expect(await withNulId("GET", "tool-calls")).toEqual(nulRefused)
  })
})

describe.runIf(postgres.available)("GET /runs/{id}/samples", () => {
  const samplesOf = async (id: string) =>
    ok(await api.call(viewer, (client) => client.runs.samples({ path: { id } })))

  it("a viewer reads the pass rate and flaky criteria of a multi-sample dispatch from any of its runs", async () => {
    const { runs, sampleGroupId } = ok(await dispatch(editor, { reason: "is it flaky?", samples: 2 }))
    expect(runs).toHaveLength(2)
    const pending = await samplesOf(runs[1]!.runId)
    expect(pending).toMatchObject({ sampleGroupId, status: "pending", passRate: null, sampleCount: 2 })

    verdicts.push("pass", "fail")
    expect(await execute(runs[0]!.runId)).toBe("pass")
    // The criterion fails, the workflow's assertion passes: the second sample is partial.
    expect(await execute(runs[1]!.runId)).toBe("partial")
    const reply = await samplesOf(runs[1]!.runId)
    expect(reply).toMatchObject({
      sampleGroupId,
      status: "partial",
      passRate: 0.5,
      sampleCount: 2,
      flaky: [
        {
          criterionId: "c1",
          text: "The agent looked the order up with get_order",
          verdicts: ["pass", "fail"]
        }
      ]
    })
    expect(reply.runs.map((r) => r.runId)).toEqual(runs.map((r) => r.runId))
  })

  it("a run dispatched alone is a group of one", async () => {
    expect(await samplesOf(passed)).toMatchObject({
      sampleGroupId: null,
      status: "pass",
      passRate: 1,
      sampleCount: 1,
      flaky: []
    })
  })

  it("without a key it is 401; an unknown id is 404 run_not_found; a NUL in the id is a 400 naming id", async () => {
    const anonymous = await withoutKey()(null, (client) => client.runs.samples({ path: { id: passed } }))
    expect(refusal(anonymous)).toMatchObject({ status: 401, code: "unauthenticated" })
    const unknown = await api.call(viewer, (client) => client.runs.samples({ path: { id: "nope" } }))
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "run_not_found" })
    expect(await withNulId("GET", "samples")).toEqual(nulRefused)
  })
})

describe.runIf(postgres.available)("POST /runs/{id}/replay", () => {
  const replay = (token: string, id: string) =>
    api.call(token, (client) => client.runs.replay({ path: { id } }))

  it("an editor replays the recorded calls: identical now, changed once the server regresses", async () => {
    expect(ok(await replay(editor, passed))).toMatchObject({
      runId: passed,
      serverInfo: { name: "demo-shop" },
      changed: 0,
      errors: 0,
      identical: true,
      calls: [{ name: "get_order", phase: "agent", status: "same", changes: [], error: null }]
    })
    demo.state.regression = true
    try {
      const changed = ok(await replay(editor, passed))
      expect(changed.identical).toBe(false)
      expect(changed.calls[0]!.status).not.toBe("same")
    } finally {
      demo.state.regression = false
    }
  })

  it("a viewer is 403 forbidden_role, and the server is not called", async () => {
    const before = JSON.stringify(demo.state.calls)
    expect(refusal(await replay(viewer, passed))).toMatchObject({ status: 403, code: "forbidden_role" })
    expect(JSON.stringify(demo.state.calls)).toBe(before)
  })

  it("an unknown id is 404 run_not_found; a run that has not finished is 409; a NUL in the id is a 400 naming id", async () => {
    expect(refusal(await replay(editor, "nope"))).toMatchObject({ status: 404, code: "run_not_found" })
    const pending = ok(await dispatch(editor, { reason: "not finished yet" }))
    expect(refusal(await replay(editor, pending.run.runId))).toMatchObject({ status: 409, code: "conflict" })
    expect(await withNulId("POST", "replay")).toEqual(nulRefused)
  })
})

describe.runIf(postgres.available)("POST /workflows/{id}/runs with allModels", () => {
  let multiModel = ""

  beforeAll(async () => {
    if (!postgres.available) return
    const workflow = ok(
      await api.call(viewer, (client) => client.workflows.get({ path: { id: workflowId } }))
    )
    const created = await api.call(editor, (client) =>
      client.workflows.create({
        payload: {
          name: "Every model looks up an order",
          mcpServerId: workflow.spec.mcpServerId,
          prompt: "Find order A-1001.",
          criteria: [{ text: "The agent looked the order up with get_order" }],
          testerModels: ["scripted:tester", "scripted:judge"],
          judgeModel: "scripted:judge"
        }
      })
    )
    multiModel = ok(created).id
  })

  it("an editor gets one run per tester model, ids with the model added; a repeat is idempotent", async () => {
    const reply = ok(await dispatch(editor, { reason: "Every model", allModels: true }, multiModel))
    expect(reply.created).toBe(true)
    expect(reply.runs.map((r) => r.testerModel)).toEqual(["scripted:tester", "scripted:judge"])
    expect(reply.runs.map((r) => r.runId)).toEqual(
      ["scripted:tester", "scripted:judge"].map((testerModel) =>
        RunIds.runId({ workflowId: multiModel, reason: "Every model", testerModel })
      )
    )
    expect(reply.run).toEqual(reply.runs[0])
    const again = ok(await dispatch(editor, { reason: "  every MODEL ", allModels: true }, multiModel))
    expect(again.created).toBe(false)
    expect(again.runs).toEqual(reply.runs)
    // Without allModels the id stays the UUIDv5 of SPEC §9.1, with no model in it.
    const single = ok(await dispatch(editor, { reason: "Every model" }, multiModel))
    expect(single.run.runId).toBe(RunIds.runId({ workflowId: multiModel, reason: "Every model" }))
  })

  it("a viewer is 403 forbidden_role and nothing is dispatched", async () => {
    const before = await runCount()
    expect(refusal(await dispatch(viewer, { allModels: true }))).toMatchObject({
      status: 403,
      code: "forbidden_role"
    })
    expect(await runCount()).toBe(before)
  })

  it("allModels with testerModel is a 400 naming allModels, and nothing is dispatched", async () => {
    const before = await runCount()
    const both = await dispatch(editor, { allModels: true, testerModel: "scripted:tester" })
    expect(refusal(both)).toMatchObject({ status: 400, code: "validation_failed", fields: ["allModels"] })
    // Raw: a client without the schema can send a wrongly typed field; the typed client would not.
    const wrongType = await api.request("POST", `/workflows/${workflowId}/runs`, {
      token: editor,
      body: { allModels: "yes" }
    })
    expect(wrongType.status).toBe(400)
    expect(fields(wrongType.body)).toEqual(["allModels"])
    expect(await runCount()).toBe(before)
  })
})

describe.runIf(postgres.available)("the OpenAPI document", () => {
  it("describes the run routes and the allModels field of a dispatch", async () => {
    const doc = (await (await fetch(`${api.origin}/api/armature/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
    }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/armature/v1/runs/{id}/evaluation",
        "/api/armature/v1/runs/{id}/tool-calls",
        "/api/armature/v1/runs/{id}/samples",
        "/api/armature/v1/runs/{id}/replay"
      ])
    )
    expect(Object.keys(doc.paths["/api/armature/v1/runs/{id}/replay"] ?? {})).toEqual(["post"])
    expect(JSON.stringify(doc.paths["/api/armature/v1/workflows/{id}/runs"])).toContain("RunDispatch")
    expect(doc.components.schemas.RunDispatch?.properties?.allModels).toEqual({ type: "boolean" })
  })
})
