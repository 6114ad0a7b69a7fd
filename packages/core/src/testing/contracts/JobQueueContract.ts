import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect } from "effect"
import { JobQueue } from "../../ports/JobQueue.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { at, era, jobRequest, newOrg, plus, uid } from "./fixtures.js"

/** A job kind no other test uses, so claims see only this test's jobs. */
const freshKind = () => `contract_${uid()}`

/** Registers the `JobQueue` contract tests. */
export const jobQueueSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("enqueue", () => {
    it.effect("a fire is enqueued once: the second enqueue returns null", () =>
      Effect.gen(function* () {
        const queue = yield* JobQueue
        const orgId = yield* newOrg
        const request = jobRequest(orgId, freshKind())
        const job = yield* queue.enqueue(request, at(1))
        expect(job).toMatchObject({
          ...request,
          state: "queued",
          attempts: 0,
          leaseOwner: null,
          createdAt: at(1)
        })
        expect(yield* queue.enqueue({ ...request, runAfter: at(99) }, at(2))).toBeNull()
        // Another model, or no model, is another fire.
        expect(yield* queue.enqueue({ ...request, model: "openai:other" }, at(2))).not.toBeNull()
        const noModel = { ...request, model: null }
        expect(yield* queue.enqueue(noModel, at(2))).not.toBeNull()
        expect(yield* queue.enqueue(noModel, at(3))).toBeNull()
        expect(yield* queue.get(job!.id)).toEqual(job)
        expect(yield* queue.get(uid())).toBeNull()
        const depth = yield* queue.depth
        expect(depth.queued).toBeGreaterThanOrEqual(3)
      })
    )
  })

  describe("claim", () => {
    it.effect("leases queued jobs of the given kinds whose runAfter has come, up to the limit", () =>
      Effect.gen(function* () {
        const queue = yield* JobQueue
        const orgId = yield* newOrg
        const [kind, otherKind] = [freshKind(), freshKind()]
        const now = at(100)
        const ready = [1, 2, 3].map((i) => jobRequest(orgId, kind, { runAfter: plus(now, -i) }))
        const staggered = jobRequest(orgId, kind, { runAfter: plus(now, 30) })
        const other = jobRequest(orgId, otherKind, { runAfter: now })
        for (const r of [...ready, staggered, other]) yield* queue.enqueue(r, at(0))

        const claimed = yield* queue.claim({ owner: "w1", kinds: [kind], now, leaseMs: 60_000, limit: 2 })
        expect(claimed).toHaveLength(2)
        for (const job of claimed) {
          expect(job).toMatchObject({
            kind,
            state: "running",
            attempts: 1,
            leaseOwner: "w1",
            leaseExpiresAt: plus(now, 60)
          })
        }
        const rest = yield* queue.claim({ owner: "w2", kinds: [kind], now, leaseMs: 60_000, limit: 10 })
        expect(rest.map((j) => j.targetId)).toHaveLength(1)
        expect([...claimed, ...rest].map((j) => j.targetId).sort()).toEqual(
          ready.map((r) => r.targetId).sort()
        )
        expect(yield* queue.claim({ owner: "w2", kinds: [kind], now, leaseMs: 60_000, limit: 10 })).toEqual(
          []
        )

        const later = yield* queue.claim({
          owner: "w2",
          kinds: [kind, otherKind],
          now: plus(now, 30),
          leaseMs: 1000,
          limit: 10
        })
        expect(later.map((j) => j.targetId).sort()).toEqual([staggered.targetId, other.targetId].sort())
      })
    )

    it.effect("concurrent claims never hand one job to two workers", () =>
      Effect.gen(function* () {
        const queue = yield* JobQueue
        const orgId = yield* newOrg
        const kind = freshKind()
        for (let i = 0; i < 5; i++) yield* queue.enqueue(jobRequest(orgId, kind), at(0))
        const claims = yield* Effect.forEach(
          ["w1", "w2", "w3"],
          (owner) => queue.claim({ owner, kinds: [kind], now: at(10), leaseMs: 60_000, limit: 5 }),
          { concurrency: "unbounded" }
        )
        const ids = claims.flat().map((j) => j.id)
        expect(ids).toHaveLength(5)
        expect(new Set(ids).size).toBe(5)
      })
    )
  })

  describe("leases", () => {
    it.effect("heartbeat extends only the owner's leases", () =>
      Effect.gen(function* () {
        const queue = yield* JobQueue
        const orgId = yield* newOrg
        const kind = freshKind()
        yield* queue.enqueue(jobRequest(orgId, kind), at(0))
        const [job] = yield* queue.claim({ owner: "w1", kinds: [kind], now: at(10), leaseMs: 1000, limit: 1 })
        expect(yield* queue.heartbeat("w2", [job!.id], at(500))).toEqual([])
        expect(yield* queue.heartbeat("w1", [job!.id, uid()], at(500))).toEqual([job!.id])
        expect((yield* queue.get(job!.id))?.leaseExpiresAt).toEqual(at(500))
      })
    )

    it.effect("complete ends a job the owner holds, once", () =>
      Effect.gen(function* () {
        const queue = yield* JobQueue
        const orgId = yield* newOrg
        const kind = freshKind()
        yield* queue.enqueue(jobRequest(orgId, kind), at(0))
        yield* queue.enqueue(jobRequest(orgId, kind), at(0))
        const [a, b] = yield* queue.claim({
          owner: "w1",
          kinds: [kind],
          now: at(10),
          leaseMs: 60_000,
          limit: 2
        })
        expect(yield* queue.complete("w2", a!.id, "done", at(20))).toBe(false)
        expect(yield* queue.complete("w1", a!.id, "done", at(20))).toBe(true)
        expect(yield* queue.complete("w1", a!.id, "done", at(21))).toBe(false)
        expect(yield* queue.complete("w1", b!.id, "skipped", at(20))).toBe(true)
        expect((yield* queue.get(a!.id))?.state).toBe("done")
        expect((yield* queue.get(b!.id))?.state).toBe("skipped")
      })
    )

    it.effect("fail requeues at retryAt until the attempts are used up, then dead-letters", () =>
      Effect.gen(function* () {
        const queue = yield* JobQueue
        const orgId = yield* newOrg
        const kind = freshKind()
        yield* queue.enqueue(jobRequest(orgId, kind, { maxAttempts: 2 }), at(0))
        const claim = (now: Date) =>
          queue.claim({ owner: "w1", kinds: [kind], now, leaseMs: 60_000, limit: 1 })
        const [job] = yield* claim(at(10))
        expect(yield* queue.fail("w2", job!.id, "not mine", at(20))).toBe(false)
        expect(yield* queue.fail("w1", job!.id, "boom", at(30))).toBe(true)
        expect(yield* queue.get(job!.id)).toMatchObject({
          state: "queued",
          runAfter: at(30),
          lastError: "boom",
          leaseOwner: null,
          attempts: 1
        })
        expect(yield* claim(at(29))).toEqual([])
        const [again] = yield* claim(at(30))
        expect(again?.attempts).toBe(2)
        expect(yield* queue.fail("w1", job!.id, "boom again", at(60))).toBe(true)
        expect(yield* queue.get(job!.id)).toMatchObject({ state: "dead", lastError: "boom again" })
        expect(yield* claim(at(1000))).toEqual([])
      })
    )

    it.effect("fail with retryAt null dead-letters at once", () =>
      Effect.gen(function* () {
        const queue = yield* JobQueue
        const orgId = yield* newOrg
        const kind = freshKind()
        yield* queue.enqueue(jobRequest(orgId, kind, { maxAttempts: 5 }), at(0))
        const [job] = yield* queue.claim({
          owner: "w1",
          kinds: [kind],
          now: at(10),
          leaseMs: 60_000,
          limit: 1
        })
        expect(yield* queue.fail("w1", job!.id, "permanent", null)).toBe(true)
        expect((yield* queue.get(job!.id))?.state).toBe("dead")
      })
    )

    it.effect(
      "recoverExpired requeues a job whose lease ran out, and dead-letters it when attempts are used up",
      () =>
        Effect.gen(function* () {
          const queue = yield* JobQueue
          const orgId = yield* newOrg
          const kind = freshKind()
          const t = era()
          yield* queue.enqueue(jobRequest(orgId, kind, { maxAttempts: 2, fireAt: t, runAfter: t }), t)
          const recover = (now: Date) =>
            Effect.map(queue.recoverExpired(now, 1000), (jobs) => jobs.filter((j) => j.kind === kind))
          const [job] = yield* queue.claim({ owner: "w1", kinds: [kind], now: t, leaseMs: 10_000, limit: 1 })
          expect(yield* recover(plus(t, 5))).toEqual([])
          const recovered = yield* recover(plus(t, 11))
          expect(recovered.map((j) => [j.id, j.state, j.leaseOwner])).toEqual([[job!.id, "queued", null]])
          // The crashed worker lost its lease.
          expect(yield* queue.complete("w1", job!.id, "done", plus(t, 12))).toBe(false)

          yield* queue.claim({ owner: "w2", kinds: [kind], now: plus(t, 12), leaseMs: 10_000, limit: 1 })
          const last = yield* recover(plus(t, 30))
          expect(last.map((j) => [j.id, j.state])).toEqual([[job!.id, "dead"]])
          expect((yield* queue.get(job!.id))?.state).toBe("dead")
        })
    )
  })

  describe("prune", () => {
    it.effect("deletes ended jobs that ended before the time, at most the limit", () =>
      Effect.gen(function* () {
        const queue = yield* JobQueue
        const orgId = yield* newOrg
        const kind = freshKind()
        const t = era()
        for (let i = 0; i < 4; i++)
          yield* queue.enqueue(jobRequest(orgId, kind, { fireAt: t, runAfter: t }), t)
        const jobs = yield* queue.claim({ owner: "w1", kinds: [kind], now: t, leaseMs: 60_000, limit: 3 })
        const [oldA, oldB, recent] = jobs
        yield* queue.complete("w1", oldA!.id, "done", plus(t, 1))
        yield* queue.complete("w1", oldB!.id, "skipped", plus(t, 2))
        yield* queue.complete("w1", recent!.id, "done", plus(t, 120))
        expect(yield* queue.prune(plus(t, 60), 1)).toBe(1)
        expect(yield* queue.prune(plus(t, 60), 1000)).toBeGreaterThanOrEqual(1)
        expect(yield* queue.get(oldA!.id)).toBeNull()
        expect(yield* queue.get(oldB!.id)).toBeNull()
        expect(yield* queue.get(recent!.id)).not.toBeNull()
        const queued = yield* queue.claim({ owner: "w1", kinds: [kind], now: t, leaseMs: 60_000, limit: 10 })
        expect(queued).toHaveLength(1)
      })
    )
  })
}
