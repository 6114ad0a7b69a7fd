import {
  AlertStore,
  AuditLog,
  JobQueue,
  MonitorStore,
  ProposalStore,
  RunStore,
  SlackInstallations
} from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { describe, expect, layer } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
import { Retention } from "../src/index.js"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"
import * as F from "./support/fixtures.js"
import { seedOrg } from "./support/suite.js"

const postgres = await postgresAvailable("Retention.test.ts")
const day = 86_400_000

describe("Retention", () => {
  layer(postgres ? postgresLayer() : pgliteLayer(), { timeout: "60 seconds" })((it) => {
    it.effect(
      "prunes checks, runs, ended jobs, sent alerts, audit entries and stale proposals older than their windows, in batches",
      () =>
        Effect.gen(function* () {
          const { org, server, workflow } = yield* seedOrg
          const now = F.plus(F.t0, 100 * day)
          const old = F.plus(now, -40 * day)
          const recent = F.plus(now, -1 * day)

          const monitors = yield* MonitorStore
          const monitor = F.monitor(org.id, server.id)
          yield* monitors.insertMonitor(monitor)
          yield* Effect.forEach(
            Array.from({ length: 7 }, (_, i) => F.check(monitor, F.plus(old, i * 1000))),
            monitors.insertCheck
          )
          yield* monitors.insertCheck(F.check(monitor, recent))

          const runs = yield* RunStore
          const ancient = F.plus(now, -120 * day)
          yield* Effect.forEach(
            Array.from({ length: 5 }, (_, i) => F.run(workflow, F.plus(ancient, i * 1000))),
            runs.insertRun
          )
          // Non-terminal runs are never pruned, however old.
          yield* runs.insertRun(F.run(workflow, ancient, { status: "running", finishedAt: null }))
          yield* runs.insertRun(F.run(workflow, old))

          const jobs = yield* JobQueue
          const job = (yield* jobs.enqueue(F.jobRequest(org.id), old))!
          yield* jobs.claim({ owner: "w", kinds: ["workflow_run"], now: old, leaseMs: 1000, limit: 1 })
          yield* jobs.complete("w", job.id, "done", old)
          yield* jobs.enqueue(F.jobRequest(org.id), old)

          const alerts = yield* AlertStore
          // Delivered and dead messages go after 30 days; a pending one stays, however old.
          yield* Effect.forEach(
            [
              F.outbox(org.id, { createdAt: old, status: "delivered", deliveredAt: old }),
              F.outbox(org.id, { createdAt: old, status: "dead", attempts: 3, lastError: "HTTP 410" }),
              F.outbox(org.id, { createdAt: old, status: "delivered", deliveredAt: old }),
              F.outbox(org.id, { createdAt: old, status: "pending" }),
              F.outbox(org.id, { createdAt: recent, status: "delivered", deliveredAt: recent })
            ],
            alerts.enqueue
          )

          // An install link that expired 40 days ago goes; one that expired yesterday stays.
          const slack = yield* SlackInstallations
          yield* slack.createLink(Fixtures.slackInstallLink(org.id, { createdAt: old, expiresAt: old }))
          yield* slack.createLink(Fixtures.slackInstallLink(org.id, { createdAt: recent, expiresAt: recent }))

          // The audit log keeps a year.
          const audit = yield* AuditLog
          const entry = (id: string, at: Date) => ({
            id,
            orgId: org.id,
            at,
            actor: { keyId: "k", memberId: null, role: "viewer" as const },
            action: "search_runs",
            targetId: null,
            intent: null,
            outcome: "ok",
            arguments: { limit: 5 },
            durationMs: 3
          })
          yield* audit.record(entry("audit-old", F.plus(now, -400 * day)))
          yield* audit.record(entry("audit-recent", old))

          yield* TestClock.setTime(now.getTime())
          const options = { ...Retention.defaults, batchSize: 2 }
          const pruned = yield* Retention.prune(options)
          expect(pruned).toEqual({
            checks: 7,
            runs: 5,
            jobs: 1,
            proposals: 0,
            alerts: 3,
            audit: 1,
            slackLinks: 1
          })
          expect((yield* audit.list(org.id, { limit: 10 })).map((e) => e.id)).toEqual(["audit-recent"])
          expect((yield* alerts.listOutbox(org.id)).map((m) => m.status).sort()).toEqual([
            "delivered",
            "pending"
          ])
          expect((yield* monitors.listChecks(org.id, monitor.id, { limit: 100 })).length).toBe(1)
          expect((yield* runs.searchRuns(org.id, { limit: 100 })).items.map((r) => r.status).sort()).toEqual([
            "pass",
            "running"
          ])
          expect(yield* jobs.depth).toEqual({ queued: 1, running: 0 })
          expect(yield* Retention.prune(options)).toEqual({
            checks: 0,
            runs: 0,
            jobs: 0,
            proposals: 0,
            alerts: 0,
            audit: 0,
            slackLinks: 0
          })
          expect(yield* (yield* ProposalStore).deleteUnappliedBefore(now)).toBe(0)
        })
    )

    it.effect("a pass stops after maxBatches, leaving the rest to the next pass", () =>
      Effect.gen(function* () {
        const { org, server } = yield* seedOrg
        const monitors = yield* MonitorStore
        const monitor = F.monitor(org.id, server.id)
        yield* monitors.insertMonitor(monitor)
        yield* Effect.forEach(
          Array.from({ length: 5 }, (_, i) => F.check(monitor, F.plus(F.t0, i * 1000))),
          monitors.insertCheck
        )
        yield* TestClock.setTime(F.t0.getTime() + 2 * day)
        // Only this test's checks are older than a day at this time.
        const options = { ...Retention.defaults, checks: Duration.days(1), batchSize: 2, maxBatches: 1 }
        expect((yield* Retention.prune(options)).checks).toBe(2)
        expect((yield* monitors.listChecks(org.id, monitor.id, { limit: 10 })).length).toBe(3)
        yield* Retention.prune({ ...options, maxBatches: 10 })
        expect(yield* monitors.listChecks(org.id, monitor.id, { limit: 10 })).toEqual([])
      })
    )
  })
})
