import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, TestClock } from "effect"
import * as Alerting from "../src/Alerting.js"
import type { CheckOutcome, Monitor, MonitorCheck } from "../src/domain/Monitor.js"
import type { ValidationFailed } from "../src/Errors.js"
import * as Monitors from "../src/Monitors.js"
import type { AlertSink } from "../src/ports/AlertSink.js"
import { AlertStore } from "../src/ports/AlertStore.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import * as Servers from "../src/Servers.js"
import {
  callerOf,
  connectorLayer,
  fakeServer,
  orgId,
  sinkLayer,
  sinkState,
  type TestServices,
  testLayer
} from "./useCaseSupport.js"

const editor = callerOf("editor")

const run = <A, E>(effect: Effect.Effect<A, E, TestServices<McpConnector | AlertSink>>) =>
  effect.pipe(Effect.provide(testLayer(Layer.merge(connectorLayer(fakeServer()), sinkLayer(sinkState())))))

const failureOf = <A>(exit: Exit.Exit<A, unknown>): any => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail")
    throw new Error(`expected a failure, got ${JSON.stringify(exit)}`)
  return exit.cause.error
}
const fieldErrors = <A>(exit: Exit.Exit<A, unknown>) => {
  const error = failureOf(exit) as ValidationFailed
  expect(error._tag).toBe("ValidationFailed")
  return error.fieldErrors
}

const registered = Effect.map(
  Servers.register(editor, { name: "Weather", baseUrl: "https://weather.example.com/mcp" }),
  (r) => r.server
)

const weatherMonitor = (serverId: string, extra: object = {}) => ({
  name: "weather",
  mcpServerId: serverId,
  toolName: "get_weather",
  arguments: { city: "Oslo", units: "metric" },
  ...extra
})

describe("Monitors.create", () => {
  it.effect(
    "a tool annotated destructiveHint is refused unless the monitor says allowDestructive (every step)",
    () =>
      run(
        Effect.gen(function* () {
          const server = yield* registered
          const create = { toolName: "create_order", arguments: { sku: "A-1" } }
          const refused = yield* Effect.exit(Monitors.create(editor, weatherMonitor(server.id, create)))
          expect(fieldErrors(refused)).toEqual([
            { field: "toolName", message: expect.stringContaining("allowDestructive: true") }
          ])
          const later = yield* Effect.exit(
            Monitors.create(editor, weatherMonitor(server.id, { name: "two steps", nextSteps: [create] }))
          )
          expect(fieldErrors(later).map((f) => f.field)).toEqual(["nextSteps[0].toolName"])
          expect((yield* Monitors.list(editor)).items).toEqual([])
          const allowed = yield* Monitors.create(
            editor,
            weatherMonitor(server.id, { ...create, allowDestructive: true })
          )
          expect(allowed.allowDestructive).toBe(true)
          // Taking the permission back is an edit like any other, checked like a create.
          const back = yield* Effect.exit(Monitors.update(editor, allowed.id, { allowDestructive: false }))
          expect(fieldErrors(back).map((f) => f.field)).toEqual(["toolName"])
        })
      )
  )

  it.effect("stores the monitor with SPEC defaults, due now, with the server's default profile", () =>
    run(
      Effect.gen(function* () {
        yield* TestClock.setTime(1_700_000_000_000)
        const server = yield* registered
        const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
        expect(monitor).toMatchObject({
          intervalSeconds: 300,
          timeoutMs: 30_000,
          retries: 1,
          state: "active",
          muted: false,
          degradedAboveMs: null,
          lastOutcome: null
        })
        expect(monitor.nextCheckAt.getTime()).toBe(1_700_000_000_000)
        expect(monitor.authProfileId).not.toBeNull()
      })
    )
  )

  it.effect("validates arguments against the tool's input schema, field by field", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const exit = yield* Effect.exit(
          Monitors.create(editor, weatherMonitor(server.id, { arguments: { days: 0, units: "kelvin" } }))
        )
        const errors = fieldErrors(exit)
        expect(errors).toContainEqual({ field: "arguments.city", message: "is required" })
        expect(errors.map((e) => e.field).sort()).toEqual([
          "arguments.city",
          "arguments.days",
          "arguments.units"
        ])
      })
    )
  )

  it.effect("the server, profile and tool must exist", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const noServer = yield* Effect.exit(Monitors.create(editor, weatherMonitor("nope")))
        expect(fieldErrors(noServer).map((e) => e.field)).toEqual(["mcpServerId"])
        const bad = yield* Effect.exit(
          Monitors.create(
            editor,
            weatherMonitor(server.id, { toolName: "get_wether", authProfileId: "nope" })
          )
        )
        expect(
          fieldErrors(bad)
            .map((e) => e.field)
            .sort()
        ).toEqual(["authProfileId", "toolName"])
      })
    )
  )

  it.effect("multi-step: tools must exist and templates must reference earlier steps", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const ok = yield* Monitors.create(
          editor,
          weatherMonitor(server.id, {
            nextSteps: [{ toolName: "get_order", arguments: { id: "{{steps.0.structuredContent.id}}" } }]
          })
        )
        expect(ok.nextSteps).toHaveLength(1)
        const bad = yield* Effect.exit(
          Monitors.create(
            editor,
            weatherMonitor(server.id, {
              name: "weather 2",
              arguments: { city: "{{steps.0.x}}", units: "metric" },
              nextSteps: [
                { toolName: "get_order", arguments: { id: "{{steps.1.structuredContent.id}}" } },
                { toolName: "nope" },
                // A template skips schema validation of its value, not of the other fields.
                { toolName: "get_order", arguments: { id: "{{steps.1.id}}", expand: "yes" } }
              ]
            })
          )
        )
        expect(
          fieldErrors(bad)
            .map((e) => e.field)
            .sort()
        ).toEqual([
          "arguments.city",
          "nextSteps[0].arguments.id",
          "nextSteps[1].toolName",
          "nextSteps[2].arguments.expand"
        ])
      })
    )
  )

  it.effect("credentials in arguments are refused", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const exit = yield* Effect.exit(
          Monitors.create(
            editor,
            weatherMonitor(server.id, {
              arguments: {
                city: "amt_abcdefghijkl_abcdefghijklmnopqrstuvwxyz0123456789ABCD",
                units: "metric"
              }
            })
          )
        )
        expect(failureOf(exit)._tag).toBe("SecretInArguments")
      })
    )
  )

  it.effect("viewers cannot create monitors", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const exit = yield* Effect.exit(Monitors.create(callerOf("viewer"), weatherMonitor(server.id)))
        expect(failureOf(exit)._tag).toBe("ForbiddenRole")
      })
    )
  )
})

