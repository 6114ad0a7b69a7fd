import {
  AlertStore,
  IdsLayer,
  JobQueue,
  RunStore,
  Runs,
  ServerStore,
  StoreError,
  WorkflowStore,
  Workflows
} from "@armature/core"
import { Fixtures, MemoryStore } from "@armature/core/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
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

/** The orphan's job, claimed by `owner` (attempt 2, as after a lost worker). */
const claimedBy = (orgId: string, runId: string, owner: string) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const now = new Date()
    yield* queue.enqueue(
      {
        orgId,
        kind: Runs.JOB_KIND,
        targetId: runId,
        model: "test:tester",
        fireAt: now,
        runAfter: now,
        payload: { runId },
        maxAttempts: 3
      },
      now
    )
    const [job] = yield* queue.claim({ owner, kinds: [Runs.JOB_KIND], now, leaseMs: 60_000, limit: 1 })
    return job!
  })

describe("RunJob: the worker's job ends with the terminal run", () => {
  it.live("in the same transaction: when ending the job fails, the run is not stored either", () =>
    Effect.gen(function* () {
      const { orgId, run } = yield* orphan(true)
      const outcomes: Array<string> = []
      const failing: RunJob.EndJob = (outcome) =>
        Effect.zipRight(
          Effect.sync(() => outcomes.push(outcome)),
          Effect.fail(new StoreError({ message: "jobs unavailable" }))
        )
      const exit = yield* Effect.exit(RunJob.executeRun(orgId, run.id, 2, failing))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(outcomes).toEqual(["done"])
      const stored = Option.getOrThrow(yield* Effect.flatMap(RunStore, (s) => s.getRun(orgId, run.id)))
      expect(stored.status).toBe("running")
      expect(yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))).toEqual([])
    }).pipe(Effect.provide(Live()))
  )

  it.live("a lease lost meanwhile: the run is stored all the same, the job stays its new holder's", () =>
    Effect.gen(function* () {
      const { orgId, run } = yield* orphan(true)
      const queue = yield* JobQueue
      const job = yield* claimedBy(orgId, run.id, "worker-a")
      // worker-a's lease expires and worker-b takes the job over.
      yield* queue.recoverExpired(new Date(Date.now() + 120_000), 10)
      const [taken] = yield* queue.claim({
        owner: "worker-b",
        kinds: [Runs.JOB_KIND],
        now: new Date(Date.now() + 120_000),
        leaseMs: 60_000,
        limit: 1
      })
      expect(taken?.id).toBe(job.id)
      const ended: Array<boolean> = []
      const result = yield* RunJob.executeRun(orgId, run.id, job.attempts, (outcome) =>
        Effect.tap(queue.complete("worker-a", job.id, outcome, new Date()), (held) => ended.push(held))
      )
      expect(ended).toEqual([false])
      expect(result).toMatchObject({ outcome: "done", run: { status: "pass" } })
      const stored = Option.getOrThrow(yield* Effect.flatMap(RunStore, (s) => s.getRun(orgId, run.id)))
      expect(stored.status).toBe("pass")
      expect(yield* queue.get(job.id)).toMatchObject({ state: "running", leaseOwner: "worker-b" })
      // worker-b finds the run terminal and ends the job, outside any run transaction.
      const again = yield* RunJob.executeRun(orgId, run.id, taken!.attempts, (outcome) =>
        queue.complete("worker-b", job.id, outcome, new Date())
      )
      expect(again.outcome).toBe("done")
      expect((yield* queue.get(job.id))?.state).toBe("done")
    }).pipe(Effect.provide(Live()))
  )

  it.live("a run that is gone ends its job `skipped`", () =>
    Effect.gen(function* () {
      const orgId = yield* Fixtures.newOrg
      const queue = yield* JobQueue
      const job = yield* claimedBy(orgId, "no-such-run", "worker-a")
      const result = yield* RunJob.executeRun(orgId, "no-such-run", job.attempts, (outcome) =>
        queue.complete("worker-a", job.id, outcome, new Date())
      )
      expect(result.outcome).toBe("skipped")
      expect((yield* queue.get(job.id))?.state).toBe("skipped")
    }).pipe(Effect.provide(Live()))
  )
})

