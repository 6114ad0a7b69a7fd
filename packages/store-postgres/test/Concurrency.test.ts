/**
 * Several replicas (separate connection pools) against one PostgreSQL database: the guarantees
 * SPEC §8 rests on. PostgreSQL only — PGlite is a single session and cannot race.
 */
import {
  AlertStore,
  JobQueue,
  MonitorStore,
  OrgStore,
  ProposalStore,
  RunStore,
  Transactor,
  WorkflowStore
} from "@armature/core"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Option, Redacted } from "effect"
import { PgStore } from "../src/index.js"
import { freshDatabaseUrl, postgresAvailable, testKeys } from "./support/databases.js"
import * as F from "./support/fixtures.js"
import { seedOrg } from "./support/suite.js"

const postgres = await postgresAvailable("Concurrency.test.ts")

const replicas = 4
const keys = testKeys()

/** Runs `program` with `replicas` independent store layers (pools) on one fresh database. */
const withReplicas = <A, E>(
  program: (stores: ReadonlyArray<Layer.Layer<PgStore.Stores>>) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.scoped(
    Effect.gen(function* () {
      const url = yield* Effect.orDie(freshDatabaseUrl)
      const layers = Array.from({ length: replicas }, (_, i) =>
        PgStore.layer({ url: Redacted.make(url), maxConnections: 3, migrate: i === 0, secretKeys: keys })
      )
      // Build each replica once (the first one migrates), then hand out the built contexts.
      const contexts = yield* Effect.forEach(layers, (l) => Effect.orDie(Layer.build(l)))
      return yield* program(contexts.map((c) => Layer.succeedContext(c)))
    })
  )

const byId = (ids: ReadonlyArray<string>) => new Set(ids).size === ids.length

describe.runIf(postgres)("concurrency on PostgreSQL", () => {
  it.live("concurrent claimers never get the same job", () =>
    withReplicas((stores) =>
      Effect.gen(function* () {
        const { org } = yield* Effect.provide(seedOrg, stores[0]!)
        const jobs = 120
        yield* Effect.provide(
          Effect.flatMap(JobQueue, (q) =>
            Effect.forEach(Array.from({ length: jobs }), () => q.enqueue(F.jobRequest(org.id), F.t0))
          ),
          stores[0]!
        )
        // Two claim loops per replica, each taking batches of 3 until the queue is empty.
        const claimLoop = (owner: string) =>
          Effect.gen(function* () {
            const q = yield* JobQueue
            const mine: Array<string> = []
            for (;;) {
              const batch = yield* q.claim({
                owner,
                kinds: ["workflow_run"],
                now: F.t0,
                leaseMs: 60_000,
                limit: 3
              })
              if (batch.length === 0) return mine
              mine.push(...batch.map((j) => j.id))
            }
          })
        const claimed = yield* Effect.all(
          stores.flatMap((layer, r) => [0, 1].map((l) => Effect.provide(claimLoop(`r${r}-${l}`), layer))),
          { concurrency: "unbounded" }
        )
        const all = claimed.flat()
        expect(all.length).toBe(jobs)
        expect(byId(all)).toBe(true)
        // More than one claimer took part, or the test proved nothing.
        expect(claimed.filter((c) => c.length > 0).length).toBeGreaterThan(1)
      })
    )
  )

  it.live("the same fire enqueued from several connections yields one row", () =>
    withReplicas((stores) =>
      Effect.gen(function* () {
        const { org } = yield* Effect.provide(seedOrg, stores[0]!)
        const fires = [F.jobRequest(org.id), F.jobRequest(org.id, { model: null, kind: "catalog_sync" })]
        for (const request of fires) {
          const results = yield* Effect.all(
            stores.flatMap((layer) =>
              Array.from({ length: 5 }, () =>
                Effect.provide(
                  Effect.flatMap(JobQueue, (q) => q.enqueue(request, F.t0)),
                  layer
                )
              )
            ),
            { concurrency: "unbounded" }
          )
          expect(results.filter((j) => j !== null).length).toBe(1)
        }
        const depth = yield* Effect.provide(
          Effect.flatMap(JobQueue, (q) => q.depth),
          stores[1]!
        )
        expect(depth.queued).toBe(2)
      })
    )
  )

  it.live("a claimer that stops renewing its lease has its job reclaimed by another", () =>
    withReplicas((stores) =>
      Effect.gen(function* () {
        const { org } = yield* Effect.provide(seedOrg, stores[0]!)
        const [a, b] = [stores[0]!, stores[1]!]
        const onA = <X, Y>(e: Effect.Effect<X, Y, JobQueue>) => Effect.provide(e, a)
        const onB = <X, Y>(e: Effect.Effect<X, Y, JobQueue>) => Effect.provide(e, b)
        const job = (yield* onA(Effect.flatMap(JobQueue, (q) => q.enqueue(F.jobRequest(org.id), F.t0))))!
        const claim = (owner: string, now: Date) =>
          Effect.flatMap(JobQueue, (q) =>
            q.claim({ owner, kinds: ["workflow_run"], now, leaseMs: 30_000, limit: 5 })
          )

        expect((yield* onA(claim("worker-a", F.t0))).map((j) => j.id)).toEqual([job.id])
        // While the lease holds, nobody else gets the job, renews it, or recovers it.
        expect(yield* onB(claim("worker-b", F.plus(F.t0, 10_000)))).toEqual([])
        expect(
          yield* onB(Effect.flatMap(JobQueue, (q) => q.heartbeat("worker-b", [job.id], F.plus(F.t0, 99_000))))
        ).toEqual([])
        expect(
          yield* onB(Effect.flatMap(JobQueue, (q) => q.recoverExpired(F.plus(F.t0, 20_000), 10)))
        ).toEqual([])

        // worker-a goes silent; after expiry worker-b recovers and claims it.
        const recovered = yield* onB(
          Effect.flatMap(JobQueue, (q) => q.recoverExpired(F.plus(F.t0, 31_000), 10))
        )
        expect(recovered.map((j) => [j.id, j.state])).toEqual([[job.id, "queued"]])
        const reclaimed = yield* onB(claim("worker-b", F.plus(F.t0, 31_000)))
        expect(reclaimed.map((j) => [j.id, j.attempts, j.leaseOwner])).toEqual([[job.id, 2, "worker-b"]])

        // The old owner can neither renew nor finish it.
        expect(
          yield* onA(Effect.flatMap(JobQueue, (q) => q.heartbeat("worker-a", [job.id], F.plus(F.t0, 90_000))))
        ).toEqual([])
        expect(
          yield* onA(
            Effect.flatMap(JobQueue, (q) => q.complete("worker-a", job.id, "done", F.plus(F.t0, 32_000)))
          )
        ).toBe(false)
        expect(
          yield* onB(
            Effect.flatMap(JobQueue, (q) => q.complete("worker-b", job.id, "done", F.plus(F.t0, 32_000)))
          )
        ).toBe(true)
      })
    )
  )

  it.live("concurrent claimDue never returns the same monitor fire twice", () =>
    withReplicas((stores) =>
      Effect.gen(function* () {
        const { org, server } = yield* Effect.provide(seedOrg, stores[0]!)
        const count = 200
        yield* Effect.provide(
          Effect.flatMap(MonitorStore, (m) =>
            Effect.forEach(
              Array.from({ length: count }, (_, i) =>
                F.monitor(org.id, server.id, { nextCheckAt: F.plus(F.t0, -i * 1000) })
              ),
              m.insertMonitor
            )
          ),
          stores[0]!
        )
        const now = F.plus(F.t0, 5_000)
        const loop = Effect.gen(function* () {
          const m = yield* MonitorStore
          const mine: Array<string> = []
          for (;;) {
            const batch = yield* m.claimDue(now, 7)
            if (batch.length === 0) return mine
            mine.push(...batch.map((c) => `${c.monitor.id}@${c.dueAt.toISOString()}`))
          }
        })
        const claimed = yield* Effect.all(
          stores.flatMap((layer) => [Effect.provide(loop, layer), Effect.provide(loop, layer)]),
          { concurrency: "unbounded" }
        )
        const all = claimed.flat()
        expect(all.length).toBe(count)
        expect(byId(all)).toBe(true)
        expect(claimed.filter((c) => c.length > 0).length).toBeGreaterThan(1)
      })
    )
  )

  it.live("an idempotent run insert, a version append and a proposal apply each have one winner", () =>
    withReplicas((stores) =>
      Effect.gen(function* () {
        const { org, workflow } = yield* Effect.provide(seedOrg, stores[0]!)
        const onEach = <X, Y>(f: (i: number) => Effect.Effect<X, Y, PgStore.Stores>) =>
          Effect.all(
            stores.map((layer, i) => Effect.provide(f(i), layer)),
            { concurrency: "unbounded" }
          )

        const run = F.run(workflow, F.t0, { status: "pending", startedAt: null, finishedAt: null }, 0)
        const inserts = yield* onEach(() => Effect.flatMap(RunStore, (s) => s.insertRun(run)))
        expect(inserts.filter((r) => r.created).length).toBe(1)

        const appends = yield* onEach((i) =>
          Effect.flatMap(WorkflowStore, (s) =>
            s.appendVersion(
              {
                id: `v2-${i}-${workflow.id}`,
                orgId: org.id,
                workflowId: workflow.id,
                version: 2,
                spec: workflow.spec,
                createdBy: null,
                createdAt: F.t0
              },
              workflow.currentVersionId,
              F.t0
            )
          ).pipe(Effect.either)
        )
        expect(appends.filter((r) => r._tag === "Right").length).toBe(1)
        expect(appends.filter((r) => r._tag === "Left").map((r) => r._tag === "Left" && r.left._tag)).toEqual(
          Array(replicas - 1).fill("VersionConflict")
        )

        const proposal = {
          id: `p-${workflow.id}`,
          orgId: org.id,
          kind: "update" as const,
          workflowId: workflow.id,
          baseVersionId: workflow.currentVersionId,
          spec: workflow.spec,
          diff: [],
          rationale: "r",
          evidence: [],
          warnings: [],
          createdBy: null,
          createdAt: F.t0,
          expiresAt: F.plus(F.t0, 86_400_000),
          appliedAt: null,
          appliedVersionId: null
        }
        yield* Effect.provide(
          Effect.flatMap(ProposalStore, (s) => s.insertProposal(proposal)),
          stores[0]!
        )
        const applies = yield* onEach((i) =>
          Effect.flatMap(ProposalStore, (s) => s.markApplied(org.id, proposal.id, F.t0, `v-${i}`))
        )
        expect(applies.filter(Boolean).length).toBe(1)
      })
    )
  )

  it.live("a terminal run and its outbox rows become visible to other connections together", () =>
    withReplicas((stores) =>
      Effect.gen(function* () {
        const { org, workflow } = yield* Effect.provide(seedOrg, stores[0]!)
        const running = F.run(workflow, F.t0, { status: "running", finishedAt: null }, 0)
        yield* Effect.provide(
          Effect.flatMap(RunStore, (s) => s.insertRun(running)),
          stores[0]!
        )
        const written = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const writer = Effect.gen(function* () {
          const runs = yield* RunStore
          const alerts = yield* AlertStore
          yield* (yield* Transactor).withTransaction(
            Effect.gen(function* () {
              yield* runs.updateRun(F.run(workflow, F.t0, { id: running.id, status: "fail" }))
              yield* alerts.enqueue(F.outbox(org.id))
              yield* Deferred.succeed(written, undefined)
              yield* Deferred.await(release)
            })
          )
        })
        const reader = Effect.gen(function* () {
          const status = Option.getOrThrow(yield* (yield* RunStore).getRun(org.id, running.id)).status
          const outbox = (yield* (yield* AlertStore).listOutbox(org.id)).length
          return [status, outbox] as const
        })
        const fiber = yield* Effect.fork(Effect.provide(writer, stores[0]!))
        yield* Deferred.await(written)
        expect(yield* Effect.provide(reader, stores[1]!)).toEqual(["running", 0])
        yield* Deferred.succeed(release, undefined)
        yield* fiber.await
        expect(yield* Effect.provide(reader, stores[1]!)).toEqual(["fail", 1])
        // The organization exists for the seed only.
        expect(
          Option.isSome(
            yield* Effect.provide(
              Effect.flatMap(OrgStore, (s) => s.getOrganization(org.id)),
              stores[2]!
            )
          )
        ).toBe(true)
      })
    )
  )
})