describe("Monitors.update and state", () => {
  it.effect("update validates the merged spec; pause, mute and remove", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
        const updated = yield* Monitors.update(editor, monitor.id, {
          intervalSeconds: 60,
          degradedAboveMs: 500
        })
        expect(updated).toMatchObject({ intervalSeconds: 60, degradedAboveMs: 500, toolName: "get_weather" })
        const bad = yield* Effect.exit(Monitors.update(editor, monitor.id, { arguments: { city: 1 } }))
        expect(
          fieldErrors(bad)
            .map((e) => e.field)
            .sort()
        ).toEqual(["arguments.city", "arguments.units"])
        expect((yield* Monitors.setState(editor, monitor.id, "paused")).state).toBe("paused")
        expect((yield* Monitors.setMuted(editor, monitor.id, true)).muted).toBe(true)
        expect((yield* Monitors.list(callerOf("viewer"), { mcpServerId: server.id })).items).toHaveLength(1)
        yield* Monitors.remove(editor, monitor.id)
        expect((yield* Monitors.get(editor, monitor.id)).state).toBe("archived")
      })
    )
  )
})

describe("Monitors.remove", () => {
  it.effect(
    "archives: checks stay readable, lists leave it out, writes are not found, its rules go, its name is free",
    () =>
      run(
        Effect.gen(function* () {
          const server = yield* registered
          const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
          const other = yield* Monitors.create(editor, weatherMonitor(server.id, { name: "other" }))
          const onIt = yield* Alerting.createRule(editor, {
            name: "Weather",
            target: { type: "monitor", id: monitor.id },
            destination: { type: "slack", channel: "C123" }
          })
          const onOther = yield* Alerting.createRule(editor, {
            name: "Other",
            target: { type: "monitor", id: other.id },
            destination: { type: "slack", channel: "C123" }
          })
          yield* Monitors.recordCheck(checkOf(monitor, 1, "fail", 1000))
          const viewer = callerOf("viewer")
          expect(failureOf(yield* Effect.exit(Monitors.remove(viewer, monitor.id)))._tag).toBe(
            "ForbiddenRole"
          )

          yield* Monitors.remove(editor, monitor.id)
          const archived = yield* Monitors.get(viewer, monitor.id)
          expect(archived).toMatchObject({ id: monitor.id, name: "weather", state: "archived" })
          expect((yield* Monitors.checks(viewer, monitor.id)).map((c) => c.outcome)).toEqual(["fail"])
          expect((yield* Monitors.stats(viewer, monitor.id)).find((w) => w.window === "7d")?.checks).toBe(1)
          const ids = (page: { readonly items: ReadonlyArray<Monitor> }) => page.items.map((m) => m.id)
          expect(ids(yield* Monitors.list(viewer))).toEqual([other.id])
          expect(ids(yield* Monitors.list(viewer, { state: "archived" }))).toEqual([monitor.id])
          expect(ids(yield* Monitors.list(viewer, { state: "active" }))).toEqual([other.id])
          expect((yield* Alerting.listRules(viewer)).map((r) => r.id)).toEqual([onOther.id])
          expect(onIt.id).not.toBe(onOther.id)

          const writes: ReadonlyArray<Effect.Effect<unknown, unknown, any>> = [
            Monitors.update(editor, monitor.id, { intervalSeconds: 60 }),
            Monitors.setState(editor, monitor.id, "paused"),
            Monitors.setState(editor, monitor.id, "active"),
            Monitors.setMuted(editor, monitor.id, true),
            Monitors.remove(editor, monitor.id)
          ]
          for (const write of writes) {
            const error = failureOf(yield* Effect.exit(write))
            expect([error._tag, error.entity]).toEqual(["NotFound", "monitor"])
            expect(error.message).toContain("archived (deleted)")
          }
          expect((yield* Monitors.get(viewer, monitor.id)).updatedAt).toEqual(archived.updatedAt)
          const ruleOnArchived = yield* Effect.exit(
            Alerting.createRule(editor, {
              name: "Late",
              target: { type: "monitor", id: monitor.id },
              destination: { type: "slack", channel: "C123" }
            })
          )
          expect(fieldErrors(ruleOnArchived)).toEqual([
            { field: "target.id", message: expect.stringContaining("archived") }
          ])

          // A check under way when it was deleted is kept and alerts nobody.
          expect(yield* Monitors.recordCheck(checkOf(monitor, 2, "error", 2000))).toEqual({
            recorded: true,
            alerts: 0
          })
          expect((yield* Monitors.get(viewer, monitor.id)).state).toBe("archived")

          const reborn = yield* Monitors.create(editor, weatherMonitor(server.id))
          expect(reborn.id).not.toBe(monitor.id)
          expect(ids(yield* Monitors.list(viewer))).toEqual([other.id, reborn.id])
        })
      )
  )
})

