import { AlertStore, IdsLayer, RunStore, ServerStore, WorkflowStore } from "@armature/core"
import { Fixtures, MemoryStore } from "@armature/core/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as Connector from "../src/McpConnector.js"
import * as RunJob from "../src/RunJob.js"
import { type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { modelsLayer, scripted } from "./support/scripted.js"

let fixture: Fixture
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(() => fixture.close())

const Live = () =>
  Layer.mergeAll(
    Connector.layer({ allowLoopback: true }),
    modelsLayer({
      "test:tester": scripted([{ text: "nothing to do" }]),
      "test:judge": scripted([
        { json: { verdicts: [{ criterionId: "c1", verdict: "pass", reasoning: "ok", evidence: [] }] } }
      ])
    })
  ).pipe(Layer.provideMerge(Layer.merge(MemoryStore.layer, IdsLayer.layer)))

/** A run left `running` by a worker that died, with its workflow's retry policy. */
const orphan = (retryOnWorkerLost: boolean) =>
  Effect.gen(function* () {
    const orgId = yield* Fixtures.newOrg
    const server = Fixtures.server(orgId, { transport: "streamable_http", baseUrl: fixture.url })
    yield* Effect.flatMap(ServerStore, (s) => s.insertServer(server))
    const { workflow, version } = Fixtures.workflow(orgId, {
      mcpServerId: server.id,
      authProfileId: null,
      testerModels: ["test:tester"],
      judgeModel: "test:judge",
      criteria: [{ id: "c1", text: "Answered", required: true }],
      assertions: [],
      setup: [],
      teardown: [],
      retryPolicy: { retryOnWorkerLost }
    })
    yield* Effect.flatMap(WorkflowStore, (s) => s.insertWorkflow(workflow, version))
    const run = Fixtures.run(orgId, {
      workflowId: workflow.id,
      workflowVersionId: version.id,
      mcpServerId: server.id,
      testerModel: "test:tester",
      judgeModel: "test:judge",
      status: "running",
      startedAt: Fixtures.at(),
      finishedAt: null,
      attempt: 1
    })
    yield* Effect.flatMap(RunStore, (s) => s.insertRun(run))
    const rule = Fixtures.alertRule(orgId, { target: { type: "workflow", id: workflow.id } })
    yield* Effect.flatMap(AlertStore, (s) => s.insertRule(rule))
    return { orgId, run }
  })

describe("RunJob: a run whose worker was lost (SPEC §8)", () => {
  it.live("is executed again once when the retry policy allows", () =>
    Effect.gen(function* () {
      const { orgId, run } = yield* orphan(true)
      const result = yield* RunJob.executeRun(orgId, run.id, 2)
      expect(result.run?.status).toBe("pass")
      expect(result.run?.attempt).toBe(2)
      const stored = Option.getOrThrow(yield* Effect.flatMap(RunStore, (s) => s.getRun(orgId, run.id)))
      expect(stored.status).toBe("pass")
    }).pipe(Effect.provide(Live()))
  )

  it.live("ends `error` with worker_lost when it does not", () =>
    Effect.gen(function* () {
      const { orgId, run } = yield* orphan(false)
      const result = yield* RunJob.executeRun(orgId, run.id, 2)
      expect(result.run?.status).toBe("error")
      expect(result.run?.error?.code).toBe("worker_lost")
    }).pipe(Effect.provide(Live()))
  )

  it.live("the terminal run is stored with the alert it causes; a passing run alerts nobody", () =>
    Effect.gen(function* () {
      const lost = yield* orphan(false)
      yield* RunJob.executeRun(lost.orgId, lost.run.id, 2)
      const outbox = yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(lost.orgId))
      expect(outbox.map((m) => [m.message.outcome, m.message.link])).toEqual([
        ["error", `/runs/${lost.run.id}`]
      ])
      expect(outbox[0]?.message.summary).toContain("worker_lost")

      const retried = yield* orphan(true)
      yield* RunJob.executeRun(retried.orgId, retried.run.id, 2)
      expect(yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(retried.orgId))).toEqual([])
    }).pipe(Effect.provide(Live()))
  )

  it.live("a terminal run is left as it is", () =>
    Effect.gen(function* () {
      const { orgId, run } = yield* orphan(true)
      yield* RunJob.executeRun(orgId, run.id, 2)
      const again = yield* RunJob.executeRun(orgId, run.id, 3)
      expect(again.outcome).toBe("done")
      expect(again.run?.attempt).toBe(2)
    }).pipe(Effect.provide(Live()))
  )
})
