/**
 * The run routes over REST, on PostgreSQL: a run's evaluation and tool calls, the multi-sample
 * result of its dispatch, its replay against the demo MCP server, and dispatch to every tester
 * model (`allModels`). Runs really execute — the runner's `RunJob` against the demo server with
 * scripted tester and judge models through the real `ai` SDK path — as the worker would (the
 * API has no worker). Each route: the lowest allowed role succeeds, the role below gets 403
 * `forbidden_role`, and a bad input is refused (400 naming the field, or 404 for an unknown id).
 */
import { RunIds } from "@armature/core"
import { ScriptedModel } from "@armature/core/testing"
import { Models, RunJob } from "@armature/runner"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { tester } from "../support/scriptedModels.js"
import type { ApiServer } from "./support/apiServer.js"
import { fieldsOf as fields, postgresApi, type Team } from "./support/postgresApi.js"

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

const dispatch = (token: string, body: Record<string, unknown>, id = workflowId) =>
  api.request("POST", `/workflows/${id}/runs`, { token, body })

const runCount = async () =>
  (await api.request("GET", `/runs?workflowId=${workflowId}&limit=100`, { token: viewer })).body.items.length

beforeAll(async () => {
  if (!postgres.available) return
  demo = await startDemoServer({ port: 0 })
  ;({ api, owner, editor, viewer } = await postgres.start())
  const server = await api.request("POST", "/mcp-servers", {
    token: owner.token,
    body: { name: "demo-shop", baseUrl: demo.url, authProfiles: [{ name: "none", kind: "none" }] }
  })
  const workflow = await api.request("POST", "/workflows", {
    token: editor,
    body: {
      name: "Customer can look up an order",
      mcpServerId: server.body.server.id,
      prompt: "Find order A-1001 and tell the customer its status and total.",
      criteria: [{ text: "The agent looked the order up with get_order" }],
      assertions: [{ type: "tool_called", tool: "get_order" }],
      testerModels: ["scripted:tester"],
      judgeModel: "scripted:judge"
    }
  })
  expect(workflow.status, JSON.stringify(workflow.body)).toBe(201)
  workflowId = workflow.body.id
  const dispatched = await dispatch(editor, { reason: "baseline" })
  expect(dispatched.status).toBe(202)
  passed = dispatched.body.run.runId
  expect(await execute(passed)).toBe("pass")
}, 120_000)

afterAll(async () => {
  await postgres.stop()
  await demo?.close()
}, 60_000)

