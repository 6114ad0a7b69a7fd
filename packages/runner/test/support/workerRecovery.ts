/**
 * What the worker does with runs whose worker was lost or stopped (SPEC §8), as a suite over any
 * store: `Worker.test.ts` runs it on the in-memory store, the server's tests on PostgreSQL.
 * No run is left `running`: it is retried once when its retry policy allows, or ends
 * `error` with `worker_lost`.
 */
import {
  IdsLayer,
  JobQueue,
  type Run,
  RunStore,
  ServerStore,
  type StorePorts,
  WorkflowStore
} from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { afterAll, beforeAll, expect, type Vitest } from "@effect/vitest"
import { Clock, Effect, Layer, Option, Schedule, type Scope } from "effect"
import * as Connector from "../../src/McpConnector.js"
import * as Pool from "../../src/SessionPool.js"
import * as Worker from "../../src/Worker.js"
import { type Fixture, startFixture } from "../fixtures/fixtureServer.js"
import { modelsLayer, type Scripted, scripted } from "./scripted.js"

const judge = () =>
  scripted([{ json: { verdicts: [{ criterionId: "c1", verdict: "pass", reasoning: "ok", evidence: [] }] } }])

/** Answers at once, or — while `hang` is set — never, ignoring the abort signal too. */
const tester = (state: { hang: boolean }): Scripted =>
  scripted([{ toolCalls: [{ name: "get_order", args: { orderId: "ord-1" } }] }, { text: "shipped" }], {
    beforeCall: () => (state.hang ? new Promise<void>(() => {}) : Promise.resolve())
  })

/** Everything the worker needs beside the store. */
const runtime = (model: Scripted) => {
  const connector = Connector.layer({ allowLoopback: true })
  return Layer.mergeAll(
    connector,
    Pool.layer().pipe(Layer.provide(connector)),
    IdsLayer.layer,
    modelsLayer({ "test:tester": model, "test:judge": judge() })
  )
}

/** A worker whose leases expire fast and are looked for often. */
const worker = (over: Worker.Options = {}) =>
  Worker.make({ pollMs: 20, monitors: false, leaseMs: 2000, recoverEveryMs: 50, ...over })

const getRun = (orgId: string, id: string) =>
  Effect.flatMap(RunStore, (s) => s.getRun(orgId, id)).pipe(Effect.map(Option.getOrThrow))

const getJob = (id: string) => Effect.flatMap(JobQueue, (q) => q.get(id)).pipe(Effect.map((j) => j!))

/** Re-reads until `ok` holds, for at most 20 s; returns the value that satisfied it. */
const poll = <A, E, R>(effect: Effect.Effect<A, E, R>, ok: (a: A) => boolean) =>
  effect.pipe(
    Effect.filterOrFail(ok, () => "not yet" as const),
    Effect.retry(Schedule.spaced("20 millis")),
    Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => "never happened" as const }),
    Effect.orDie
  )

const terminal = (r: Run) => r.status !== "pending" && r.status !== "running"

/** A workflow on `url` with its run and the run's job, not yet claimed. */
const seed = (url: string, options: { retryOnWorkerLost: boolean; maxAttempts: number }) =>
  Effect.gen(function* () {
    const orgId = yield* Fixtures.newOrg
    const server = Fixtures.server(orgId, { transport: "streamable_http", baseUrl: url })
    yield* Effect.flatMap(ServerStore, (s) => s.insertServer(server))
    const { workflow, version } = Fixtures.workflow(orgId, {
      mcpServerId: server.id,
      authProfileId: null,
      testerModels: ["test:tester"],
      judgeModel: "test:judge",
      criteria: [{ id: "c1", text: "Looked up the order", required: true }],
      assertions: [],
      setup: [],
      teardown: [],
      retryPolicy: { retryOnWorkerLost: options.retryOnWorkerLost }
    })
    yield* Effect.flatMap(WorkflowStore, (s) => s.insertWorkflow(workflow, version))
    // A minute ago, so a claim "then" has a lease that is long over now.
    const then = new Date((yield* Clock.currentTimeMillis) - 60_000)
    const run = Fixtures.run(orgId, {
      workflowId: workflow.id,
      workflowVersionId: version.id,
      mcpServerId: server.id,
      testerModel: "test:tester",
      judgeModel: "test:judge",
      status: "pending",
      startedAt: null,
      finishedAt: null,
      createdAt: then
    })
    yield* Effect.flatMap(RunStore, (s) => s.insertRun(run))
    const job = yield* Effect.flatMap(JobQueue, (q) =>
      q.enqueue(
        {
          orgId,
          kind: "workflow_run",
          targetId: run.id,
          model: "test:tester",
          fireAt: then,
          runAfter: then,
          payload: { runId: run.id },
          maxAttempts: options.maxAttempts
        },
        then
      )
    )
    return { orgId, run, jobId: job!.id, then }
  })

