import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock } from "effect"
import * as Alerting from "../src/Alerting.js"
import type { CheckOutcome, Monitor } from "../src/domain/Monitor.js"
import { driftStep, type ServerSignal, serverStep } from "../src/internal/alertIncidents.js"
import * as Monitors from "../src/Monitors.js"
import type { AlertSink } from "../src/ports/AlertSink.js"
import { AlertStore } from "../src/ports/AlertStore.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import * as Servers from "../src/Servers.js"
import { Fixtures } from "../src/testing/index.js"
import {
  callerOf,
  connectorLayer,
  type FakeServer,
  fakeServer,
  orgId,
  refused,
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
  sink: SinkState,
  server: FakeServer = fakeServer()
) => effect.pipe(Effect.provide(testLayer(Layer.merge(connectorLayer(server), sinkLayer(sink)))))

/** Server "Shop" with three 10-second monitors, the TestClock at t0. */
const setup = Effect.gen(function* () {
  yield* TestClock.setTime(t0)
  const { server } = yield* Servers.register(editor, {
    name: "Shop",
    baseUrl: "https://shop.example.com/mcp"
  })
  const monitor = (name: string, toolName: string, args: object, extra: object = {}) =>
    Monitors.create(editor, {
      name,
      mcpServerId: server.id,
      toolName,
      arguments: args,
      intervalSeconds: 10,
      ...extra
    })
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
      id: `check-${checks}`,
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

const email = (address: string) => ({ type: "email", address })
const slack = { type: "slack", channel: "C-OPS" }

/** A monitor's rule, named after the monitor and where it sends (rule names are unique). */
const monitorRule = (monitor: Monitor, destination: object, extra: object = {}) =>
  Alerting.createRule(editor, {
    name: `${monitor.name} rule to ${Object.values(destination).join(" ")}`,
    target: { type: "monitor", id: monitor.id },
    destination,
    ...extra
  })

const serverRule = (serverId: string, destination: object, extra: object = {}) =>
  Alerting.createRule(editor, {
    name: "Server",
    target: { type: "mcp_server", id: serverId },
    destination,
    ...extra
  })

const seconds = (n: number) => TestClock.adjust(Duration.seconds(n))

/** Delivers everything that is due, after the grouping window has passed. */
const deliverAll = Effect.zipRight(seconds(120), Alerting.dispatchOutbox())

/** What each destination received, in order: `<destination> <kind> <object>`. */
const received = (sink: SinkState) =>
  sink.delivered.map((d) => {
    const to = d.destination.type === "email" ? d.destination.address : d.destination.type
    return `${to} ${d.message.kind} ${d.message.objectName}`
  })

const incidents = Effect.flatMap(AlertStore, (s) => s.listIncidents(orgId))

describe("the server incident table", () => {
  const at = (s: number) => new Date(t0 + s * 1000)
  const open = { openedAt: at(10), monitorsDown: false }
  const down = { openedAt: at(10), monitorsDown: true }
  const check = (outcome: string, everyMonitorErroring: boolean, s = 20): ServerSignal => ({
    source: "check",
    outcome,
    everyMonitorErroring,
    at: at(s)
  })

  it("opens on a failed probe, or when a monitor error leaves every monitor erroring", () => {
    expect(serverStep(null, { source: "probe", ok: false, at: at(0) })).toEqual({
      kind: "open",
      monitorsDown: false
    })
    expect(serverStep(null, check("error", true))).toEqual({ kind: "open", monitorsDown: true })
    expect(serverStep(null, check("error", false))).toEqual({ kind: "none" })
    // A workflow run's `error` can be the model's: it never opens one.
    expect(serverStep(null, { source: "run", outcome: "error", at: at(0) })).toEqual({ kind: "none" })
    expect(serverStep(null, check("pass", false))).toEqual({ kind: "none" })
    expect(serverStep(null, { source: "probe", ok: true, at: at(0) })).toEqual({ kind: "none" })
  })

  it("an open incident takes in further errors, and remembers when every monitor was down", () => {
    expect(serverStep(open, check("error", false))).toEqual({ kind: "join", monitorsDown: false })
    expect(serverStep(open, check("error", true))).toEqual({ kind: "join", monitorsDown: true })
    expect(serverStep(down, check("error", false))).toEqual({ kind: "join", monitorsDown: true })
    expect(serverStep(open, { source: "run", outcome: "error", at: at(20) })).toEqual({
      kind: "join",
      monitorsDown: false
    })
    expect(serverStep(down, { source: "probe", ok: false, at: at(20) })).toEqual({
      kind: "join",
      monitorsDown: true
    })
  })

  it("ends on an answer produced after it opened, or on a probe unless every monitor was down", () => {
    for (const outcome of ["pass", "degraded", "fail"]) {
      expect(serverStep(down, check(outcome, false))).toEqual({ kind: "resolve" })
    }
    expect(serverStep(open, { source: "run", outcome: "partial", at: at(20) })).toEqual({ kind: "resolve" })
    // A result from before the incident says nothing about now.
    expect(serverStep(open, check("pass", false, 5))).toEqual({ kind: "none" })
    expect(serverStep(open, { source: "probe", ok: true, at: at(20) })).toEqual({ kind: "resolve" })
    // `initialize` answering while every tool call fails is still a server down.
    expect(serverStep(down, { source: "probe", ok: true, at: at(20) })).toEqual({ kind: "none" })
  })
})

describe("the drift incident table", () => {
  it("a breaking drift opens one (baseline: the version before it), a further one fires again", () => {
    expect(driftStep(null, { kind: "drift_breaking", catalogVersion: 3 })).toEqual({
      kind: "open",
      baselineVersion: 2
    })
    expect(driftStep({ baselineVersion: 2 }, { kind: "drift_breaking", catalogVersion: 4 })).toEqual({
      kind: "again"
    })
  })

  it("a restore to the baseline or older ends it; to a later (already alerted) state, nothing", () => {
    expect(driftStep({ baselineVersion: 2 }, { kind: "restored", version: 2 })).toEqual({ kind: "resolve" })
    expect(driftStep({ baselineVersion: 2 }, { kind: "restored", version: 1 })).toEqual({ kind: "resolve" })
    expect(driftStep({ baselineVersion: 2 }, { kind: "restored", version: 3 })).toEqual({ kind: "none" })
    expect(driftStep(null, { kind: "restored", version: 1 })).toEqual({ kind: "none" })
  })
})

describe("one tool failing while the server is healthy stays on its monitor", () => {
  it.effect(
    "one of three monitors errors for 40 s while two pass: its rule fires once, the server rule sends nothing",
    () => {
      const sink = sinkState()
      return run(
        Effect.gen(function* () {
          const { server, weather, order, lookup } = yield* setup
          yield* monitorRule(weather, email("oncall@example.com"))
          yield* serverRule(server.id, slack)
          for (let s = 0; s <= 40; s += 10) {
            yield* check(weather, "error")
            yield* check(order, "pass")
            yield* check(lookup, "pass")
            yield* Alerting.dispatchOutbox()
            yield* seconds(10)
          }
          yield* deliverAll
          expect(received(sink)).toEqual(["oncall@example.com firing weather"])
          expect(sink.delivered[0]!.message).toMatchObject({
            target: { type: "monitor", id: weather.id, name: "weather" },
            server: { id: server.id, name: "Shop" },
            toolName: "get_weather"
          })
          expect(yield* incidents).toEqual([])
        }),
        sink
      )
    }
  )

  it.effect("an error that recovers within the grouping window sends nothing at all", () => {
    const sink = sinkState()
    return run(
      Effect.gen(function* () {
        const { weather, order } = yield* setup
        const rule = yield* monitorRule(weather, email("oncall@example.com"))
        yield* check(order, "pass")
        yield* check(weather, "error")
        yield* seconds(30)
        yield* check(weather, "pass")
        yield* deliverAll
        expect(received(sink)).toEqual([])
        expect(yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))).toEqual([])
        expect((yield* Alerting.getRule(editor, rule.id)).firingSince).toBeNull()
      }),
      sink
    )
  })
})