describe("Monitors.outcomeOf", () => {
  const monitor = { timeoutMs: 1000, degradedAboveMs: 200 }
  const table: ReadonlyArray<[string, Monitors.CheckObservation, CheckOutcome]> = [
    ["fast result", { isError: false, latencyMs: 50, timedOut: false, transportError: false }, "pass"],
    [
      "exactly at the degraded threshold",
      { isError: false, latencyMs: 200, timedOut: false, transportError: false },
      "pass"
    ],
    ["slow result", { isError: false, latencyMs: 201, timedOut: false, transportError: false }, "degraded"],
    ["isError result", { isError: true, latencyMs: 50, timedOut: false, transportError: false }, "fail"],
    [
      "slow isError result",
      { isError: true, latencyMs: 500, timedOut: false, transportError: false },
      "fail"
    ],
    ["timeout", { isError: false, latencyMs: 1000, timedOut: true, transportError: false }, "error"],
    [
      "over the timeout",
      { isError: false, latencyMs: 1001, timedOut: false, transportError: false },
      "error"
    ],
    ["transport failure", { isError: false, latencyMs: 5, timedOut: false, transportError: true }, "error"]
  ]
  for (const [name, observation, expected] of table) {
    it(`${name} → ${expected}`, () => expect(Monitors.outcomeOf(observation, monitor)).toBe(expected))
  }
  it("without degradedAboveMs a slow answer within the timeout passes", () =>
    expect(
      Monitors.outcomeOf(
        { isError: false, latencyMs: 900, timedOut: false, transportError: false },
        { timeoutMs: 1000, degradedAboveMs: null }
      )
    ).toBe("pass"))
})

