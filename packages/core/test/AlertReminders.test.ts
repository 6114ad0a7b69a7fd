import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock } from "effect"
import * as Alerting from "../src/Alerting.js"
import type { CheckOutcome, Monitor } from "../src/domain/Monitor.js"
import * as Monitors from "../src/Monitors.js"
import type { AlertSink } from "../src/ports/AlertSink.js"
import { AlertStore } from "../src/ports/AlertStore.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import * as Servers from "../src/Servers.js"
import {
  callerOf,
  connectorLayer,
  fakeServer,
  getOrder,
  orgId,
  sinkLayer,
  sinkState,
  type TestServices,
  testLayer,
  weather
} from "./useCaseSupport.js"

const editor = callerOf("editor")
const admin = callerOf("admin")
const t0 = Date.parse("2026-03-01T12:00:00Z")
const minutes = (n: number) => TestClock.adjust(Duration.minutes(n))

const run = <A, E>(
  effect: Effect.Effect<A, E, TestServices<McpConnector | AlertSink>>,
  server = fakeServer()
) => effect.pipe(Effect.provide(testLayer(Layer.merge(connectorLayer(server), sinkLayer(sinkState())))))

const setup = Effect.gen(function* () {
  yield* TestClock.setTime(t0)
  const { server } = yield* Servers.register(editor, {
    name: "Shop",
    baseUrl: "https://shop.example.com/mcp"
  })
  const monitor = (name: string, toolName: string, args: object) =>
    Monitors.create(editor, { name, mcpServerId: server.id, toolName, arguments: args, intervalSeconds: 60 })
  return {
    server,
    weatherMonitor: yield* monitor("weather", "get_weather", { city: "Oslo", units: "metric" }),
    orderMonitor: yield* monitor("order", "get_order", { id: "1" })
  }
})

let checks = 0
const check = (monitor: Monitor, outcome: CheckOutcome) =>
  Effect.gen(function* () {
    const at = new Date(yield* TestClock.currentTimeMillis)
    checks++
    return yield* Monitors.recordCheck({
      id: `reminder-check-${checks}`,
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

const kinds = (rows: ReadonlyArray<{ message: { kind: string } }>) => rows.map((r) => r.message.kind)

describe("sendReminders: reminders on a timer, while a target stays failing", () => {
  it.effect("a quiet failing target is reminded every reminderMinutes, worded like its firing", () =>
    run(
      Effect.gen(function* () {
        const { server, weatherMonitor, orderMonitor } = yield* setup
        const rule = yield* Alerting.createRule(editor, {
          name: "Weather",
          target: { type: "monitor", id: weatherMonitor.id },
          destination: { type: "slack", channel: "C1" },
          reminderMinutes: 10
        })
        yield* check(orderMonitor, "pass")
        yield* check(weatherMonitor, "fail")
        const firedAt = new Date(t0)
        yield* minutes(5)
        expect(yield* Alerting.sendReminders()).toEqual([])
        yield* minutes(5)
        const [reminder] = yield* Alerting.sendReminders()
        expect(reminder!.message).toMatchObject({
          kind: "reminder",
          subject: "[Armature] Weather: weather fail",
          objectName: "weather",
          outcome: "fail",
          target: { type: "monitor", id: weatherMonitor.id, name: "weather" },
          server: { id: server.id, name: "Shop" },
          toolName: "get_weather",
          firingSince: firedAt
        })
        // The same instant again (another replica's timer): nothing more.
        expect(yield* Alerting.sendReminders()).toEqual([])
        yield* minutes(10)
        expect(kinds(yield* Alerting.sendReminders())).toEqual(["reminder"])
        const stored = yield* Alerting.getRule(editor, rule.id)
        expect(stored.lastFiredAt).toEqual(new Date(t0 + 20 * 60_000))
        // Recovered: no more reminders.
        yield* check(weatherMonitor, "pass")
        yield* minutes(30)
        expect(yield* Alerting.sendReminders()).toEqual([])
      })
    )
  )

  it.effect("replicas sending reminders at once enqueue each reminder once", () =>
    run(
      Effect.gen(function* () {
        const { weatherMonitor, orderMonitor } = yield* setup
        yield* Alerting.createRule(editor, {
          name: "Weather",
          target: { type: "monitor", id: weatherMonitor.id },
          destination: { type: "slack", channel: "C1" },
          reminderMinutes: 5
        })
        yield* check(orderMonitor, "pass")
        yield* check(weatherMonitor, "fail")
        yield* minutes(5)
        const rounds = yield* Effect.all(
          Array.from({ length: 4 }, () => Alerting.sendReminders()),
          { concurrency: "unbounded" }
        )
        expect(rounds.flat()).toHaveLength(1)
      })
    )
  )

  it.effect("the rules of a server incident are reminded through it, one message per destination", () =>
    run(
      Effect.gen(function* () {
        const { server, weatherMonitor, orderMonitor } = yield* setup
        for (const [name, target] of [
          ["Weather", { type: "monitor", id: weatherMonitor.id }],
          ["Order", { type: "monitor", id: orderMonitor.id }],
          ["Server", { type: "mcp_server", id: server.id }]
        ] as const) {
          yield* Alerting.createRule(editor, {
            name,
            target,
            destination: { type: "email", address: "oncall@example.com" },
            reminderMinutes: 15
          })
        }
        yield* check(weatherMonitor, "error")
        yield* check(orderMonitor, "error")
        const all = Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))
        expect(kinds(yield* all)).toEqual(["incident"])
        yield* minutes(15)
        const sent = yield* Alerting.sendReminders()
        expect(sent.map((m) => [m.message.kind, m.message.subject])).toEqual([
          ["reminder", "[Armature] Weather, Order, Server: Shop error"]
        ])
        expect(sent[0]!.message).toMatchObject({
          incident: { serverId: server.id },
          firingSince: new Date(t0)
        })
        expect(yield* Alerting.sendReminders()).toEqual([])
      })
    )
  )

  it.effect("an unresolved drift is reminded; paused rules never are", () => {
    const fake = fakeServer()
    return run(
      Effect.gen(function* () {
        const { server } = yield* setup
        const drift = yield* Alerting.createRule(editor, {
          name: "Drift",
          target: { type: "mcp_server", id: server.id },
          destination: { type: "email", address: "ops@example.com" },
          on: ["drift_breaking"],
          reminderMinutes: 60
        })
        const paused = yield* Alerting.createRule(editor, {
          name: "Paused",
          target: { type: "mcp_server", id: server.id },
          destination: { type: "email", address: "ops@example.com" },
          on: ["drift_breaking"],
          reminderMinutes: 60
        })
        fake.tools = [weather, getOrder]
        yield* Servers.sync(admin, server.id)
        yield* Alerting.updateRule(editor, paused.id, { state: "paused" })
        yield* minutes(60)
        const sent = yield* Alerting.sendReminders()
        expect(sent.map((m) => [m.ruleId, m.message.kind, m.message.outcome])).toEqual([
          [drift.id, "reminder", "drift_breaking"]
        ])
        expect(sent[0]!.message.summary).toContain("create_order: tool removed")
      }),
      fake
    )
  })
})