describe("a server down is one incident: one firing and one recovery per destination", () => {
  it.effect("every monitor erroring groups the monitors' and the server's rules; an answer ends it", () => {
    const sink = sinkState()
    const fake = fakeServer()
    return run(
      Effect.gen(function* () {
        const { server, weather, order, lookup } = yield* setup
        yield* serverRule(server.id, slack)
        yield* monitorRule(weather, email("oncall@example.com"))
        yield* monitorRule(order, email("oncall@example.com"))
        yield* monitorRule(lookup, { type: "webhook", url: "https://hooks.example.com/x" })
        // A workflow's rule on the same address: its error during the incident joins silently.
        const workflowRule = Fixtures.alertRule(orgId, {
          target: { type: "workflow", id: "wf-1" },
          destination: { type: "email", address: "oncall@example.com" },
          on: ["fail", "partial", "error"]
        })
        yield* Effect.flatMap(AlertStore, (s) => s.insertRule(workflowRule))
        for (const m of [weather, order, lookup]) yield* check(m, "pass")

        yield* seconds(10)
        yield* check(weather, "error")
        yield* seconds(2)
        yield* check(order, "error")
        yield* seconds(2)
        yield* check(lookup, "error")
        for (let s = 0; s < 5; s++) {
          yield* seconds(10)
          for (const m of [weather, order, lookup]) yield* check(m, "error")
          yield* Alerting.dispatchOutbox()
        }
        yield* Alerting.onOutcome({
          orgId,
          target: { type: "workflow", id: "wf-1", name: "Checkout" },
          outcome: "error",
          summary: "server_unreachable: ECONNREFUSED",
          link: null,
          at: new Date(yield* TestClock.currentTimeMillis),
          server: { id: server.id, name: server.name }
        })
        // The probe failing too is the same incident.
        fake.failure = refused()
        yield* Effect.exit(Servers.probe(editor, server.id))
        // `initialize` answering again while every tool call fails does not end it.
        fake.failure = null
        yield* seconds(10)
        yield* Servers.probe(editor, server.id)
        expect((yield* incidents).map((i) => i.resolvedAt)).toEqual([null])
        yield* deliverAll
        expect(received(sink).sort()).toEqual([
          "oncall@example.com incident Shop",
          "slack incident Shop",
          "webhook incident Shop"
        ])
        const toEmail = sink.delivered.find((d) => d.destination.type === "email")!.message
        expect(toEmail.summary).toContain("weather: connect ECONNREFUSED")
        expect(toEmail.summary).toContain("order: connect ECONNREFUSED")
        expect(toEmail.ruleName).toBe(
          "weather rule to email oncall@example.com, order rule to email oncall@example.com"
        )

        // One monitor answering ends it; the others' answers change nothing more.
        yield* seconds(10)
        yield* check(weather, "pass")
        yield* check(order, "pass")
        yield* check(lookup, "pass")
        yield* deliverAll
        expect(received(sink).slice(3).sort()).toEqual([
          "oncall@example.com recovery Shop",
          "slack recovery Shop",
          "webhook recovery Shop"
        ])
        const recovery = sink.delivered.at(-1)!.message
        expect(recovery.firingSince).toEqual(new Date(t0 + 14_000))
        expect((yield* incidents)[0]!.resolvedAt).not.toBeNull()
        expect((yield* Alerting.listRules(editor)).map((r) => r.status)).not.toContainEqual(
          expect.stringMatching(/^Firing/)
        )
      }),
      sink,
      fake
    )
  })

  it.effect(
    "a failed probe opens it at once; a successful probe ends it; a tool still failing then alerts on its own",
    () => {
      const sink = sinkState()
      const fake = fakeServer()
      return run(
        Effect.gen(function* () {
          const { server, weather, order, lookup } = yield* setup
          yield* serverRule(server.id, slack)
          yield* monitorRule(weather, email("oncall@example.com"))
          for (const m of [weather, order, lookup]) yield* check(m, "pass")
          yield* seconds(10)
          fake.failure = refused()
          yield* Effect.exit(Servers.probe(editor, server.id))
          yield* check(weather, "error")
          yield* Alerting.dispatchOutbox()
          expect(received(sink)).toEqual(["slack incident Shop", "oncall@example.com incident Shop"])
          expect(sink.delivered[0]!.message.summary).toContain("Probe failed")

          fake.failure = null
          yield* seconds(10)
          yield* Servers.probe(editor, server.id)
          yield* Alerting.dispatchOutbox()
          expect(received(sink).slice(2)).toEqual(["slack recovery Shop", "oncall@example.com recovery Shop"])

          // The server answers; the weather tool alone still errors: that is its monitor's news.
          yield* seconds(10)
          yield* check(weather, "error")
          yield* deliverAll
          expect(received(sink).slice(4)).toEqual(["oncall@example.com firing weather"])
        }),
        sink,
        fake
      )
    }
  )
})

