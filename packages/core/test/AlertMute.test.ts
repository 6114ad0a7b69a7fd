import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, TestClock } from "effect"
import * as Alerting from "../src/Alerting.js"
import type { CheckOutcome, Monitor } from "../src/domain/Monitor.js"
import type { ValidationFailed } from "../src/Errors.js"
import * as Monitors from "../src/Monitors.js"
import * as OrganizationHealth from "../src/OrganizationHealth.js"
import type { AlertSink } from "../src/ports/AlertSink.js"
import { AlertStore } from "../src/ports/AlertStore.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import * as Servers from "../src/Servers.js"
import { Fixtures } from "../src/testing/index.js"
import {
  callerOf,
  connectorLayer,
  fakeServer,
  orgId,
  type SinkState,
  sinkLayer,
  sinkState,
  type TestServices,
  testLayer
} from "./useCaseSupport.js"

const editor = callerOf("editor")
const t0 = Date.parse("2026-03-01T12:00:00Z")

const run = <A, E>(
  effect: Effect.Effect<A, E, TestServices<McpConnector | AlertSink>>,
  sink: SinkState = sinkState()
) => effect.pipe(Effect.provide(testLayer(Layer.merge(connectorLayer(fakeServer()), sinkLayer(sink)))))

/** Server "Shop" with three 10-second monitors, the TestClock at t0. */
const setup = Effect.gen(function* () {
  yield* TestClock.setTime(t0)
  const { server } = yield* Servers.register(editor, {
    name: "Shop",
    baseUrl: "https://shop.example.com/mcp"
  })
  const monitor = (name: string, toolName: string, args: object) =>
    Monitors.create(editor, { name, mcpServerId: server.id, toolName, arguments: args, intervalSeconds: 10 })
  const weather = yield* monitor("weather", "get_weather", { city: "Oslo", units: "metric" })
  const order = yield* monitor("order", "get_order", { id: "1" })
  const lookup = yield* monitor("lookup", "get_order", { id: "2" })
  return { server, weather, order, lookup }
})

let checks = 0
/** Records a check of `monitor` started now (the TestClock's time). */
const check = (monitor: Monitor, outcome: CheckOutcome) =>
  Effect.gen(function* () {
    const at = new Date(yield* TestClock.currentTimeMillis)
    checks++
    return yield* Monitors.recordCheck({
      id: `mute-check-${checks}`,
      orgId,
      monitorId: monitor.id,
      scheduledAt: at,
      startedAt: at,
      outcome,
      latencyMs: 100,
      error: outcome === "error" ? "connect ECONNREFUSED" : null,
      resultExcerpt: null,
      attempts: 1
    })
  })

const minutes = (n: number) => TestClock.adjust(Duration.minutes(n))

/** The kinds of the messages enqueued so far, oldest first. */
const enqueued = Effect.map(
  Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId)),
  (rows) => rows.map((m) => m.message.kind)
)

/** What each destination received, in order: `<destination> <kind> <object>`. */
const received = (sink: SinkState) =>
  sink.delivered.map((d) => {
    const to = d.destination.type === "email" ? d.destination.address : d.destination.type
    return `${to} ${d.message.kind} ${d.message.objectName}`
  })

/** Delivers everything that is due, after the grouping window has passed. */
const deliverAll = Effect.zipRight(TestClock.adjust(Duration.seconds(120)), Alerting.dispatchOutbox())

const failureOf = <A>(exit: Exit.Exit<A, unknown>): any => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a failure")
  return exit.cause.error
}

