import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema, TestClock } from "effect"
import type { Tool } from "../src/domain/Catalog.js"
import { Monitor } from "../src/domain/Monitor.js"
import type { Workflow } from "../src/domain/Workflow.js"
import { unresolvedDrift } from "../src/internal/catalogHistory.js"
import * as OrganizationHealth from "../src/OrganizationHealth.js"
import { MonitorStore } from "../src/ports/MonitorStore.js"
import * as Workflows from "../src/Workflows.js"
import { ago, call, catalogVersion, day, insertCatalogs, insertRuns, now, recorded } from "./runFixtures.js"
import {
  bareServerId,
  callerOf,
  editor,
  type FixtureServices,
  orgId,
  otherOrgId,
  seed,
  serverId,
  specInput,
  testLayer,
  tools,
  viewer
} from "./workflowFixtures.js"

const run = <A, E>(effect: Effect.Effect<A, E, FixtureServices>) =>
  Effect.zipRight(Effect.zipRight(TestClock.setTime(now.getTime()), seed), effect).pipe(
    Effect.provide(testLayer())
  )

const hour = 3_600_000
const create = (name: string) =>
  Effect.map(Workflows.create(editor, specInput({ name, schedule: null })), (s) => s.workflow)

const monitor = (id: string, fields: Record<string, unknown>) =>
  Schema.decodeUnknownSync(Monitor)({
    id,
    orgId,
    name: `Monitor ${id}`,
    mcpServerId: serverId,
    toolName: "get_order",
    arguments: { id: "42" },
    nextCheckAt: now.toISOString(),
    lastOutcome: null,
    lastCheckedAt: null,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    ...fields
  })
const checked = (lastOutcome: string) => ({ lastOutcome, lastCheckedAt: ago(60_000).toISOString() })

/** Four workflows with runs over the last days, seven monitors, a breaking drift on the orders server. */
const scene = Effect.gen(function* () {
  const a = yield* create("Order lookup")
  const b = yield* create("Order listing")
  const c = yield* create("Idle")
  const d = yield* create("Flaky")
  const r = (w: Workflow, id: string, at: Date, status: "pass" | "fail" | "partial" | "error" | "running") =>
    recorded(w, id, at, { status, ...(status === "running" && { finishedAt: null }) })
  yield* insertRuns(
    recorded(a, "a1", ago(day), { toolCalls: [call("tc-1", "list_orders")] }),
    r(a, "a2", ago(2 * day), "fail"),
    r(a, "a3", ago(3 * day), "error"),
    r(a, "a4", ago(12 * hour), "pass"),
    r(a, "a-old", ago(9 * day), "fail"),
    r(a, "a-live", ago(600_000), "running"),
    r(b, "b1", ago(3 * day), "pass"),
    r(b, "b2", ago(day), "error"),
    r(d, "d1", ago(hour), "partial")
  )
  const monitors = yield* MonitorStore
  for (const m of [
    monitor("m-ok", checked("pass")),
    monitor("m-slow", checked("degraded")),
    monitor("m-fail", checked("fail")),
    monitor("m-err", checked("error")),
    monitor("m-new", {}),
    monitor("m-paused", { state: "paused", ...checked("fail") }),
    monitor("m-muted", { muted: true, ...checked("fail") })
  ]) {
    yield* monitors.insertMonitor(m)
  }
  // Seed's v1 lists get_order, list_orders, create_order, reset_fixtures; v2 drops create_order.
  yield* insertCatalogs(
    catalogVersion(
      2,
      tools.filter((t) => t.name !== "create_order"),
      ago(2 * day)
    )
  )
  return { a, b, c, d }
})

describe("pass rates over 7 days by the Clock, error runs excluded", () => {
  it.effect("pass / (pass + partial + fail) per workflow; null without graded runs; older runs ignored", () =>
    run(
      Effect.gen(function* () {
        const { a, b, c, d } = yield* scene
        const health = yield* OrganizationHealth.get(viewer)
        expect(health).toMatchObject({ generatedAt: now, since: ago(7 * day), windowDays: 7 })
        const byId = new Map(health.workflows.map((w) => [w.workflowId, w]))
        expect(byId.get(a.id)).toMatchObject({ pass: 2, fail: 1, partial: 0, error: 1, lastStatus: "pass" })
        expect(byId.get(a.id)!.passRate).toBeCloseTo(2 / 3)
        expect(byId.get(b.id)).toMatchObject({ pass: 1, error: 1, passRate: 1, lastStatus: "error" })
        expect(byId.get(c.id)).toMatchObject({ passRate: null, lastStatus: null, lastRunAt: null })
        expect(byId.get(d.id)).toMatchObject({ passRate: 0, lastStatus: "partial" })
        // 3 passes of 5 graded runs across workflows.
        expect(health.passRate).toBeCloseTo(3 / 5)
        expect(() => Schema.encodeSync(OrganizationHealth.OrganizationHealth)(health)).not.toThrow()
      })
    )
  )
})