/** A worker that claimed the job a minute ago, marked its run `running`, and died. */
const lost = (url: string, options: { retryOnWorkerLost: boolean; maxAttempts: number }) =>
  Effect.gen(function* () {
    const seeded = yield* seed(url, options)
    const claimed = yield* Effect.flatMap(JobQueue, (q) =>
      q.claim({ owner: "lost-worker", kinds: ["workflow_run"], now: seeded.then, leaseMs: 1000, limit: 10 })
    )
    expect(claimed.map((j) => j.id)).toContain(seeded.jobId)
    yield* Effect.flatMap(RunStore, (s) =>
      s.updateRun({ ...seeded.run, status: "running", startedAt: seeded.then })
    )
    return seeded
  })

/** Runs `effect` with a worker in a scope of its own; closing it is the worker's shutdown. */
const withWorker = <A, E, R>(options: Worker.Options, effect: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.zipRight(worker(options), effect))

/** The suite; `it` provides the store, on the live clock (`excludeTestServices`). */
export const workerRecovery = (it: Vitest.MethodsNonLive<StorePorts, true>) => {
  let fixture: Fixture
  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(() => fixture.close())

  const live = <A, E>(
    name: string,
    model: Scripted,
    body: () => Effect.Effect<A, E, StorePorts | Worker.Env | Scope.Scope>
  ) => it.effect(name, () => body().pipe(Effect.scoped, Effect.provide(runtime(model))), 60_000)

  live(
    "an expired lease is recovered and the run retried once when its retry policy allows",
    tester({ hang: false }),
    () =>
      Effect.gen(function* () {
        const { orgId, run, jobId } = yield* lost(fixture.url, { retryOnWorkerLost: true, maxAttempts: 2 })
        const done = yield* withWorker({}, poll(getRun(orgId, run.id), terminal))
        expect(done.status).toBe("pass")
        expect(done.attempt).toBe(2)
        expect(yield* getJob(jobId)).toMatchObject({ state: "done", attempts: 2 })
      })
  )

  live(
    "an expired lease ends the run worker_lost when its retry policy does not allow a retry",
    tester({ hang: false }),
    () =>
      Effect.gen(function* () {
        const { orgId, run, jobId } = yield* lost(fixture.url, { retryOnWorkerLost: false, maxAttempts: 2 })
        const done = yield* withWorker({}, poll(getRun(orgId, run.id), terminal))
        expect(done.status).toBe("error")
        expect(done.error?.code).toBe("worker_lost")
        expect((yield* getJob(jobId)).state).toBe("done")
      })
  )

  live(
    "an expired lease whose attempts are used up dead-letters the job and ends the run worker_lost",
    tester({ hang: false }),
    () =>
      Effect.gen(function* () {
        const { orgId, run, jobId } = yield* lost(fixture.url, { retryOnWorkerLost: true, maxAttempts: 1 })
        const done = yield* withWorker({}, poll(getRun(orgId, run.id), terminal))
        expect(done.status).toBe("error")
        expect(done.error?.code).toBe("worker_lost")
        expect((yield* getJob(jobId)).state).toBe("dead")
      })
  )

  const hanging = { hang: true }
  live(
    "shutdown interrupts a run still in flight after the grace and re-queues it; the next worker retries it",
    tester(hanging),
    () =>
      Effect.gen(function* () {
        hanging.hang = true
        const { orgId, run, jobId } = yield* seed(fixture.url, { retryOnWorkerLost: true, maxAttempts: 2 })
        yield* withWorker(
          { shutdownGraceMs: 200 },
          poll(getRun(orgId, run.id), (r) => r.status === "running")
        ).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => "shutdown did not return" }))
        const job = yield* getJob(jobId)
        expect(job).toMatchObject({ state: "queued", attempts: 1, leaseOwner: null })
        expect(job.lastError).toMatch(/shut down/)
        expect((yield* getRun(orgId, run.id)).status).toBe("running")

        hanging.hang = false
        const done = yield* withWorker({}, poll(getRun(orgId, run.id), terminal))
        expect(done.status).toBe("pass")
        expect(done.attempt).toBe(2)
      })
  )

  live(
    "shutdown ends a run still in flight worker_lost when its attempts are used up",
    tester({ hang: true }),
    () =>
      Effect.gen(function* () {
        const { orgId, run, jobId } = yield* seed(fixture.url, { retryOnWorkerLost: true, maxAttempts: 1 })
        yield* withWorker(
          { shutdownGraceMs: 200 },
          poll(getRun(orgId, run.id), (r) => r.status === "running")
        ).pipe(Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => "shutdown did not return" }))
        expect((yield* getJob(jobId)).state).toBe("dead")
        const ended = yield* getRun(orgId, run.id)
        expect(ended.status).toBe("error")
        expect(ended.error?.code).toBe("worker_lost")
      })
  )
}