describe("Alerting.muteRuleFor", () => {
  it.effect("a muted rule enqueues nothing but keeps firing; after the mute its next reminder comes", () =>
    run(
      Effect.gen(function* () {
        const { weather } = yield* setup
        const rule = yield* Alerting.createRule(editor, {
          name: "Weather",
          target: { type: "monitor", id: weather.id },
          destination: { type: "slack", channel: "C123" },
          reminderMinutes: 30
        })
        const muted = yield* Alerting.muteRuleFor(editor, rule.id, 60)
        expect(muted.mutedUntil).toEqual(new Date(t0 + 3_600_000))
        expect(yield* Alerting.getRule(editor, rule.id)).toEqual({ ...rule, mutedUntil: muted.mutedUntil })

        yield* minutes(1)
        expect(yield* check(weather, "fail")).toEqual({ recorded: true, alerts: 0 })
        // Its reminder falls due during the mute: taken, and sent nowhere.
        yield* minutes(40)
        expect(yield* Alerting.sendReminders()).toEqual([])
        yield* check(weather, "fail")
        expect(yield* enqueued).toEqual([])
        const firing = (yield* Alerting.getRule(editor, rule.id)).firingSince
        expect(firing).toEqual(new Date(t0 + 60_000))

        // The mute ended by itself: a still-failing target gets its next reminder, not a new firing.
        yield* minutes(20)
        expect(yield* check(weather, "fail")).toEqual({ recorded: true, alerts: 0 })
        yield* minutes(10)
        expect((yield* Alerting.sendReminders()).map((m) => m.message.kind)).toEqual(["reminder"])
        yield* check(weather, "pass")
        expect(yield* enqueued).toEqual(["reminder", "recovery"])
      })
    )
  )

  it.effect("a target that recovers during the mute and fails after it fires again", () =>
    run(
      Effect.gen(function* () {
        const { weather } = yield* setup
        const rule = yield* Alerting.createRule(editor, {
          name: "Weather",
          target: { type: "monitor", id: weather.id },
          destination: { type: "slack", channel: "C123" }
        })
        yield* Alerting.muteRuleFor(editor, rule.id, 60)
        yield* check(weather, "fail")
        yield* minutes(10)
        yield* check(weather, "pass")
        expect(yield* enqueued).toEqual([])
        expect((yield* Alerting.getRule(editor, rule.id)).firingSince).toBeNull()
        yield* minutes(51)
        expect(yield* check(weather, "fail")).toEqual({ recorded: true, alerts: 1 })
        expect(yield* enqueued).toEqual(["firing"])
      })
    )
  )

  it.effect("a muted rule takes no part in a server incident's messages; the others' go out", () => {
    const sink = sinkState()
    return run(
      Effect.gen(function* () {
        const { server, weather, order, lookup } = yield* setup
        const quiet = yield* Alerting.createRule(editor, {
          name: "Server to email",
          target: { type: "mcp_server", id: server.id },
          destination: { type: "email", address: "oncall@example.com" }
        })
        yield* Alerting.createRule(editor, {
          name: "Server to Slack",
          target: { type: "mcp_server", id: server.id },
          destination: { type: "slack", channel: "C-OPS" }
        })
        yield* Alerting.muteRuleFor(editor, quiet.id, 60)
        for (const m of [weather, order, lookup]) yield* check(m, "error")
        yield* deliverAll
        expect(received(sink)).toEqual(["slack incident Shop"])
        expect((yield* Alerting.getRule(editor, quiet.id)).firingSince).not.toBeNull()
        yield* check(weather, "pass")
        yield* deliverAll
        expect(received(sink)).toEqual(["slack incident Shop", "slack recovery Shop"])
        expect((yield* Alerting.getRule(editor, quiet.id)).firingSince).toBeNull()
      }),
      sink
    )
  })

  it.effect("a muted rule sends no drift firing or recovery", () =>
    run(
      Effect.gen(function* () {
        const { server } = yield* setup
        const rule = yield* Alerting.createRule(editor, {
          name: "Drift",
          target: { type: "mcp_server", id: server.id },
          destination: { type: "slack", channel: "C-OPS" },
          on: ["drift_breaking"]
        })
        yield* Alerting.muteRuleFor(editor, rule.id, 60)
        const event = (event: "drift_breaking" | "restored") =>
          Effect.gen(function* () {
            return yield* Alerting.onEvent({
              orgId,
              target: { type: "mcp_server", id: server.id, name: "Shop" },
              event,
              summary: event,
              link: null,
              at: new Date(yield* TestClock.currentTimeMillis),
              ...(event === "drift_breaking" ? { catalogVersion: 2 } : { restoredVersion: 1 })
            })
          })
        expect(yield* event("drift_breaking")).toEqual([])
        expect((yield* Alerting.getRule(editor, rule.id)).firingSince).not.toBeNull()
        expect(yield* event("restored")).toEqual([])
        expect((yield* Alerting.getRule(editor, rule.id)).firingSince).toBeNull()
      })
    )
  )

  it.effect(
    "needs an editor and 1 to 10080 whole minutes, writes nothing otherwise; unknown rules are not found",
    () =>
      run(
        Effect.gen(function* () {
          const { weather } = yield* setup
          const rule = yield* Alerting.createRule(editor, {
            name: "Weather",
            target: { type: "monitor", id: weather.id },
            destination: { type: "slack", channel: "C123" }
          })
          const viewer = failureOf(yield* Effect.exit(Alerting.muteRuleFor(callerOf("viewer"), rule.id, 60)))
          expect(viewer._tag).toBe("ForbiddenRole")
          for (const minutes of [0, -5, 99_999, 2.5]) {
            const refused = failureOf(yield* Effect.exit(Alerting.muteRuleFor(editor, rule.id, minutes)))
            expect((refused as ValidationFailed).fieldErrors.map((f) => f.field)).toEqual(["minutes"])
          }
          expect(yield* Alerting.getRule(editor, rule.id)).toEqual(rule)
          const missing = failureOf(yield* Effect.exit(Alerting.muteRuleFor(editor, "no-such-rule", 60)))
          expect([missing._tag, missing.entity]).toEqual(["NotFound", "alert_rule"])
        })
      )
  )
})

