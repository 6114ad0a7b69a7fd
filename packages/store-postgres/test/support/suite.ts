/** Round trips through every port, run against each backend by `PgStore.test.ts`. */
import {
  AlertStore,
  AuditLog,
  type CatalogVersion,
  JobQueue,
  MonitorStore,
  OrgStore,
  ProposalStore,
  type Run,
  RunStore,
  ServerStore,
  Transactor,
  WorkflowStore
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import { expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { PgStore } from "../../src/index.js"
import * as RunStoreLive from "../../src/stores/RunStore.js"
import * as F from "./fixtures.js"

/** A fresh organization with a server and a workflow. */
export const seedOrg = Effect.gen(function* () {
  const orgs = yield* OrgStore
  const org = F.organization()
  yield* orgs.createOrganization(org)
  const srv = F.server(org.id)
  yield* (yield* ServerStore).insertServer(srv)
  const { workflow, version } = F.workflow(org.id, F.spec(srv.id))
  yield* (yield* WorkflowStore).insertWorkflow(workflow, version)
  return { org, server: srv, workflow, version }
})

/** `seedOrg`, with what the coverage tests read and write beside it. */
const seedCoverage = Effect.gen(function* () {
  const seeded = yield* seedOrg
  return {
    ...seeded,
    runs: yield* RunStore,
    sql: yield* SqlClient.SqlClient,
    serverId: seeded.workflow.spec.mcpServerId
  }
})

export const roundTrips = (it: Vitest.MethodsNonLive<PgStore.Stores | SqlClient.SqlClient>) => {
  it.effect("stores and reads back every kind of record exactly", () =>
    Effect.gen(function* () {
      const { org, server, workflow, version } = yield* seedOrg
      expect(yield* (yield* OrgStore).getOrganization(org.id)).toEqual(Option.some(org))
      expect(yield* (yield* ServerStore).getServer(org.id, server.id)).toEqual(Option.some(server))
      const workflows = yield* WorkflowStore
      expect(yield* workflows.getWorkflow(org.id, workflow.id)).toEqual(Option.some(workflow))
      expect(yield* workflows.getVersion(org.id, version.id)).toEqual(Option.some(version))

      const runs = yield* RunStore
      const run = F.run(workflow, F.t0)
      expect(yield* runs.insertRun(run)).toEqual({ run, created: true })
      expect(yield* runs.getRun(org.id, run.id)).toEqual(Option.some(run))
      expect((yield* runs.insertRun({ ...run, status: "fail" })).created).toBe(false)

      const monitors = yield* MonitorStore
      const monitor = F.monitor(org.id, server.id)
      yield* monitors.insertMonitor(monitor)
      expect(yield* monitors.getMonitor(org.id, monitor.id)).toEqual(Option.some(monitor))
      const check = F.check(monitor, F.t0)
      expect(yield* monitors.insertCheck(check)).toBe(true)
      expect(yield* monitors.insertCheck({ ...check, id: "other" })).toBe(false)
      expect(yield* monitors.listChecks(org.id, monitor.id, { limit: 10 })).toEqual([check])

      const alerts = yield* AlertStore
      const message = F.outbox(org.id)
      yield* alerts.enqueue(message)
      expect(yield* alerts.listOutbox(org.id)).toEqual([message])

      const jobs = yield* JobQueue
      const job = yield* jobs.enqueue(F.jobRequest(org.id), F.t0)
      expect(job).not.toBeNull()
      expect(yield* jobs.get(job!.id)).toEqual(job)

      yield* (yield* AuditLog).record({
        id: "a1",
        orgId: org.id,
        at: F.t0,
        actor: { keyId: "k", memberId: null, role: "admin" },
        action: "workflows.update",
        targetId: workflow.id,
        intent: null,
        outcome: "ok",
        arguments: null,
        durationMs: null
      })
      expect((yield* (yield* AuditLog).list(org.id, { limit: 5 })).length).toBe(1)
      expect(yield* (yield* ProposalStore).getProposal(org.id, "missing")).toEqual(Option.none())
    })
  )

  it.effect("updating a running run replaces its tool calls, or removes them", () =>
    Effect.gen(function* () {
      const { org, workflow } = yield* seedOrg
      const runs = yield* RunStore
      const running = F.run(workflow, F.t0, { status: "running", finishedAt: null }, 2)
      yield* runs.insertRun(running)
      const more = F.run(workflow, F.t0, { id: running.id, status: "running", finishedAt: null }, 4)
      expect(yield* runs.updateRun(more)).toBe(true)
      expect(yield* runs.getRun(org.id, running.id)).toEqual(Option.some(more))
      const none = { ...more, toolCalls: [] }
      expect(yield* runs.updateRun(none)).toBe(true)
      expect(yield* runs.getRun(org.id, running.id)).toEqual(Option.some(none))
      const done = { ...more, status: "pass" as const, finishedAt: F.plus(F.t0, 1000) }
      expect(yield* runs.updateRun(done)).toBe(true)
      expect(yield* runs.updateRun({ ...done, toolCalls: [] })).toBe(false)
      expect(yield* runs.getRun(org.id, running.id)).toEqual(Option.some(done))
      // Imports skip ids that exist, with their calls, and count what they inserted.
      const imported = [F.run(workflow, F.t0), F.run(workflow, F.t0, {}, 0)]
      // An id repeated within one import is skipped too, instead of failing the whole batch.
      const repeat = { ...imported[0]!, reason: "a second copy" }
      expect(yield* PgStore.importRuns([...imported, repeat, { ...done, toolCalls: [] }])).toBe(2)
      for (const r of [...imported, done]) expect(yield* runs.getRun(org.id, r.id)).toEqual(Option.some(r))
    })
  )

  it.effect(
    "a U+0000 from an MCP server or a model is stored as U+FFFD: in a run, a check, a probe, a catalog",
    () =>
      Effect.gen(function* () {
        const { org, server, workflow } = yield* seedOrg
        const runs = yield* RunStore
        const nul = "a\u0000b"
        const withNul = (r: Run): Run => ({
          ...r,
          finalAnswer: nul,
          toolCalls: r.toolCalls.map((c) => ({
            ...c,
            arguments: { [nul]: [nul, 1] },
            content: [{ type: "text", text: nul }],
            error: nul
          })),
          trace: [{ id: "e1", at: F.t0, type: "message", role: "assistant", text: nul }],
          serverInfo: { name: nul, version: "1" },
          error: { code: "internal_error", message: nul }
        })
        // What reads back: the same run with every U+0000, in keys and values, as U+FFFD.
        const stored = (r: Run): Run =>
          JSON.parse(JSON.stringify(r).replaceAll("\\u0000", "\uFFFD"), (k, v) =>
            ["at", "startedAt", "finishedAt", "createdAt", "fireAt"].includes(k) && typeof v === "string"
              ? new Date(v)
              : v
          )
        const inserted = withNul(F.run(workflow, F.t0, {}, 2))
        expect((yield* runs.insertRun(inserted)).created).toBe(true)
        expect(yield* runs.getRun(org.id, inserted.id)).toEqual(Option.some(stored(inserted)))
        expect(JSON.stringify(yield* runs.getRun(org.id, inserted.id))).not.toContain("\\u0000")

        const running = F.run(workflow, F.t0, { status: "running", finishedAt: null }, 0)
        yield* runs.insertRun(running)
        const ended = withNul({ ...F.run(workflow, F.t0, { id: running.id }, 2), reason: nul })
        expect(yield* runs.updateRun(ended)).toBe(true)
        expect(yield* runs.getRun(org.id, running.id)).toEqual(Option.some(stored(ended)))

        const recent = yield* runs.recentToolCalls(org.id, workflow.spec.mcpServerId, 10)
        expect(recent.length).toBe(4)
        for (const { call } of recent) expect(call.arguments).toEqual({ "a\uFFFDb": ["a\uFFFDb", 1] })

        // What a monitor check, a probe and a catalog sync store of a server's own text.
        const monitors = yield* MonitorStore
        const monitor = F.monitor(org.id, server.id)
        yield* monitors.insertMonitor(monitor)
        const check = F.check(monitor, F.t0, { outcome: "fail", error: nul, resultExcerpt: nul })
        expect(yield* monitors.insertCheck(check)).toBe(true)
        expect(yield* monitors.listChecks(org.id, monitor.id, { limit: 1 })).toEqual([
          { ...check, error: "a\uFFFDb", resultExcerpt: "a\uFFFDb" }
        ])

        const servers = yield* ServerStore
        const probed = { ...server, lastProbeError: nul, lastProbedAt: F.t0 }
        yield* servers.updateServer(probed)
        expect(yield* servers.getServer(org.id, server.id)).toEqual(
          Option.some({ ...probed, lastProbeError: "a\uFFFDb" })
        )
        const catalog: CatalogVersion = {
          id: "catalog-nul",
          orgId: org.id,
          serverId: server.id,
          version: 1,
          hash: "h",
          serverInfo: { name: nul, version: "1" },
          protocolVersion: nul,
          capabilities: { tools: {} },
          tools: [{ name: "get_order", description: nul, inputSchema: { type: "object" } }],
          createdAt: F.t0
        }
        yield* servers.insertCatalogVersion(catalog)
        expect(yield* servers.latestCatalog(org.id, server.id)).toEqual(
          Option.some({
            ...catalog,
            serverInfo: { name: "a\uFFFDb", version: "1" },
            protocolVersion: "a\uFFFDb",
            tools: [{ name: "get_order", description: "a\uFFFDb", inputSchema: { type: "object" } }]
          })
        )
      })
  )

  it.effect(
    "coverage reads a run's calls the same from its projection and, without one, from its calls",
    () =>
      Effect.gen(function* () {
        const { org, workflow, runs, sql, serverId } = yield* seedCoverage
        const inserted = F.run(workflow, F.t0, { toolCalls: [] }, 3)
        yield* runs.insertRun(F.run(workflow, F.t0, {}, 3))
        const running = F.run(workflow, F.plus(F.t0, 1000), { status: "running", finishedAt: null }, 0)
        yield* runs.insertRun(running)
        yield* runs.updateRun(F.run(workflow, F.plus(F.t0, 1000), { id: running.id }, 2))
        yield* runs.insertRun(inserted)
        const projected = yield* runs.recentToolCalls(org.id, serverId, 10)
        expect(projected.length).toBe(5)
        const projections = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM run_tool_calls
          WHERE org_id = ${org.id} AND recent IS NOT NULL`
        expect(projections).toEqual([{ n: 2 }])
        // As a row written before migration 0021 (or by a replica of the version before it) is,
        // read by a store that has not parsed these runs yet.
        yield* sql`UPDATE run_tool_calls SET recent = NULL WHERE org_id = ${org.id}`
        const fresh = yield* RunStoreLive.make
        expect(yield* fresh.recentToolCalls(org.id, serverId, 10)).toEqual(projected)
      })
  )

  it.effect(
    "coverage parses a terminal run's calls once, not those a transaction may roll back, and a pruned run's id anew",
    () =>
      Effect.gen(function* () {
        const { org, workflow, runs, sql, serverId } = yield* seedCoverage
        const pending = F.run(workflow, F.t0, { status: "running", finishedAt: null }, 0)
        yield* runs.insertRun(pending)
        const callsOf = (records: ReadonlyArray<{ readonly call: { readonly id: string } }>) =>
          records.map((r) => r.call.id)

        const rolledBack = yield* (yield* Transactor)
          .withTransaction(
            Effect.gen(function* () {
              yield* runs.updateRun(F.run(workflow, F.t0, { id: pending.id }, 3))
              const read = yield* runs.recentToolCalls(org.id, serverId, 10)
              return yield* Effect.fail(callsOf(read))
            })
          )
          .pipe(Effect.flip)
        expect(rolledBack).toHaveLength(3)
        const retried = F.run(workflow, F.t0, { id: pending.id }, 2)
        yield* runs.updateRun(retried)
        const expected = retried.toolCalls.map((c) => c.id)
        expect(callsOf(yield* runs.recentToolCalls(org.id, serverId, 10))).toEqual(expected)

        // Settled, the run's calls are not read again: what is stored no longer matters to this store.
        yield* sql`UPDATE run_tool_calls SET recent = '[]' WHERE org_id = ${org.id}`
        expect(callsOf(yield* runs.recentToolCalls(org.id, serverId, 10))).toEqual(expected)
        expect(yield* (yield* RunStoreLive.make).recentToolCalls(org.id, serverId, 10)).toEqual([])

        // Pruned, the run may come back under its id (derived from workflow, reason and idempotency
        // key) with other calls: those are read.
        yield* sql`DELETE FROM runs WHERE id = ${pending.id}`
        const again = F.run(workflow, F.plus(F.t0, 60_000), { id: pending.id }, 1)
        yield* runs.insertRun(again)
        expect(callsOf(yield* runs.recentToolCalls(org.id, serverId, 10))).toEqual(
          again.toolCalls.map((c) => c.id)
        )
      })
  )

  it.effect("a rolled-back transaction leaves neither the terminal run nor its outbox rows", () =>
    Effect.gen(function* () {
      const { org, workflow } = yield* seedOrg
      const runs = yield* RunStore
      const alerts = yield* AlertStore
      const pending = F.run(workflow, F.t0, { status: "running", finishedAt: null }, 0)
      yield* runs.insertRun(pending)
      const terminal = F.run(workflow, F.t0, { id: pending.id, status: "fail" })
      const failed = yield* (yield* Transactor)
        .withTransaction(
          Effect.gen(function* () {
            yield* runs.updateRun(terminal)
            yield* alerts.enqueue(F.outbox(org.id))
            return yield* Effect.fail("boom" as const)
          })
        )
        .pipe(Effect.flip)
      expect(failed).toBe("boom")
      expect(Option.getOrThrow(yield* runs.getRun(org.id, pending.id)).status).toBe("running")
      expect(yield* alerts.listOutbox(org.id)).toEqual([])

      yield* (yield* Transactor).withTransaction(
        Effect.zipRight(runs.updateRun(terminal), alerts.enqueue(F.outbox(org.id)))
      )
      expect(yield* runs.getRun(org.id, pending.id)).toEqual(Option.some(terminal))
      expect((yield* alerts.listOutbox(org.id)).length).toBe(1)
    })
  )
}