describe("failing workflows: the latest terminal run is fail, partial or error", () => {
  it.effect("lists them with the run to diagnose; a workflow whose latest run passed is not failing", () =>
    run(
      Effect.gen(function* () {
        const { b, d } = yield* scene
        const health = yield* OrganizationHealth.get(viewer)
        expect(health.failingWorkflows).toEqual([
          {
            workflowId: d.id,
            name: "Flaky",
            state: "active",
            lastStatus: "partial",
            lastRunAt: ago(hour),
            lastRunId: "d1"
          },
          {
            workflowId: b.id,
            name: "Order listing",
            state: "active",
            lastStatus: "error",
            lastRunAt: ago(day),
            lastRunId: "b2"
          }
        ])
      })
    )
  )
})

describe("monitors by state, from the latest check", () => {
  it.effect("paused and muted first, then by last outcome; never checked is pending", () =>
    run(
      Effect.gen(function* () {
        yield* scene
        const { monitors } = yield* OrganizationHealth.get(viewer)
        expect(monitors.counts).toEqual({
          total: 7,
          healthy: 1,
          degraded: 1,
          failing: 1,
          erroring: 1,
          pending: 1,
          paused: 1,
          muted: 1
        })
        expect(monitors.attention.map((m) => [m.monitorId, m.state])).toEqual([
          ["m-err", "erroring"],
          ["m-fail", "failing"],
          ["m-slow", "degraded"]
        ])
      })
    )
  )
})

describe("servers with drift and coverage per server", () => {
  it.effect("an unresolved breaking drift is listed; coverage comes from Coverage.compute", () =>
    run(
      Effect.gen(function* () {
        yield* scene
        const health = yield* OrganizationHealth.get(viewer)
        expect(health.serversWithDrift).toEqual([
          {
            mcpServerId: serverId,
            name: "Orders",
            baselineVersion: 1,
            sinceVersion: 2,
            latestVersion: 2,
            detectedAt: ago(2 * day),
            changes: [{ tool: "create_order", classification: "breaking", details: ["tool removed"] }]
          }
        ])
        // get_order by the tool policy, list_orders by a successful call; reset_fixtures uncovered.
        expect(health.coverage).toEqual([
          {
            mcpServerId: bareServerId,
            name: "Bare",
            state: "active",
            catalogVersion: null,
            percentage: null,
            coveredTools: 0,
            consideredTools: 0,
            uncovered: []
          },
          {
            mcpServerId: serverId,
            name: "Orders",
            state: "active",
            catalogVersion: 2,
            percentage: 66.7,
            coveredTools: 2,
            consideredTools: 3,
            uncovered: ["reset_fixtures"]
          }
        ])
      })
    )
  )
})

describe("unresolved drift: opened by a breaking change, ended by a restore or a fix", () => {
  const tool = (name: string, description?: string): Tool => ({
    name,
    inputSchema: { type: "object" },
    ...(description !== undefined && { description })
  })
  const v = (version: number, names: ReadonlyArray<Tool>, hash = `h${version}`) =>
    catalogVersion(version, names, new Date(version * 1000), hash)
  const base = [tool("a"), tool("b")]
  const newestFirst = (...versions: ReturnType<typeof v>[]) => versions.reverse()

  it("a removed tool opens it against the version before", () => {
    expect(unresolvedDrift(newestFirst(v(1, base), v(2, [tool("a")])))).toMatchObject({
      baselineVersion: 1,
      sinceVersion: 2,
      latestVersion: 2,
      changes: [{ tool: "b", classification: "breaking" }]
    })
  })

  it("a catalog identical to the baseline (restored) ends it", () => {
    expect(unresolvedDrift(newestFirst(v(1, base), v(2, [tool("a")]), v(3, base, "h1")))).toBeNull()
  })

  it("a catalog that no longer breaks against the baseline ends it, even if not identical", () => {
    expect(
      unresolvedDrift(newestFirst(v(1, base), v(2, [tool("a")]), v(3, [tool("a"), tool("b", "new")])))
    ).toBeNull()
  })

  it("non-breaking changes never open one; a further breaking change keeps it open with both", () => {
    expect(unresolvedDrift(newestFirst(v(1, base), v(2, [...base, tool("c")])))).toBeNull()
    expect(
      unresolvedDrift(newestFirst(v(1, base), v(2, [tool("a")]), v(3, [tool("z")])))?.changes.map(
        (c) => c.tool
      )
    ).toEqual(["a", "b"])
  })
})

describe("who may read health", () => {
  it.effect("a viewer may; a caller of another organization sees none of this organization's records", () =>
    run(
      Effect.gen(function* () {
        yield* scene
        const other = yield* OrganizationHealth.get(callerOf("viewer", otherOrgId))
        expect(other).toMatchObject({
          passRate: null,
          workflows: [],
          failingWorkflows: [],
          serversWithDrift: [],
          coverage: []
        })
        expect(other.monitors.counts.total).toBe(0)
      })
    )
  )

  it.effect("a role outside the table is refused (forbidden_role)", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(OrganizationHealth.get(callerOf("guest" as never)))
        expect(error.code).toBe("forbidden_role")
      })
    )
  )
})