describe("a monitor muted for a while", () => {
  it.effect("does not count towards a server incident while the mute lasts", () => {
    const sink = sinkState()
    return run(
      Effect.gen(function* () {
        const { server, weather, order, lookup } = yield* setup
        yield* Alerting.createRule(editor, {
          name: "Server",
          target: { type: "mcp_server", id: server.id },
          destination: { type: "slack", channel: "C-OPS" }
        })
        yield* Monitors.muteFor(editor, weather.id, 5)
        yield* check(weather, "pass")
        // Every unmuted monitor is down, so the server is.
        yield* check(order, "error")
        yield* check(lookup, "error")
        yield* deliverAll
        expect(received(sink)).toEqual(["slack incident Shop"])
        expect(sink.delivered[0]!.message.summary).not.toContain("weather")
      }),
      sink
    )
  })

  it.effect("sends no reminders of a rule already firing on it while the mute lasts, and does after", () =>
    run(
      Effect.gen(function* () {
        const { weather } = yield* setup
        yield* Alerting.createRule(editor, {
          name: "Weather",
          target: { type: "monitor", id: weather.id },
          destination: { type: "slack", channel: "C123" },
          reminderMinutes: 30
        })
        yield* check(weather, "fail")
        expect(yield* enqueued).toEqual(["firing"])
        // "Mute 1 h" on that alert: its reminders stop too.
        yield* Monitors.muteFor(editor, weather.id, 60)
        yield* minutes(31)
        expect(yield* Alerting.sendReminders()).toEqual([])
        yield* minutes(30)
        expect((yield* Alerting.sendReminders()).map((m) => m.message.kind)).toEqual(["reminder"])
      })
    )
  )

  it("is `muted` in the organization's health while the mute lasts, then by its last outcome", () => {
    const monitor = Fixtures.monitor(orgId, { lastOutcome: "fail", mutedUntil: new Date(t0 + 60_000) })
    expect(OrganizationHealth.monitorState(monitor, new Date(t0))).toBe("muted")
    expect(OrganizationHealth.monitorState(monitor, new Date(t0 + 60_000))).toBe("failing")
    expect(OrganizationHealth.monitorSummary([monitor], new Date(t0)).counts.muted).toBe(1)
  })
})
