import {
  IdsLayer,
  JobQueue,
  MonitorStore,
  type Run,
  RunStore,
  ServerStore,
  WorkflowStore
} from "@armature/core"
import { Fixtures, MemoryStore } from "@armature/core/testing"
import { afterAll, beforeAll, describe, expect, it, layer } from "@effect/vitest"
import { Clock, Effect, Layer, Option, Schedule } from "effect"
import * as Connector from "../src/McpConnector.js"
import * as Pool from "../src/SessionPool.js"
import * as Worker from "../src/Worker.js"
import { type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { modelsLayer, type Step, scripted } from "./support/scripted.js"
import { workerRecovery } from "./support/workerRecovery.js"

let fixture: Fixture
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(() => fixture.close())

const judge = {
  json: {
    verdicts: [{ criterionId: "c1", verdict: "pass", reasoning: "ok", evidence: [] }]
  }
}

const live = (tester: ReadonlyArray<Step>) => {
  const store = MemoryStore.layer
  const connector = Connector.layer({ allowLoopback: true }).pipe(Layer.provide(store))
  const pool = Pool.layer().pipe(Layer.provide(Layer.merge(connector, store)))
  return Layer.mergeAll(
    store,
    connector,
    pool,
    IdsLayer.layer,
    modelsLayer({ "test:tester": scripted(tester), "test:judge": scripted([judge]) })
  ).pipe(Layer.provideMerge(store))
}

/** An org with the fixture server and a workflow on it; returns ids. */
const seed = Effect.gen(function* () {
  const orgId = yield* Fixtures.newOrg
  const server = Fixtures.server(orgId, { transport: "streamable_http", baseUrl: fixture.url })
  yield* Effect.flatMap(ServerStore, (s) => s.insertServer(server))
  const { workflow, version } = Fixtures.workflow(orgId, {
    mcpServerId: server.id,
    authProfileId: null,
    testerModels: ["test:tester"],
    judgeModel: "test:judge",
    criteria: [{ id: "c1", text: "Looked up the order", required: true }],
    assertions: [],
    setup: [],
    teardown: []
  })
  yield* Effect.flatMap(WorkflowStore, (s) => s.insertWorkflow(workflow, version))
  return { orgId, server, workflow, version }
})

const enqueueRun = (
  orgId: string,
  workflow: { id: string; currentVersionId: string; spec: { mcpServerId: string } }
) =>
  Effect.gen(function* () {
    const now = new Date(yield* Clock.currentTimeMillis)
    const run: Run = Fixtures.run(orgId, {
      workflowId: workflow.id,
      workflowVersionId: workflow.currentVersionId,
      mcpServerId: workflow.spec.mcpServerId,
      testerModel: "test:tester",
      judgeModel: "test:judge",
      status: "pending",
      startedAt: null,
      finishedAt: null,
      createdAt: now
    })
    yield* Effect.flatMap(RunStore, (s) => s.insertRun(run))
    const job = yield* Effect.flatMap(JobQueue, (q) =>
      q.enqueue(
        {
          orgId,
          kind: "workflow_run",
          targetId: run.id,
          model: "test:tester",
          fireAt: now,
          runAfter: now,
          payload: { runId: run.id },
          maxAttempts: 2
        },
        now
      )
    )
    return { run, jobId: job!.id }
  })

const getRun = (orgId: string, id: string) =>
  Effect.flatMap(RunStore, (s) => s.getRun(orgId, id)).pipe(Effect.map(Option.getOrThrow))

/** Re-reads until `ok` holds; returns the value that satisfied it. */
const poll = <A, E, R>(effect: Effect.Effect<A, E, R>, ok: (a: A) => boolean) =>
  effect.pipe(
    Effect.filterOrFail(ok, () => "not yet" as const),
    Effect.retry(Schedule.spaced("20 millis"))
  )

describe("Worker", () => {
  it.live("claims a workflow_run job, executes it, writes the terminal run and completes the job", () =>
    Effect.gen(function* () {
      const { orgId, workflow } = yield* seed
      const { run, jobId } = yield* enqueueRun(orgId, workflow)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Worker.make({ pollMs: 20, monitorPollMs: 20 })
          yield* poll(getRun(orgId, run.id), (r) => r.status === "pass" || r.status === "error")
        })
      ).pipe(Effect.timeout("10 seconds"))
      const done = yield* getRun(orgId, run.id)
      expect(done.status).toBe("pass")
      expect(done.toolCalls.map((c) => c.name)).toEqual(["get_order"])
      const job = yield* Effect.flatMap(JobQueue, (q) => q.get(jobId))
      expect(job?.state).toBe("done")
    }).pipe(
      Effect.provide(
        live([{ toolCalls: [{ name: "get_order", args: { orderId: "ord-1" } }] }, { text: "shipped" }])
      )
    )
  )

  it.live("drains on shutdown: closing the scope waits for the run in flight", () =>
    Effect.gen(function* () {
      const { orgId, workflow } = yield* seed
      const { run } = yield* enqueueRun(orgId, workflow)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Worker.make({ pollMs: 20, monitors: false })
          yield* poll(getRun(orgId, run.id), (r) => r.status === "running")
        })
      )
      // The scope is closed: the run that was running has finished, not been abandoned.
      expect((yield* getRun(orgId, run.id)).status).toBe("pass")
    }).pipe(
      Effect.provide(
        live([
          { hangMs: 400 },
          { toolCalls: [{ name: "get_order", args: { orderId: "ord-1" } }] },
          { text: "ok" }
        ])
      )
    )
  )

  it.live("claims due monitors and records their checks", () =>
    Effect.gen(function* () {
      const { orgId, server } = yield* seed
      const now = yield* Clock.currentTimeMillis
      const monitor = Fixtures.monitor(orgId, {
        mcpServerId: server.id,
        toolName: "get_order",
        arguments: { orderId: "ord-1" },
        intervalSeconds: 10,
        timeoutMs: 2000,
        nextCheckAt: new Date(now - 1000)
      })
      yield* Effect.flatMap(MonitorStore, (s) => s.insertMonitor(monitor))
      const checks = yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Worker.make({ pollMs: 1000, monitorPollMs: 20 })
          return yield* poll(
            Effect.flatMap(MonitorStore, (s) => s.listChecks(orgId, monitor.id, { limit: 10 })),
            (cs) => cs.length > 0
          )
        })
      ).pipe(Effect.timeout("10 seconds"))
      expect(checks[0]?.outcome).toBe("pass")
      const stored = yield* Effect.flatMap(MonitorStore, (s) => s.getMonitor(orgId, monitor.id))
      expect(Option.getOrThrow(stored).lastOutcome).toBe("pass")
    }).pipe(Effect.provide(live([{ text: "unused" }])))
  )
  it.live(
    "two workers check every due fire exactly once, more fires than their slots (counted at the server)",
    () =>
      Effect.gen(function* () {
        const { orgId, server } = yield* seed
        const now = yield* Clock.currentTimeMillis
        const calls = () => fixture.state.calls.get("get_order") ?? 0
        const before = calls()
        // Hourly: one fire each within the test. 40 fires, 2 × 3 slots: full batches must go on
        // being claimed as slots free, and no fire may be claimed by both loops.
        const monitors = Array.from({ length: 40 }, (_, i) =>
          Fixtures.monitor(orgId, {
            mcpServerId: server.id,
            toolName: "get_order",
            arguments: { orderId: "ord-1" },
            intervalSeconds: 3600,
            timeoutMs: 2000,
            retries: 0,
            nextCheckAt: new Date(now - 1000 - i)
          })
        )
        yield* Effect.forEach(monitors, (m) => Effect.flatMap(MonitorStore, (s) => s.insertMonitor(m)))
        const checksOf = Effect.forEach(monitors, (m) =>
          Effect.flatMap(MonitorStore, (s) => s.listChecks(orgId, m.id, { limit: 10 }))
        )
        const checks = yield* Effect.scoped(
          Effect.gen(function* () {
            yield* Worker.make({ pollMs: 1000, monitorConcurrency: 3, monitorPollMs: 50 })
            yield* Worker.make({ pollMs: 1000, monitorConcurrency: 3, monitorPollMs: 50 })
            yield* poll(checksOf, (cs) => cs.every((c) => c.length > 0))
            // Long enough for a second check of any fire to be recorded too.
            yield* Effect.sleep("300 millis")
            return yield* checksOf
          })
        ).pipe(Effect.timeout("20 seconds"))
        expect(checks.map((c) => c.length)).toEqual(monitors.map(() => 1))
        expect(calls() - before).toBe(monitors.length)
      }).pipe(Effect.provide(live([{ text: "unused" }])))
  )
})

describe("Worker: runs of lost or stopped workers (SPEC §8), on the in-memory store", () => {
  layer(MemoryStore.layer, { excludeTestServices: true })((it) => workerRecovery(it))
})
