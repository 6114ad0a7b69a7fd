import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Coverage from "../../Coverage.js"
import type { Page } from "../../domain/Common.js"
import type { Run, RunSummary } from "../../domain/Run.js"
import { type RunFilter, RunStore, recentToolCall, type ToolCallRecord } from "../../ports/RunStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { at, era, newOrg, plus, run, toolCall, uid } from "./fixtures.js"

/** Follows `nextCursor` to the end. */
const allPages = (orgId: string, filter: Omit<RunFilter, "cursor">) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const items: Array<RunSummary> = []
    let cursor: string | null = null
    for (let page = 0; page < 100; page++) {
      const result: Page<RunSummary> = yield* store.searchRuns(
        orgId,
        cursor === null ? filter : { ...filter, cursor }
      )
      expect(result.items.length).toBeLessThanOrEqual(filter.limit)
      items.push(...result.items)
      cursor = result.nextCursor
      if (cursor === null) break
    }
    return items
  })

/** Registers the `RunStore` contract tests. */
export const runStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("insertRun", () => {
    it.effect("is idempotent: a second insert of the id returns the stored run, not created", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const first = run(orgA, { status: "pending", startedAt: null, finishedAt: null })
        expect(yield* store.insertRun(first)).toEqual({ run: first, created: true })
        const again = yield* store.insertRun({ ...first, status: "running", reason: "retry" })
        expect(again.created).toBe(false)
        expect(again.run).toEqual(first)
        expect(Option.getOrThrow(yield* store.getRun(orgA, first.id))).toEqual(first)
        expect(Option.isNone(yield* store.getRun(orgB, first.id))).toBe(true)
      })
    )

    it.effect("concurrent inserts of one id create it once", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const orgId = yield* newOrg
        const r = run(orgId)
        const results = yield* Effect.forEach([1, 2, 3], () => store.insertRun(r), {
          concurrency: "unbounded"
        })
        expect(results.filter((x) => x.created)).toHaveLength(1)
      })
    )
  })

  describe("updateRun", () => {
    it.effect("replaces a non-terminal run and never changes a terminal one", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const orgId = yield* newOrg
        const pending = run(orgId, { status: "pending", startedAt: null, finishedAt: null })
        yield* store.insertRun(pending)
        const running = { ...pending, status: "running" as const, startedAt: at(1) }
        expect(yield* store.updateRun(running)).toBe(true)
        const passed = {
          ...running,
          status: "pass" as const,
          finishedAt: at(9),
          toolCalls: [toolCall("get_weather")]
        }
        expect(yield* store.updateRun(passed)).toBe(true)
        expect(yield* store.updateRun({ ...passed, status: "fail" })).toBe(false)
        expect(Option.getOrThrow(yield* store.getRun(orgId, pending.id))).toEqual(passed)
      })
    )

    it.effect("does not touch a run of another organization", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const r = run(orgA, { status: "running", finishedAt: null })
        yield* store.insertRun(r)
        expect(yield* store.updateRun({ ...r, orgId: orgB, status: "pass" })).toBe(false)
        expect(Option.getOrThrow(yield* store.getRun(orgA, r.id)).status).toBe("running")
      })
    )
  })

  describe("searchRuns", () => {
    const seed = Effect.gen(function* () {
      const store = yield* RunStore
      const [orgId, otherOrg] = [yield* newOrg, yield* newOrg]
      const workflowId = uid()
      const runs = [
        run(orgId, { workflowId, workflowName: "Weather Oslo", startedAt: at(10), status: "pass" }),
        run(orgId, { workflowId, workflowName: "Weather Oslo", startedAt: at(20), status: "fail" }),
        // Same start time as the previous one: the tie must not make pages skip or repeat.
        run(orgId, {
          workflowName: "Orders",
          startedAt: at(20),
          status: "pass",
          reason: "Nightly DEPLOY check"
        }),
        run(orgId, { workflowName: "Orders", startedAt: at(30), status: "error" }),
        run(orgId, { workflowId, workflowName: "Weather Oslo", startedAt: at(40), status: "pass" }),
        // Not started yet: sorts by its creation time.
        run(orgId, {
          workflowName: "Orders",
          createdAt: at(35),
          startedAt: null,
          finishedAt: null,
          status: "pending"
        })
      ]
      for (const r of runs) yield* store.insertRun(r)
      yield* store.insertRun(run(otherOrg, { workflowId, startedAt: at(25) }))
      return { orgId, workflowId, runs }
    })

    it.effect("pages newest first without duplicates or gaps", () =>
      Effect.gen(function* () {
        const { orgId, runs } = yield* seed
        const items = yield* allPages(orgId, { limit: 2 })
        expect(items.map((i) => i.runId).sort()).toEqual(runs.map((r) => r.id).sort())
        const times = items.map(
          (i) => i.startedAt?.getTime() ?? runs.find((r) => r.id === i.runId)!.createdAt.getTime()
        )
        expect(times).toEqual([...times].sort((a, b) => b - a))
        const single = yield* allPages(orgId, { limit: 1 })
        expect(single.map((i) => i.runId)).toEqual(items.map((i) => i.runId))
      })
    )

    it.effect("filters by workflow, status, time and search text", () =>
      Effect.gen(function* () {
        const { orgId, workflowId, runs } = yield* seed
        const ids = (items: ReadonlyArray<RunSummary>) => items.map((i) => i.runId).sort()
        const expected = (indexes: ReadonlyArray<number>) => indexes.map((i) => runs[i]!.id).sort()
        expect(ids(yield* allPages(orgId, { limit: 10, workflowId }))).toEqual(expected([0, 1, 4]))
        expect(ids(yield* allPages(orgId, { limit: 10, status: "pass" }))).toEqual(expected([0, 2, 4]))
        expect(ids(yield* allPages(orgId, { limit: 10, workflowId, status: "pass" }))).toEqual(
          expected([0, 4])
        )
        // before is exclusive, after inclusive.
        expect(ids(yield* allPages(orgId, { limit: 10, before: at(30) }))).toEqual(expected([0, 1, 2]))
        expect(ids(yield* allPages(orgId, { limit: 10, after: at(30) }))).toEqual(expected([3, 4, 5]))
        expect(ids(yield* allPages(orgId, { limit: 10, after: at(20), before: at(35) }))).toEqual(
          expected([1, 2, 3])
        )
        expect(ids(yield* allPages(orgId, { limit: 10, search: "weather oslo" }))).toEqual(
          expected([0, 1, 4])
        )
        expect(ids(yield* allPages(orgId, { limit: 10, search: "deploy" }))).toEqual(expected([2]))
        expect(ids(yield* allPages(orgId, { limit: 10, search: runs[3]!.id.slice(0, 13) }))).toEqual(
          expected([3])
        )
        const summary = (yield* allPages(orgId, { limit: 10, search: runs[5]!.id }))[0]
        expect(summary).toEqual({
          runId: runs[5]!.id,
          workflowId: runs[5]!.workflowId,
          workflowName: "Orders",
          status: "pending",
          trigger: "manual",
          testerModel: runs[5]!.testerModel,
          startedAt: null,
          finishedAt: null
        })
      })
    )
  })

  describe("findActiveRun", () => {
    it.effect("finds a pending or running run of that workflow and model only", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const [orgId, otherOrg] = [yield* newOrg, yield* newOrg]
        const workflowId = uid()
        yield* store.insertRun(run(orgId, { workflowId, status: "pass" }))
        expect(Option.isNone(yield* store.findActiveRun(orgId, workflowId, "openai:gpt-5-mini"))).toBe(true)
        const active = run(orgId, { workflowId, status: "running", finishedAt: null })
        yield* store.insertRun(active)
        expect(
          Option.getOrThrow(yield* store.findActiveRun(orgId, workflowId, "openai:gpt-5-mini")).runId
        ).toBe(active.id)
        expect(Option.isNone(yield* store.findActiveRun(orgId, workflowId, "openai:other"))).toBe(true)
        expect(Option.isNone(yield* store.findActiveRun(otherOrg, workflowId, "openai:gpt-5-mini"))).toBe(
          true
        )
      })
    )
  })

  describe("recentToolCalls", () => {
    it.effect("returns the calls of the N most recent terminal runs of the server only", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const [orgId, otherOrg] = [yield* newOrg, yield* newOrg]
        const mcpServerId = uid()
        const withCall = (startedAt: Date, name: string, overrides = {}) =>
          run(orgId, { mcpServerId, startedAt, toolCalls: [toolCall(name, { startedAt })], ...overrides })
        const oldest = withCall(at(10), "oldest")
        const middle = withCall(at(20), "middle")
        const newest = withCall(at(30), "newest")
        const inFlight = withCall(at(40), "in_flight", { status: "running", finishedAt: null })
        for (const r of [oldest, middle, newest, inFlight]) yield* store.insertRun(r)
        yield* store.insertRun(run(orgId, { startedAt: at(50), toolCalls: [toolCall("other_server")] }))
        yield* store.insertRun(
          run(otherOrg, { mcpServerId, startedAt: at(60), toolCalls: [toolCall("other_org")] })
        )

        const records = yield* store.recentToolCalls(orgId, mcpServerId, 2)
        expect(records.map((r) => r.call.name).sort()).toEqual(["middle", "newest"])
        const record = records.find((r) => r.call.name === "newest")!
        expect(record).toEqual({
          runId: newest.id,
          workflowId: newest.workflowId,
          runStartedAt: at(30),
          call: recentToolCall(newest.toolCalls[0]!)
        })
        expect(record.call).not.toHaveProperty("content")
        expect(yield* store.recentToolCalls(otherOrg, uid(), 50)).toEqual([])
      })
    )

    it.effect(
      "returns each call's fields as getRun does, in order, and coverage is the same as from whole calls",
      () =>
        Effect.gen(function* () {
          const store = yield* RunStore
          const orgId = yield* newOrg
          const mcpServerId = uid()
          const result = { content: [{ type: "text", text: "x".repeat(2000) }], structuredContent: { n: 1 } }
          const older = run(orgId, {
            mcpServerId,
            startedAt: at(10),
            toolCalls: [
              toolCall("get_order", {
                arguments: { orderId: "A-1", mode: "fast", tags: ["a", "b"] },
                ...result
              }),
              // Same start as the next call: the order decides which is the last one.
              toolCall("get_order", { arguments: { orderId: "A-2", mode: "slow" }, isError: true }),
              toolCall("get_order", { arguments: { orderId: "A-3" }, isError: true }),
              toolCall("cancel_order", { arguments: { orderId: "A-4" }, refused: true }),
              toolCall("list_products", {
                arguments: null,
                error: 'timed out "after" 60 s\n\t',
                ...result
              })
            ]
          })
          const newer = run(orgId, {
            mcpServerId,
            startedAt: at(20),
            toolCalls: [
              toolCall("søk_ordre", {
                arguments: {
                  query: 'mug ☕ \u00e9 "tea" \\',
                  maxPriceEur: 1e21,
                  exact: 12.5,
                  nested: { b: [1, { c: null }], a: -3 }
                },
                ...result
              }),
              toolCall("get_order", { arguments: "not an object" }),
              toolCall("get_order", { arguments: [1, 2], phase: "teardown", step: 0 }),
              toolCall("list_products", { arguments: { mode: ["fast"] }, startedAt: at(21) })
            ]
          })
          for (const r of [older, newer]) yield* store.insertRun(r)

          const records = yield* store.recentToolCalls(orgId, mcpServerId, 50)
          const whole: Array<ToolCallRecord> = []
          for (const r of [newer, older]) {
            const stored: Run = Option.getOrThrow(yield* store.getRun(orgId, r.id))
            for (const call of stored.toolCalls) {
              whole.push({ runId: r.id, workflowId: r.workflowId, runStartedAt: r.startedAt, call })
            }
          }
          expect(records).toEqual(whole.map((w) => ({ ...w, call: recentToolCall(w.call) })))

          const mode = { type: "string", enum: ["fast", "slow", "eco"] }
          const tools = ["get_order", "cancel_order", "list_products", "søk_ordre"].map((name) => ({
            name,
            inputSchema: {
              type: "object",
              properties: {
                orderId: { type: "string" },
                mode,
                tags: { type: "array" },
                query: { type: "string" }
              }
            }
          }))
          const coverage = (calls: ReadonlyArray<ToolCallRecord>) =>
            Coverage.compute({ tools, workflows: [], calls, monitors: [] })
          expect(coverage(records)).toEqual(coverage(whole))
        })
    )
  })

  describe("passCounts", () => {
    it.effect("counts terminal runs per workflow since the given time, error apart", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const [orgId, otherOrg] = [yield* newOrg, yield* newOrg]
        const [wA, wB] = [uid(), uid()]
        const statuses = ["pass", "pass", "partial", "fail", "error"] as const
        for (const [i, status] of statuses.entries()) {
          yield* store.insertRun(
            run(orgId, { workflowId: wA, status, startedAt: at(100 + i), finishedAt: at(105 + i) })
          )
        }
        yield* store.insertRun(
          run(orgId, { workflowId: wA, status: "fail", startedAt: at(10), finishedAt: at(20) })
        )
        yield* store.insertRun(
          run(orgId, { workflowId: wA, status: "running", startedAt: at(200), finishedAt: null })
        )
        yield* store.insertRun(
          run(orgId, { workflowId: wB, status: "pass", startedAt: at(150), finishedAt: at(160) })
        )
        yield* store.insertRun(run(otherOrg, { workflowId: wA, status: "pass", startedAt: at(150) }))

        const counts = yield* store.passCounts(orgId, at(50))
        const a = counts.find((c) => c.workflowId === wA)
        expect(a).toEqual({
          workflowId: wA,
          pass: 2,
          partial: 1,
          fail: 1,
          error: 1,
          lastRunAt: at(104),
          lastStatus: "error"
        })
        expect(counts.find((c) => c.workflowId === wB)).toMatchObject({
          pass: 1,
          fail: 0,
          lastStatus: "pass"
        })
        expect(counts).toHaveLength(2)

        // The same runs by UTC day: day 0 is 2026-01-01; a run of day 1 counts there.
        yield* store.insertRun(
          run(orgId, {
            workflowId: wB,
            status: "fail",
            startedAt: at(86_400 + 60),
            finishedAt: at(86_400 + 70)
          })
        )
        const days = yield* store.dailyPassCounts(orgId, at(50))
        expect(days).toEqual([
          { day: at(0), pass: 3, partial: 1, fail: 1, error: 1 },
          { day: at(86_400), pass: 0, partial: 0, fail: 1, error: 0 }
        ])
        expect(yield* store.dailyPassCounts(orgId, at(86_400))).toHaveLength(1)
      })
    )
  })

  describe("listStale and pruneRuns", () => {
    it.effect("listStale returns non-terminal runs started (or created) before the time", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const orgId = yield* newOrg
        const t = era()
        const running = run(orgId, { status: "running", createdAt: t, startedAt: t, finishedAt: null })
        const pending = run(orgId, { status: "pending", createdAt: t, startedAt: null, finishedAt: null })
        const done = run(orgId, { status: "pass", createdAt: t, startedAt: t, finishedAt: t })
        const later = run(orgId, {
          status: "running",
          createdAt: plus(t, 120),
          startedAt: plus(t, 120),
          finishedAt: null
        })
        for (const r of [running, pending, done, later]) yield* store.insertRun(r)
        const stale = (yield* store.listStale(plus(t, 60), 1000)).map((r) => r.id)
        expect(stale).toContain(running.id)
        expect(stale).toContain(pending.id)
        expect(stale).not.toContain(done.id)
        expect(stale).not.toContain(later.id)
      })
    )

    it.effect("pruneRuns deletes terminal runs finished before the time, at most the limit", () =>
      Effect.gen(function* () {
        const store = yield* RunStore
        const orgId = yield* newOrg
        const t = era()
        const old = [1, 2].map(() => run(orgId, { createdAt: t, startedAt: t, finishedAt: t }))
        const recent = run(orgId, { createdAt: t, startedAt: t, finishedAt: plus(t, 120) })
        const running = run(orgId, { status: "running", createdAt: t, startedAt: t, finishedAt: null })
        for (const r of [...old, recent, running]) yield* store.insertRun(r)
        expect(yield* store.pruneRuns(plus(t, 60), 1)).toBe(1)
        expect(yield* store.pruneRuns(plus(t, 60), 1000)).toBeGreaterThanOrEqual(1)
        for (const r of old) expect(Option.isNone(yield* store.getRun(orgId, r.id))).toBe(true)
        expect(Option.isSome(yield* store.getRun(orgId, recent.id))).toBe(true)
        expect(Option.isSome(yield* store.getRun(orgId, running.id))).toBe(true)
      })
    )
  })
}