/** A pending run of a workflow on the fixture server, with a profile the spec names or not. */
const pendingOf = (orgId: string, workflowVersionId: string, workflowId: string, serverId: string) =>
  Effect.gen(function* () {
    const run = Fixtures.run(orgId, {
      workflowId,
      workflowVersionId,
      mcpServerId: serverId,
      testerModel: "test:tester",
      judgeModel: "test:judge",
      status: "pending",
      startedAt: null,
      finishedAt: null,
      attempt: 1
    })
    yield* Effect.flatMap(RunStore, (s) => s.insertRun(run))
    return run
  })

/** A worker's `pinnedVersions` over the store, with the version ids it read from the store. */
const countedVersions = Effect.gen(function* () {
  const store = yield* WorkflowStore
  const reads: Array<string> = []
  const counting = {
    ...store,
    getVersion: (o: string, id: string) =>
      Effect.zipRight(
        Effect.sync(() => reads.push(id)),
        store.getVersion(o, id)
      )
  }
  return {
    reads,
    versions: yield* Effect.provideService(Workflows.pinnedVersions(), WorkflowStore, counting)
  }
})

describe("RunJob: what a worker reads to start a run", () => {
  it.live("the pinned version once per worker; the server and its profile afresh for every run", () =>
    Effect.gen(function* () {
      const orgId = yield* Fixtures.newOrg
      const servers = yield* ServerStore
      const server = Fixtures.server(orgId, { transport: "streamable_http", baseUrl: fixture.url })
      yield* servers.insertServer(server)
      const profile = Fixtures.authProfile(orgId, server.id, { kind: "none" })
      yield* servers.insertAuthProfile(profile)
      const { workflow, version } = Fixtures.workflow(orgId, {
        mcpServerId: server.id,
        authProfileId: profile.id,
        testerModels: ["test:tester"],
        judgeModel: "test:judge",
        criteria: [{ id: "c1", text: "Answered", required: true }],
        assertions: [],
        setup: [],
        teardown: []
      })
      const store = yield* WorkflowStore
      yield* store.insertWorkflow(workflow, version)
      const { reads, versions } = yield* countedVersions
      const start = (run: { readonly id: string }) => RunJob.executeRun(orgId, run.id, 1, undefined, versions)

      const first = yield* start(yield* pendingOf(orgId, version.id, workflow.id, server.id))
      expect(first.run?.status).toBe("pass")
      // The server moved: the next run goes to its new address (nothing listens there).
      yield* servers.updateServer({ ...server, baseUrl: "http://127.0.0.1:9/mcp" })
      const moved = yield* start(yield* pendingOf(orgId, version.id, workflow.id, server.id))
      expect(moved.run?.status).toBe("error")
      yield* servers.updateServer(server)
      // The profile the spec names is gone: the next run cannot start.
      yield* servers.deleteAuthProfile(orgId, profile.id)
      const unprofiled = yield* start(yield* pendingOf(orgId, version.id, workflow.id, server.id))
      expect(unprofiled.run?.error).toEqual({
        code: "internal_error",
        message: "The run's MCP server or auth profile no longer exists"
      })
      expect(reads).toEqual([version.id])
    }).pipe(Effect.provide(Live()))
  )

  it.live("a version not found is read again next time, and not kept", () =>
    Effect.gen(function* () {
      const orgId = yield* Fixtures.newOrg
      const store = yield* WorkflowStore
      const { reads, versions } = yield* countedVersions
      const { workflow, version } = Fixtures.workflow(orgId)
      expect(Option.isNone(yield* versions(orgId, version.id))).toBe(true)
      yield* store.insertWorkflow(workflow, version)
      expect(Option.getOrThrow(yield* versions(orgId, version.id)).id).toBe(version.id)
      expect(Option.getOrThrow(yield* versions(orgId, version.id)).id).toBe(version.id)
      // Another organization's read of the same id is its own.
      expect(Option.isNone(yield* versions(yield* Fixtures.newOrg, version.id))).toBe(true)
      expect(reads).toHaveLength(3)
    }).pipe(Effect.provide(Live()))
  )
})