describe("Monitors.percentiles", () => {
  it("uses the nearest-rank method", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(Monitors.percentiles(values)).toEqual({ p50: 50, p95: 95, p99: 99 })
    expect(Monitors.percentiles([7])).toEqual({ p50: 7, p95: 7, p99: 7 })
    expect(Monitors.percentiles([1, 2, 3, 4])).toEqual({ p50: 2, p95: 4, p99: 4 })
    expect(Monitors.percentiles([])).toEqual({ p50: null, p95: null, p99: null })
  })
})

const checkOf = (
  monitor: Monitor,
  n: number,
  outcome: CheckOutcome,
  at: number,
  latencyMs = 100
): MonitorCheck => ({
  id: `check-${n}`,
  orgId: monitor.orgId,
  monitorId: monitor.id,
  scheduledAt: new Date(at),
  startedAt: new Date(at),
  outcome,
  latencyMs,
  error: outcome === "error" ? "connect ECONNREFUSED" : null,
  resultExcerpt: null,
  attempts: 1
})

describe("Monitors.stats", () => {
  it.effect("success rate and latency percentiles per window", () =>
    run(
      Effect.gen(function* () {
        yield* TestClock.setTime(10 * 86_400_000)
        const server = yield* registered
        const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
        const now = 10 * 86_400_000
        yield* Monitors.recordCheck(checkOf(monitor, 1, "pass", now - 2 * 86_400_000, 300)) // 7d only
        yield* Monitors.recordCheck(checkOf(monitor, 2, "fail", now - 2 * 3_600_000, 200)) // 24h
        yield* Monitors.recordCheck(checkOf(monitor, 3, "degraded", now - 60_000, 900)) // 1h
        yield* Monitors.recordCheck(checkOf(monitor, 4, "error", now - 30_000, 30_000)) // 1h
        const stats = yield* Monitors.stats(callerOf("viewer"), monitor.id)
        expect(stats).toEqual([
          { window: "1h", checks: 2, successRate: 0.5, p50: 900, p95: 900, p99: 900 },
          { window: "24h", checks: 3, successRate: 1 / 3, p50: 200, p95: 900, p99: 900 },
          { window: "7d", checks: 4, successRate: 0.5, p50: 300, p95: 900, p99: 900 }
        ])
        const history = yield* Monitors.checks(callerOf("viewer"), monitor.id, { limit: 2 })
        expect(history.map((c) => c.id)).toEqual(["check-4", "check-3"])
        const recent = yield* Monitors.recentChecks(callerOf("viewer"), [monitor.id, "other"], 3)
        expect(recent.get(monitor.id)?.map((c) => c.outcome)).toEqual(["error", "degraded", "fail"])
        expect(recent.has("other")).toBe(false)
      })
    )
  )
})