describe("muted monitors and paused rules send nothing", () => {
  it.effect("a muted monitor alerts nobody and does not count towards a server incident", () => {
    const sink = sinkState()
    return run(
      Effect.gen(function* () {
        const { server, weather, order, lookup } = yield* setup
        yield* Monitors.setMuted(editor, weather.id, true)
        yield* monitorRule(weather, email("oncall@example.com"))
        yield* serverRule(server.id, slack)
        yield* check(order, "pass")
        yield* check(lookup, "pass")
        for (let s = 0; s < 4; s++) {
          yield* check(weather, "error")
          yield* seconds(10)
        }
        // Order and lookup erroring too: every unmuted monitor is down, so the server is.
        yield* check(order, "error")
        yield* check(lookup, "error")
        yield* deliverAll
        expect(received(sink)).toEqual(["slack incident Shop"])
        expect(sink.delivered[0]!.message.summary).not.toContain("weather")
      }),
      sink
    )
  })
})

describe("a rule's `on` list decides what pages it", () => {
  it.effect(
    "a monitor rule without `error` is not grouped, a server rule without `error` is not paged",
    () => {
      const sink = sinkState()
      return run(
        Effect.gen(function* () {
          const { server, weather, order, lookup } = yield* setup
          yield* monitorRule(weather, email("fails@example.com"), { on: ["fail"] })
          yield* monitorRule(weather, email("errors@example.com"), { on: ["error"] })
          yield* serverRule(server.id, slack, { on: ["drift_breaking"] })
          yield* monitorRule(order, email("slow@example.com"), { on: ["degraded"] })
          for (const m of [weather, order, lookup]) yield* check(m, "error")
          yield* deliverAll
          expect(received(sink)).toEqual(["errors@example.com incident Shop"])

          // The weather tool answers with an error result: the incident ends, `fail` pages its watcher.
          yield* seconds(10)
          yield* check(weather, "fail")
          yield* check(order, "degraded")
          yield* deliverAll
          expect(received(sink).slice(1)).toEqual([
            "errors@example.com recovery Shop",
            "fails@example.com firing weather",
            "slow@example.com firing order"
          ])
        }),
        sink
      )
    }
  )
})