describe.runIf(postgres.available)("GET /runs/{id}/evaluation", () => {
  it("a viewer reads verdicts with reasoning and evidence, assertion results, the judge model and the status", async () => {
    const reply = await api.request("GET", `/runs/${passed}/evaluation`, { token: viewer })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({
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
    expect((await api.request("GET", `/runs/${passed}/evaluation`, { token: null })).status).toBe(401)
    const unknown = await api.request("GET", "/runs/nope/evaluation", { token: viewer })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("run_not_found")
    const nul = await api.request("GET", "/runs/a%00b/evaluation", { token: viewer })
    expect(nul.status).toBe(400)
    expect(fields(nul.body)).toEqual(["id"])
  })

  it("another organization's run is 404, as if it did not exist", async () => {
    const other = await api.organization("Other")
    const reply = await api.request("GET", `/runs/${passed}/evaluation`, { token: other.token })
    expect(reply.status).toBe(404)
    expect(reply.body.error.code).toBe("run_not_found")
  })
})

describe.runIf(postgres.available)("GET /runs/{id}/tool-calls", () => {
  it("a viewer reads each call: id, tool, arguments, result, error, duration and phase", async () => {
    const reply = await api.request("GET", `/runs/${passed}/tool-calls`, { token: viewer })
    expect(reply.status).toBe(200)
    expect(reply.body.runId).toBe(passed)
    expect(reply.body.status).toBe("pass")
    expect(reply.body.items).toHaveLength(1)
    const [call] = reply.body.items
    expect(call).toMatchObject({
      name: "get_order",
      phase: "agent",
      arguments: { orderId: "A-1001" },
      isError: false,
      refused: false,
      error: null
    })
    expect(typeof call.id).toBe("string")
    expect(typeof call.durationMs).toBe("number")
    expect(JSON.stringify(call.content)).toContain("A-1001")
  })

  it("without a key it is 401; an unknown id is 404 run_not_found", async () => {
    expect((await api.request("GET", `/runs/${passed}/tool-calls`, { token: null })).status).toBe(401)
    const unknown = await api.request("GET", "/runs/nope/tool-calls", { token: viewer })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("run_not_found")
  })
})

describe.runIf(postgres.available)("GET /runs/{id}/samples", () => {
  it("a viewer reads the pass rate and flaky criteria of a multi-sample dispatch from any of its runs", async () => {
    const dispatched = await dispatch(editor, { reason: "is it flaky?", samples: 2 })
    expect(dispatched.status).toBe(202)
    const { runs, sampleGroupId } = dispatched.body
    expect(runs).toHaveLength(2)
    const pending = await api.request("GET", `/runs/${runs[1].runId}/samples`, { token: viewer })
    expect(pending.body).toMatchObject({ sampleGroupId, status: "pending", passRate: null, sampleCount: 2 })

    verdicts.push("pass", "fail")
    expect(await execute(runs[0].runId)).toBe("pass")
    // The criterion fails, the workflow's assertion passes: the second sample is partial.
    expect(await execute(runs[1].runId)).toBe("partial")
    const reply = await api.request("GET", `/runs/${runs[1].runId}/samples`, { token: viewer })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({
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
    expect(reply.body.runs.map((r: { runId: string }) => r.runId)).toEqual(
      runs.map((r: { runId: string }) => r.runId)
    )
  })

  it("a run dispatched alone is a group of one", async () => {
    const reply = await api.request("GET", `/runs/${passed}/samples`, { token: viewer })
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({
      sampleGroupId: null,
      status: "pass",
      passRate: 1,
      sampleCount: 1,
      flaky: []
    })
  })

  it("without a key it is 401; an unknown id is 404 run_not_found", async () => {
    expect((await api.request("GET", `/runs/${passed}/samples`, { token: null })).status).toBe(401)
    const unknown = await api.request("GET", "/runs/nope/samples", { token: viewer })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("run_not_found")
  })
})

describe.runIf(postgres.available)("POST /runs/{id}/replay", () => {
  it("an editor replays the recorded calls: identical now, changed once the server regresses", async () => {
    const same = await api.request("POST", `/runs/${passed}/replay`, { token: editor })
    expect(same.status).toBe(200)
    expect(same.body).toMatchObject({
      runId: passed,
      serverInfo: { name: "demo-shop" },
      changed: 0,
      errors: 0,
      identical: true,
      calls: [{ name: "get_order", phase: "agent", status: "same", changes: [], error: null }]
    })
    demo.state.regression = true
    try {
      const changed = await api.request("POST", `/runs/${passed}/replay`, { token: editor })
      expect(changed.status).toBe(200)
      expect(changed.body.identical).toBe(false)
      expect(changed.body.calls[0].status).not.toBe("same")
    } finally {
      demo.state.regression = false
    }
  })

  it("a viewer is 403 forbidden_role, and the server is not called", async () => {
    const before = JSON.stringify(demo.state.calls)
    const reply = await api.request("POST", `/runs/${passed}/replay`, { token: viewer })
    expect(reply.status).toBe(403)
    expect(reply.body.error.code).toBe("forbidden_role")
    expect(JSON.stringify(demo.state.calls)).toBe(before)
  })

  it("an unknown id is 404 run_not_found; a run that has not finished is 409", async () => {
    const unknown = await api.request("POST", "/runs/nope/replay", { token: editor })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("run_not_found")
    const pending = await dispatch(editor, { reason: "not finished yet" })
    const reply = await api.request("POST", `/runs/${pending.body.run.runId}/replay`, { token: editor })
    expect(reply.status).toBe(409)
    expect(reply.body.error.code).toBe("conflict")
  })
})

describe.runIf(postgres.available)("POST /workflows/{id}/runs with allModels", () => {
  let multiModel = ""

  beforeAll(async () => {
    if (!postgres.available) return
    const workflow = await api.request("GET", `/workflows/${workflowId}`, { token: viewer })
    const created = await api.request("POST", "/workflows", {
      token: editor,
      body: {
        name: "Every model looks up an order",
        mcpServerId: workflow.body.spec.mcpServerId,
        prompt: "Find order A-1001.",
        criteria: [{ text: "The agent looked the order up with get_order" }],
        testerModels: ["scripted:tester", "scripted:judge"],
        judgeModel: "scripted:judge"
      }
    })
    expect(created.status).toBe(201)
    multiModel = created.body.id
  })

  it("an editor gets one run per tester model, ids with the model added; a repeat is idempotent", async () => {
    const reply = await dispatch(editor, { reason: "Every model", allModels: true }, multiModel)
    expect(reply.status).toBe(202)
    expect(reply.body.created).toBe(true)
    expect(reply.body.runs.map((r: { testerModel: string }) => r.testerModel)).toEqual([
      "scripted:tester",
      "scripted:judge"
    ])
    expect(reply.body.runs.map((r: { runId: string }) => r.runId)).toEqual(
      ["scripted:tester", "scripted:judge"].map((testerModel) =>
        RunIds.runId({ workflowId: multiModel, reason: "Every model", testerModel })
      )
    )
    expect(reply.body.run).toEqual(reply.body.runs[0])
    const again = await dispatch(editor, { reason: "  every MODEL ", allModels: true }, multiModel)
    expect(again.status).toBe(202)
    expect(again.body.created).toBe(false)
    expect(again.body.runs).toEqual(reply.body.runs)
    // Without allModels the id stays the UUIDv5 of SPEC §9.1, with no model in it.
    const single = await dispatch(editor, { reason: "Every model" }, multiModel)
    expect(single.body.run.runId).toBe(RunIds.runId({ workflowId: multiModel, reason: "Every model" }))
  })

  it("a viewer is 403 forbidden_role and nothing is dispatched", async () => {
    const before = await runCount()
    const reply = await dispatch(viewer, { allModels: true })
    expect(reply.status).toBe(403)
    expect(reply.body.error.code).toBe("forbidden_role")
    expect(await runCount()).toBe(before)
  })

  it("allModels with testerModel is a 400 naming allModels, and nothing is dispatched", async () => {
    const before = await runCount()
    const both = await dispatch(editor, { allModels: true, testerModel: "scripted:tester" })
    expect(both.status).toBe(400)
    expect(both.body.error.code).toBe("validation_failed")
    expect(fields(both.body)).toEqual(["allModels"])
    const wrongType = await dispatch(editor, { allModels: "yes" })
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