describe("Monitors.series", () => {
  it.effect("latency p50/p95 and failures per bucket, oldest first, outside the window left out", () =>
    run(
      Effect.gen(function* () {
        const now = 10 * 86_400_000
        yield* TestClock.setTime(now)
        const server = yield* registered
        const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
        yield* Monitors.recordCheck(checkOf(monitor, 1, "pass", now - 2 * 3_600_000, 100)) // before the hour
        yield* Monitors.recordCheck(checkOf(monitor, 2, "pass", now - 50 * 60_000, 100)) // bucket 0
        yield* Monitors.recordCheck(checkOf(monitor, 3, "pass", now - 45 * 60_000, 300)) // bucket 0
        yield* Monitors.recordCheck(checkOf(monitor, 4, "error", now - 10 * 60_000, 30_000)) // bucket 2
        yield* Monitors.recordCheck(checkOf(monitor, 5, "fail", now - 60_000, 50)) // bucket 2
        const series = yield* Monitors.series(callerOf("viewer"), monitor.id, "1h", 3)
        expect(series).toEqual([
          { start: new Date(now - 3_600_000), checks: 2, failed: 0, p50: 100, p95: 300 },
          { start: new Date(now - 2_400_000), checks: 0, failed: 0, p50: null, p95: null },
          // The error's latency is a timeout, not the tool's speed: only the failed check counts.
          { start: new Date(now - 1_200_000), checks: 2, failed: 2, p50: 50, p95: 50 }
        ])
        // A page's report: the same stats and series, and the newest checks, in one set of reads.
        const report = yield* Monitors.report(callerOf("viewer"), monitor.id, "1h", { buckets: 3, checks: 2 })
        expect(report.monitor.id).toBe(monitor.id)
        expect(report.series).toEqual(series)
        expect(report.stats).toEqual(yield* Monitors.stats(callerOf("viewer"), monitor.id))
        expect(report.checks.map((c) => c.id)).toEqual(["check-5", "check-4"])
        const week = yield* Monitors.series(callerOf("viewer"), monitor.id, "7d", 7)
        expect(week.reduce((n, b) => n + b.checks, 0)).toBe(5)
        expect((yield* Effect.flip(Monitors.series(callerOf("viewer"), "nope", "24h")))._tag).toBe("NotFound")
      })
    )
  )
})

describe("Monitors.suggestions", () => {
  it.effect("proposes read-only, non-destructive, unmonitored tools with generated arguments", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const before = yield* Monitors.suggestions(editor, server.id)
        expect(before.map((s) => [s.toolName, s.arguments])).toEqual([
          ["get_order", { id: "test" }],
          ["get_weather", { city: "test", units: "metric" }]
        ])
        // Each suggestion can be created as is.
        const { reason: _, ...spec } = before[1]!
        yield* Monitors.create(editor, spec)
        const after = yield* Monitors.suggestions(editor, server.id)
        expect(after.map((s) => s.toolName)).toEqual(["get_order"])
      })
    )
  )

  it("generates nested objects, enums, numbers and booleans", () => {
    const args = Monitors.exampleObject({
      type: "object",
      required: ["filter", "limit", "flag", "kind", "when"],
      properties: {
        filter: {
          type: "object",
          required: ["from"],
          properties: { from: { type: "integer", minimum: 5 }, to: { type: "integer" } }
        },
        limit: { type: "number", default: 10 },
        flag: { type: "boolean" },
        kind: { type: "string", enum: ["a", "b"] },
        when: { type: "string", examples: ["2024-05-01"] },
        optional: { type: "string" }
      }
    })
    expect(args).toEqual({ filter: { from: 5 }, limit: 10, flag: false, kind: "a", when: "2024-05-01" })
  })
})

