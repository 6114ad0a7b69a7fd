import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { Monitor } from "../../domain/Monitor.js"
import { MonitorStore } from "../../ports/MonitorStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { at, check, era, monitor, newOrg, plus, uid } from "./fixtures.js"

/** Registers the `MonitorStore` contract tests. */
export const monitorStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("monitors", () => {
    it.effect("are read, listed, updated and archived within their organization only", () =>
      Effect.gen(function* () {
        const store = yield* MonitorStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const serverId = uid()
        const m = monitor(orgA, { mcpServerId: serverId })
        const other = monitor(orgA)
        yield* store.insertMonitor(m)
        yield* store.insertMonitor(other)
        expect(Option.getOrThrow(yield* store.getMonitor(orgA, m.id))).toEqual(m)
        expect(Option.isNone(yield* store.getMonitor(orgB, m.id))).toBe(true)
        expect((yield* store.listMonitors(orgA, { mcpServerId: serverId })).map((x) => x.id)).toEqual([m.id])
        expect(yield* store.listMonitors(orgA)).toHaveLength(2)
        expect(yield* store.listMonitors(orgB)).toEqual([])

        const mutedForAWhile: Monitor = { ...m, mutedUntil: at(3600), updatedAt: at(2) }
        yield* store.updateMonitor(mutedForAWhile)
        expect(Option.getOrThrow(yield* store.getMonitor(orgA, m.id))).toEqual(mutedForAWhile)
        expect((yield* store.listMonitors(orgA, { mcpServerId: serverId }))[0]?.mutedUntil).toEqual(at(3600))

        const paused: Monitor = { ...m, state: "paused", updatedAt: at(5) }
        yield* store.updateMonitor(paused)
        expect(Option.getOrThrow(yield* store.getMonitor(orgA, m.id))).toEqual(paused)

        expect(yield* store.archiveMonitor(orgB, m.id, at(10))).toBe(false)
        expect(Option.getOrThrow(yield* store.getMonitor(orgA, m.id)).state).toBe("paused")
        expect(yield* store.archiveMonitor(orgA, m.id, at(10))).toBe(true)
        expect(Option.getOrThrow(yield* store.getMonitor(orgA, m.id))).toEqual({
          ...paused,
          state: "archived",
          updatedAt: at(10)
        })
        expect(yield* store.archiveMonitor(orgA, m.id, at(20))).toBe(false)
        expect(yield* store.archiveMonitor(orgA, uid(), at(20))).toBe(false)
      })
    )

    it.effect(
      "an archived monitor keeps its checks, is left out of lists unless asked for, is never claimed, changes no more, and frees its name",
      () =>
        Effect.gen(function* () {
          const store = yield* MonitorStore
          const orgId = yield* newOrg
          const t = era()
          const serverId = uid()
          const old = monitor(orgId, { mcpServerId: serverId, nextCheckAt: t, intervalSeconds: 60 })
          const paused = monitor(orgId, { mcpServerId: serverId, state: "paused" })
          yield* store.insertMonitor(old)
          yield* store.insertMonitor(paused)
          yield* store.insertCheck(check(old, plus(t, -60), { outcome: "fail" }))
          expect(yield* store.archiveMonitor(orgId, old.id, plus(t, -1))).toBe(true)

          const checks = yield* store.listChecks(orgId, old.id, { limit: 10 })
          expect(checks.map((c) => c.outcome)).toEqual(["fail"])
          expect((yield* store.checkSamples(orgId, old.id, plus(t, -3600))).map((c) => c.outcome)).toEqual([
            "fail"
          ])
          const ids = (monitors: ReadonlyArray<Monitor>) => monitors.map((m) => m.id)
          expect(ids(yield* store.listMonitors(orgId))).toEqual([paused.id])
          expect(ids(yield* store.listMonitors(orgId, { mcpServerId: serverId }))).toEqual([paused.id])
          expect(ids(yield* store.listMonitors(orgId, { includeArchived: true })).sort()).toEqual(
            [old.id, paused.id].sort()
          )
          expect(ids(yield* store.listMonitors(orgId, { includeArchived: true, state: "archived" }))).toEqual(
            [old.id]
          )
          expect(ids(yield* store.listMonitors(orgId, { state: "paused" }))).toEqual([paused.id])
          expect(ids(yield* store.listMonitors(orgId, { state: "archived" }))).toEqual([])

          const claimed = yield* store.claimDue(plus(t, 60), 1000)
          expect(claimed.map((c) => c.monitor.id)).not.toContain(old.id)

          // A write that read it before it was archived changes nothing.
          yield* store.updateMonitor({ ...old, state: "active", name: `${old.name} edited`, updatedAt: t })
          const stored = Option.getOrThrow(yield* store.getMonitor(orgId, old.id))
          expect([stored.state, stored.name]).toEqual(["archived", old.name])

          // The name is free again, and taken again by the new monitor only.
          const reborn = monitor(orgId, { name: old.name.toUpperCase() })
          yield* store.insertMonitor(reborn)
          const error = yield* Effect.flip(store.insertMonitor(monitor(orgId, { name: old.name })))
          expect(error._tag).toBe("Conflict")
          expect(ids(yield* store.listMonitors(orgId)).sort()).toEqual([paused.id, reborn.id].sort())
          yield* store.archiveMonitor(orgId, reborn.id, t)
          yield* store.insertMonitor(monitor(orgId, { name: old.name }))
        })
    )
  })

  describe("monitor names", () => {
    it.effect("are unique per organization, ignoring case and runs of space, on insert and update", () =>
      Effect.gen(function* () {
        const store = yield* MonitorStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const m = monitor(orgA, { name: `Order lookup ${uid()}` })
        const other = monitor(orgA)
        yield* store.insertMonitor(m)
        yield* store.insertMonitor(other)
        const twin = monitor(orgA, { name: ` ${m.name.toUpperCase().replace(" ", "  ")} ` })
        const inserted = yield* Effect.flip(store.insertMonitor(twin))
        expect(inserted._tag === "Conflict" && inserted.fieldErrors.map((f) => f.field)).toEqual(["name"])
        const renamed = yield* Effect.flip(store.updateMonitor({ ...other, name: m.name.toLowerCase() }))
        expect(renamed._tag === "Conflict" && renamed.fieldErrors.map((f) => f.field)).toEqual(["name"])
        expect(Option.getOrThrow(yield* store.getMonitor(orgA, other.id))).toEqual(other)
        expect(Option.isNone(yield* store.getMonitor(orgA, twin.id))).toBe(true)
        yield* store.insertMonitor(monitor(orgB, { name: m.name }))
      })
    )
  })

  describe("claimDue", () => {
    it.effect("claims each due fire once and moves nextCheckAt to the next fire after now", () =>
      Effect.gen(function* () {
        const store = yield* MonitorStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const t = era()
        const due = monitor(orgA, { nextCheckAt: t, intervalSeconds: 60 })
        const notYet = monitor(orgB, { nextCheckAt: plus(t, 30), intervalSeconds: 60 })
        const paused = monitor(orgA, { nextCheckAt: t, state: "paused" })
        // Ten fires behind: claimed once for its due time, then scheduled after now.
        const behind = monitor(orgB, { nextCheckAt: plus(t, -600), intervalSeconds: 60 })
        const mine = [due, notYet, paused, behind]
        for (const m of mine) yield* store.insertMonitor(m)
        const claim = (now: Date) =>
          Effect.map(store.claimDue(now, 1000), (claims) =>
            claims.filter((c) => mine.some((m) => m.id === c.monitor.id))
          )

        const first = yield* claim(t)
        expect(first.map((c) => [c.monitor.id, c.dueAt]).sort()).toEqual(
          [
            [due.id, t],
            [behind.id, plus(t, -600)]
          ].sort()
        )
        expect(first.find((c) => c.monitor.id === due.id)?.monitor.nextCheckAt).toEqual(plus(t, 60))
        expect(yield* claim(t)).toEqual([])
        const behindNext = Option.getOrThrow(yield* store.getMonitor(orgB, behind.id)).nextCheckAt
        expect(behindNext.getTime()).toBeGreaterThan(t.getTime())

        const second = yield* claim(plus(t, 60))
        expect(second.map((c) => c.monitor.id)).toContain(due.id)
        expect(second.map((c) => c.monitor.id)).toContain(notYet.id)
        expect(second.find((c) => c.monitor.id === notYet.id)?.dueAt).toEqual(plus(t, 30))
        expect(Option.getOrThrow(yield* store.getMonitor(orgA, due.id)).nextCheckAt).toEqual(plus(t, 120))
        expect(second.map((c) => c.monitor.id)).not.toContain(paused.id)

        for (const m of mine) yield* store.archiveMonitor(m.orgId, m.id, t)
      })
    )

    it.effect("concurrent claims at one instant hand each fire to one claimer", () =>
      Effect.gen(function* () {
        const store = yield* MonitorStore
        const orgId = yield* newOrg
        const t = era()
        const mine = [1, 2, 3].map(() => monitor(orgId, { nextCheckAt: t }))
        for (const m of mine) yield* store.insertMonitor(m)
        const claims = yield* Effect.forEach([1, 2, 3], () => store.claimDue(t, 1000), {
          concurrency: "unbounded"
        })
        const claimedIds = claims
          .flat()
          .map((c) => c.monitor.id)
          .filter((id) => mine.some((m) => m.id === id))
        expect(claimedIds.sort()).toEqual(mine.map((m) => m.id).sort())
        for (const m of mine) yield* store.archiveMonitor(orgId, m.id, t)
      })
    )
  })

  describe("checks", () => {
    it.effect("one check per monitor and scheduled time: a duplicate is ignored", () =>
      Effect.gen(function* () {
        const store = yield* MonitorStore
        const orgId = yield* newOrg
        const m = monitor(orgId)
        yield* store.insertMonitor(m)
        expect(yield* store.insertCheck(check(m, at(60), { outcome: "fail" }))).toBe(true)
        expect(yield* store.insertCheck(check(m, at(60), { outcome: "pass" }))).toBe(false)
        const checks = yield* store.listChecks(orgId, m.id, { limit: 10 })
        expect(checks.map((c) => c.outcome)).toEqual(["fail"])
      })
    )

    it.effect("a check records the monitor's last outcome unless a newer one is recorded", () =>
      Effect.gen(function* () {
        const store = yield* MonitorStore
        const orgId = yield* newOrg
        const m = monitor(orgId)
        yield* store.insertMonitor(m)
        yield* store.insertCheck(check(m, at(120), { outcome: "degraded" }))
        let current = Option.getOrThrow(yield* store.getMonitor(orgId, m.id))
        expect([current.lastOutcome, current.lastCheckedAt]).toEqual(["degraded", at(120)])
        yield* store.insertCheck(check(m, at(60), { outcome: "error" }))
        current = Option.getOrThrow(yield* store.getMonitor(orgId, m.id))
        expect([current.lastOutcome, current.lastCheckedAt]).toEqual(["degraded", at(120)])
      })
    )

    it.effect(
      "listChecks is newest first with since and limit; checkSamples covers the window; both org-scoped",
      () =>
        Effect.gen(function* () {
          const store = yield* MonitorStore
          const [orgA, orgB] = [yield* newOrg, yield* newOrg]
          const m = monitor(orgA)
          yield* store.insertMonitor(m)
          for (const [i, outcome] of (["pass", "degraded", "fail", "pass"] as const).entries()) {
            yield* store.insertCheck(check(m, at(60 * (i + 1)), { outcome, latencyMs: 100 * (i + 1) }))
          }
          const newest = yield* store.listChecks(orgA, m.id, { limit: 2 })
          expect(newest.map((c) => c.startedAt)).toEqual([at(240), at(180)])
          const since = yield* store.listChecks(orgA, m.id, { since: at(120), limit: 10 })
          expect(since.map((c) => c.startedAt)).toEqual([at(240), at(180), at(120)])
          const samples = yield* store.checkSamples(orgA, m.id, at(120))
          expect(samples.map((s) => [s.outcome, s.latencyMs, s.startedAt.toISOString()]).sort()).toEqual(
            [
              ["degraded", 200, at(120).toISOString()],
              ["fail", 300, at(180).toISOString()],
              ["pass", 400, at(240).toISOString()]
            ].sort()
          )
          expect(yield* store.listChecks(orgB, m.id, { limit: 10 })).toEqual([])
          expect(yield* store.checkSamples(orgB, m.id, at(0))).toEqual([])
          const recent = yield* store.recentChecks(orgA, [m.id, "no-such-monitor"], 2)
          expect(recent).toEqual([
            { monitorId: m.id, outcome: "pass", latencyMs: 400, startedAt: at(240) },
            { monitorId: m.id, outcome: "fail", latencyMs: 300, startedAt: at(180) }
          ])
          expect(yield* store.recentChecks(orgB, [m.id], 2)).toEqual([])
          expect(yield* store.recentChecks(orgA, [], 2)).toEqual([])
        })
    )

    it.effect("pruneChecks deletes checks started before the time, at most the limit", () =>
      Effect.gen(function* () {
        const store = yield* MonitorStore
        const orgId = yield* newOrg
        const t = era()
        const m = monitor(orgId, { nextCheckAt: plus(t, 1_000_000), state: "paused" })
        yield* store.insertMonitor(m)
        for (const s of [0, 10, 120]) yield* store.insertCheck(check(m, plus(t, s)))
        expect(yield* store.pruneChecks(plus(t, 60), 1)).toBe(1)
        expect(yield* store.pruneChecks(plus(t, 60), 1000)).toBeGreaterThanOrEqual(1)
        const left = yield* store.listChecks(orgId, m.id, { limit: 10 })
        expect(left.map((c) => c.startedAt)).toEqual([plus(t, 120)])
      })
    )
  })
}