describe("Monitors.recordCheck", () => {
  it.effect("stores the check and last outcome, alerts on transitions, ignores duplicates", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
        yield* Alerting.createRule(editor, {
          name: "Weather",
          target: { type: "monitor", id: monitor.id },
          destination: { type: "slack", channel: "C123" }
        })
        expect(yield* Monitors.recordCheck(checkOf(monitor, 1, "pass", 1000))).toEqual({
          recorded: true,
          alerts: 0
        })
        expect(yield* Monitors.recordCheck(checkOf(monitor, 2, "fail", 2000))).toEqual({
          recorded: true,
          alerts: 1
        })
        expect(yield* Monitors.recordCheck(checkOf(monitor, 3, "fail", 3000))).toEqual({
          recorded: true,
          alerts: 0
        })
        expect(yield* Monitors.recordCheck(checkOf(monitor, 3, "fail", 3000))).toEqual({
          recorded: false,
          alerts: 0
        })
        const stored = yield* Monitors.get(editor, monitor.id)
        expect(stored.lastOutcome).toBe("fail")
        expect(stored.lastCheckedAt?.getTime()).toBe(3000)
      })
    )
  )

  it.effect("muted monitors record checks but alert nobody", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const monitor = yield* Monitors.create(editor, weatherMonitor(server.id, { muted: true }))
        yield* Alerting.createRule(editor, {
          name: "Weather",
          target: { type: "monitor", id: monitor.id },
          destination: { type: "slack", channel: "C123" }
        })
        yield* Monitors.recordCheck(checkOf(monitor, 1, "fail", 1000))
        yield* Monitors.recordCheck(checkOf(monitor, 2, "error", 2000))
        expect(yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))).toHaveLength(0)
        expect((yield* Monitors.checks(editor, monitor.id)).length).toBe(2)
      })
    )
  )
  it.effect(
    "muted for 60 minutes: checks are recorded and alert nobody; after the mute they alert again",
    () =>
      run(
        Effect.gen(function* () {
          const t0 = Date.parse("2026-03-01T12:00:00Z")
          const minute = 60_000
          yield* TestClock.setTime(t0)
          const server = yield* registered
          const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
          yield* Alerting.createRule(editor, {
            name: "Weather",
            target: { type: "monitor", id: monitor.id },
            destination: { type: "slack", channel: "C123" }
          })
          const muted = yield* Monitors.muteFor(editor, monitor.id, 60)
          expect(muted.mutedUntil).toEqual(new Date(t0 + 60 * minute))
          expect(muted.muted).toBe(false)
          expect((yield* Monitors.get(editor, monitor.id)).mutedUntil).toEqual(new Date(t0 + 60 * minute))

          const outbox = Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))
          yield* TestClock.setTime(t0 + 30 * minute)
          expect(yield* Monitors.recordCheck(checkOf(monitor, 1, "fail", t0 + 30 * minute))).toEqual({
            recorded: true,
            alerts: 0
          })
          expect(yield* outbox).toHaveLength(0)
          expect((yield* Monitors.get(editor, monitor.id)).lastOutcome).toBe("fail")

          // The mute ended by itself: nothing cleared it, and the next failing check alerts.
          yield* TestClock.setTime(t0 + 61 * minute)
          expect(yield* Monitors.recordCheck(checkOf(monitor, 2, "fail", t0 + 61 * minute))).toEqual({
            recorded: true,
            alerts: 1
          })
          expect((yield* outbox).map((m) => m.message.kind)).toEqual(["firing"])
          expect((yield* Monitors.checks(editor, monitor.id)).length).toBe(2)
        })
      )
  )

  it.effect("unmuting ends a mute for a while; muting again moves its end", () =>
    run(
      Effect.gen(function* () {
        yield* TestClock.setTime(1_000_000)
        const server = yield* registered
        const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
        expect((yield* Monitors.muteFor(editor, monitor.id, 60)).mutedUntil).toEqual(
          new Date(1_000_000 + 3_600_000)
        )
        expect((yield* Monitors.muteFor(editor, monitor.id, 5)).mutedUntil).toEqual(
          new Date(1_000_000 + 300_000)
        )
        // Muting until unmuted keeps the end; unmuting clears both.
        expect((yield* Monitors.setMuted(editor, monitor.id, true)).mutedUntil).toEqual(
          new Date(1_000_000 + 300_000)
        )
        const unmuted = yield* Monitors.setMuted(editor, monitor.id, false)
        expect([unmuted.muted, unmuted.mutedUntil]).toEqual([false, null])
        expect((yield* Monitors.get(editor, monitor.id)).mutedUntil).toBeNull()
      })
    )
  )

  it.effect("muteFor needs an editor and 1 to 10080 whole minutes, and writes nothing otherwise", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const monitor = yield* Monitors.create(editor, weatherMonitor(server.id))
        const viewer = yield* Effect.exit(Monitors.muteFor(callerOf("viewer"), monitor.id, 60))
        expect(failureOf(viewer)._tag).toBe("ForbiddenRole")
        for (const minutes of [0, -5, 99_999, 1.5, Number.NaN]) {
          const refused = yield* Effect.exit(Monitors.muteFor(editor, monitor.id, minutes))
          expect(fieldErrors(refused)).toEqual([
            { field: "minutes", message: expect.stringContaining("10080") }
          ])
        }
        expect(yield* Monitors.get(editor, monitor.id)).toEqual(monitor)
        const missing = failureOf(yield* Effect.exit(Monitors.muteFor(editor, "no-such-monitor", 60)))
        expect([missing._tag, missing.entity]).toEqual(["NotFound", "monitor"])
        expect((yield* Monitors.muteFor(editor, monitor.id, 10_080)).mutedUntil).not.toBeNull()
      })
    )
  )
})
