import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, TestClock } from "effect"
import * as Alerting from "../src/Alerting.js"
import type { AlertRule } from "../src/domain/Alert.js"
import type { ValidationFailed } from "../src/Errors.js"
import * as Monitors from "../src/Monitors.js"
import { AlertSink } from "../src/ports/AlertSink.js"
import { AlertStore } from "../src/ports/AlertStore.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import * as Servers from "../src/Servers.js"
import {
  callerOf,
  connectorLayer,
  deliveryFailed,
  fakeServer,
  orgId,
  type SinkState,
  sinkLayer,
  sinkState,
  type TestServices,
  testLayer
} from "./useCaseSupport.js"

const editor = callerOf("editor")

const run = <A, E>(
  effect: Effect.Effect<A, E, TestServices<McpConnector | AlertSink>>,
  sink: SinkState = sinkState()
) => effect.pipe(Effect.provide(testLayer(Layer.merge(connectorLayer(fakeServer()), sinkLayer(sink)))))

const failureOf = <A>(exit: Exit.Exit<A, unknown>): any => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a failure")
  return exit.cause.error
}

/** A server with two monitors, as alert targets. */
const setup = Effect.gen(function* () {
  const { server } = yield* Servers.register(editor, {
    name: "Shop",
    baseUrl: "https://shop.example.com/mcp"
  })
  const monitor = yield* Monitors.create(editor, {
    name: "weather",
    mcpServerId: server.id,
    toolName: "get_weather",
    arguments: { city: "Oslo", units: "metric" }
  })
  const order = yield* Monitors.create(editor, {
    name: "order",
    mcpServerId: server.id,
    toolName: "get_order",
    arguments: { id: "1" }
  })
  return { server, monitor, order }
})

const outbox = Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))

const outcome = (
  monitor: { id: string; name: string },
  value: string,
  atMs: number,
  server: { id: string; name: string } | null = null
) =>
  Alerting.onOutcome({
    orgId,
    target: { type: "monitor", id: monitor.id, name: monitor.name },
    outcome: value,
    summary: `it was ${value}`,
    link: `/monitors/${monitor.id}`,
    at: new Date(atMs),
    server
  })

const rule = (targetId: string, extra: object = {}) =>
  Alerting.createRule(editor, {
    name: "On call",
    target: { type: "monitor", id: targetId },
    destination: { type: "email", address: "oncall@example.com" },
    ...extra
  })

describe("Alerting rules", () => {
  it.effect("defaults: on by target type, notifyRecovery, enabled, never fired", () =>
    run(
      Effect.gen(function* () {
        const { server, monitor } = yield* setup
        const m = yield* rule(monitor.id)
        expect(m).toMatchObject({
          on: ["fail", "error"],
          notifyRecovery: true,
          state: "enabled",
          reminderMinutes: null,
          status: "Watching — never fired"
        })
        const s = yield* Alerting.createRule(editor, {
          name: "Server",
          target: { type: "mcp_server", id: server.id },
          destination: { type: "slack", channel: "C1" }
        })
        expect(s.on).toEqual(["error", "drift_breaking", "drift_suspicious"])
        expect(Alerting.defaultOn("workflow")).toEqual(["fail", "partial", "error"])
      })
    )
  )

  it.effect("the target must exist in the organization and the destination must be valid", () =>
    run(
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          Alerting.createRule(editor, {
            name: "x",
            target: { type: "workflow", id: "missing" },
            destination: { type: "email", address: "not-an-email" }
          })
        )
        const error = failureOf(exit) as ValidationFailed
        expect(error.fieldErrors.map((f) => f.field)).toEqual(["target.id", "destination.address"])
        const missing = yield* Effect.exit(
          Alerting.createRule(editor, {
            name: "x",
            target: { type: "workflow", id: "missing" },
            destination: { type: "webhook", url: "https://hooks.example.com/x" }
          })
        )
        expect((failureOf(missing) as ValidationFailed).fieldErrors.map((f) => f.field)).toEqual([
          "target.id"
        ])
      })
    )
  )

  it.effect("webhook secrets are stored by reference; viewers cannot write rules", () =>
    run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        const r = yield* rule(monitor.id, {
          destination: {
            type: "webhook",
            url: "https://hooks.example.com/x",
            secret: "s3cr3t-signing-key-123"
          }
        })
        expect(JSON.stringify(r)).not.toContain("s3cr3t")
        expect(r.destination).toMatchObject({ type: "webhook", secretRef: expect.any(String) })
        const forbidden = yield* Effect.exit(
          Alerting.createRule(callerOf("viewer"), {
            name: "x",
            target: { type: "monitor", id: monitor.id },
            destination: { type: "slack", channel: "C1" }
          })
        )
        expect(failureOf(forbidden)._tag).toBe("ForbiddenRole")
      })
    )
  )

  it.effect("a webhook keeps its secret across updates unless given a new one or null", () =>
    run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        const created = yield* rule(monitor.id, {
          destination: {
            type: "webhook",
            url: "https://hooks.example.com/a",
            secret: "s3cr3t-signing-key-123"
          }
        })
        const refOf = (r: { destination: unknown }) =>
          (r.destination as { secretRef: string | null }).secretRef
        const first = refOf(created)
        expect(first).not.toBeNull()
        // Renamed, then moved to another address without a secret: still signed with the same one.
        const renamed = yield* Alerting.updateRule(editor, created.id, { name: "Pager" })
        expect(refOf(renamed)).toBe(first)
        const moved = yield* Alerting.updateRule(editor, created.id, {
          destination: { type: "webhook", url: "https://hooks.example.com/b" }
        })
        expect(moved.destination).toMatchObject({ url: "https://hooks.example.com/b", secretRef: first })
        const rotated = yield* Alerting.updateRule(editor, created.id, {
          destination: {
            type: "webhook",
            url: "https://hooks.example.com/b",
            secret: "another-secret-of-16+"
          }
        })
        expect(refOf(rotated)).not.toBe(first)
        const unsigned = yield* Alerting.updateRule(editor, created.id, {
          destination: { type: "webhook", url: "https://hooks.example.com/b", secret: null }
        })
        expect(refOf(unsigned)).toBeNull()
      })
    )
  )

  it.effect("a caller cannot point a webhook at a stored secret by reference", () =>
    run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        const before = yield* Effect.flatMap(AlertStore, (s) => s.listRules(orgId))
        const refused = failureOf(
          yield* Effect.exit(
            rule(monitor.id, {
              destination: { type: "webhook", url: "https://hooks.example.com/a", secretRef: "some-ref" }
            })
          )
        ) as ValidationFailed
        expect(refused._tag).toBe("ValidationFailed")
        expect(refused.fieldErrors.map((f) => f.field)).toContain("destination.secretRef")
        expect(yield* Effect.flatMap(AlertStore, (s) => s.listRules(orgId))).toEqual(before)
      })
    )
  )
})

describe("Alerting.status", () => {
  const base: AlertRule = {
    id: "r",
    orgId,
    name: "r",
    target: { type: "monitor", id: "m" },
    destination: { type: "slack", channel: "C1" },
    on: ["fail"],
    notifyRecovery: true,
    reminderMinutes: null,
    state: "enabled",
    firingSince: null,
    lastFiredAt: null,
    mutedUntil: null,
    createdAt: new Date(0)
  }
  it("reads exactly as the SPEC words it", () => {
    const at = new Date("2025-01-02T03:04:05.000Z")
    expect(Alerting.status(base)).toBe("Watching — never fired")
    expect(Alerting.status({ ...base, firingSince: at, lastFiredAt: at })).toBe(
      "Firing since 2025-01-02T03:04:05.000Z"
    )
    expect(Alerting.status({ ...base, lastFiredAt: at })).toBe("Last fired 2025-01-02T03:04:05.000Z")
    expect(Alerting.status({ ...base, state: "paused", firingSince: at })).toBe("Paused")
  })
})

describe("Alerting.onOutcome", () => {
  it.effect("fires once on the transition, and sends one recovery", () =>
    run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        const r = yield* rule(monitor.id)
        expect(yield* outcome(monitor, "pass", 1000)).toHaveLength(0)
        const fired = yield* outcome(monitor, "fail", 2000)
        expect(fired.map((m) => m.message)).toEqual([
          {
            kind: "firing",
            ruleId: r.id,
            ruleName: "On call",
            subject: "[Armature] On call: weather fail",
            objectName: "weather",
            outcome: "fail",
            summary: "it was fail",
            link: `/monitors/${monitor.id}`,
            at: new Date(2000),
            target: { type: "monitor", id: monitor.id, name: "weather" }
          }
        ])
        expect(yield* outcome(monitor, "fail", 3000)).toHaveLength(0)
        expect(yield* outcome(monitor, "error", 4000)).toHaveLength(0)
        expect((yield* Alerting.getRule(editor, r.id)).status).toBe(
          `Firing since ${new Date(2000).toISOString()}`
        )
        const recovered = yield* outcome(monitor, "pass", 5000)
        expect(recovered.map((m) => [m.message.kind, m.message.subject])).toEqual([
          ["recovery", "[Armature] On call: weather recovered"]
        ])
        expect(yield* outcome(monitor, "pass", 6000)).toHaveLength(0)
        expect((yield* Alerting.getRule(editor, r.id)).status).toBe(
          `Last fired ${new Date(2000).toISOString()}`
        )
        expect(yield* outbox).toHaveLength(2)
      })
    )
  )

  it.effect("reminds every reminderMinutes while still failing", () =>
    run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        yield* rule(monitor.id, { reminderMinutes: 10 })
        const minute = 60_000
        const kinds = []
        for (const t of [0, 5, 10, 15, 19, 20, 25]) {
          kinds.push(
            ...(yield* outcome(monitor, "fail", 1_000_000 + t * minute)).map((m) => `${t}:${m.message.kind}`)
          )
        }
        expect(kinds).toEqual(["0:firing", "10:reminder", "20:reminder"])
      })
    )
  )

  it.effect("paused rules are silent, and recovery can be turned off", () =>
    run(
      Effect.gen(function* () {
        const { monitor, order } = yield* setup
        const paused = yield* rule(monitor.id, { state: "paused" })
        expect(paused.status).toBe("Paused")
        expect(yield* outcome(monitor, "fail", 1000)).toHaveLength(0)
        yield* rule(order.id, { name: "Orders", notifyRecovery: false })
        expect(yield* outcome(order, "fail", 1000)).toHaveLength(1)
        expect(yield* outcome(order, "pass", 2000)).toHaveLength(0)
        // The rule recovered silently: the next failure fires again.
        expect((yield* outcome(order, "fail", 3000)).map((m) => m.message.kind)).toEqual(["firing"])
      })
    )
  )

  it.effect("degraded fires only rules that watch it", () =>
    run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        yield* rule(monitor.id)
        expect(yield* outcome(monitor, "degraded", 1000)).toHaveLength(0)
        yield* rule(monitor.id, { name: "Slow", on: ["degraded"] })
        expect((yield* outcome(monitor, "degraded", 2000)).map((m) => m.message.subject)).toEqual([
          "[Armature] Slow: weather degraded"
        ])
      })
    )
  )

  it.effect("pausing a firing rule clears its firing state", () =>
    run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        const r = yield* rule(monitor.id)
        yield* outcome(monitor, "fail", 1000)
        const updated = yield* Alerting.updateRule(editor, r.id, { state: "paused" })
        expect(updated.firingSince).toBeNull()
        const resumed = yield* Alerting.updateRule(editor, r.id, { state: "enabled", reminderMinutes: 5 })
        expect(resumed.status).toBe(`Last fired ${new Date(1000).toISOString()}`)
        expect((yield* outcome(monitor, "fail", 2000)).map((m) => m.message.kind)).toEqual(["firing"])
        yield* Alerting.deleteRule(editor, r.id)
        expect(yield* Alerting.listRules(editor)).toHaveLength(0)
      })
    )
  )
})

describe("Alerting server incidents", () => {
  // The incident semantics (what opens and ends one, grouping per destination) are specified in
  // AlertIncidents.test.ts; here, what a caller of `onOutcome` sees.
  it.effect(
    "an error alert of a server's target is held back for the grouping window, then delivered alone",
    () => {
      const sink = sinkState()
      return run(
        Effect.gen(function* () {
          yield* TestClock.setTime(1_000_000)
          const { server, monitor } = yield* setup
          const s = { id: server.id, name: server.name }
          yield* rule(monitor.id)
          const [row] = yield* outcome(monitor, "error", 1_000_000, s)
          expect(row!.message).toMatchObject({ kind: "firing", server: s })
          expect(row!.message.incident).toBeUndefined()
          expect((yield* Alerting.dispatchOutbox()).claimed).toBe(0)
          yield* TestClock.adjust(Duration.seconds(60))
          expect(yield* Alerting.dispatchOutbox()).toMatchObject({ claimed: 1, delivered: 1 })
          expect(sink.delivered.map((d) => d.message.kind)).toEqual(["firing"])
        }),
        sink
      )
    }
  )

  it.effect("a monitor error while its server stays healthy does not touch the server's rules", () =>
    run(
      Effect.gen(function* () {
        const { server, monitor, order } = yield* setup
        const s = { id: server.id, name: server.name }
        const serverRule = yield* Alerting.createRule(editor, {
          name: "Server",
          target: { type: "mcp_server", id: server.id },
          destination: { type: "slack", channel: "C1" }
        })
        // The other monitor answered: one tool failing is not the server failing.
        yield* Monitors.recordCheck({
          id: "check-order",
          orgId,
          monitorId: order.id,
          scheduledAt: new Date(500),
          startedAt: new Date(500),
          outcome: "pass",
          latencyMs: 10,
          error: null,
          resultExcerpt: null,
          attempts: 1
        })
        expect(yield* outcome(monitor, "error", 1000, s)).toHaveLength(0)
        expect(yield* outcome(monitor, "fail", 2000, s)).toHaveLength(0)
        expect((yield* Alerting.getRule(editor, serverRule.id)).status).toBe("Watching — never fired")
        expect(yield* outbox).toEqual([])
      })
    )
  )
})

describe("Alerting.dispatchOutbox", () => {
  it.effect("delivers pending messages once", () => {
    const sink = sinkState()
    return run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        yield* rule(monitor.id)
        yield* outcome(monitor, "fail", 0)
        expect(yield* Alerting.dispatchOutbox()).toEqual({ claimed: 1, delivered: 1, retried: 0, dead: 0 })
        expect(yield* Alerting.dispatchOutbox()).toEqual({ claimed: 0, delivered: 0, retried: 0, dead: 0 })
        expect(sink.delivered).toHaveLength(1)
        expect((yield* outbox)[0]!.status).toBe("delivered")
      }),
      sink
    )
  })

  /** Fails every delivery of one message until it is dead; the delays between its attempts. */
  const retryDelays = (backoff: Alerting.Backoff) =>
    Effect.gen(function* () {
      const { monitor } = yield* setup
      yield* rule(monitor.id)
      yield* outcome(monitor, "fail", 0)
      const delays: number[] = []
      let dead = 0
      for (let i = 0; i < backoff.maxAttempts; i++) {
        const [row] = yield* outbox
        const due = row!.nextAttemptAt.getTime()
        const now = (yield* TestClock.currentTimeMillis) as number
        if (due > now) {
          // One millisecond early claims nothing.
          yield* TestClock.adjust(Duration.millis(due - now - 1))
          expect((yield* Alerting.dispatchOutbox({ backoff })).claimed).toBe(0)
          yield* TestClock.adjust(Duration.millis(1))
          delays.push(due - now)
        }
        dead += (yield* Alerting.dispatchOutbox({ backoff })).dead
      }
      return { delays, dead }
    })

  it.effect("retries with exponential backoff and dead-letters after maxAttempts", () => {
    const sink = sinkState()
    sink.fail = deliveryFailed(true)
    return run(
      Effect.gen(function* () {
        const { delays, dead } = yield* retryDelays({ ...Alerting.defaultBackoff, jitter: 0 })
        expect(delays).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000])
        expect(dead).toBe(1)
        const [row] = yield* outbox
        expect(row).toMatchObject({ status: "dead", attempts: 8, lastError: "destination down" })
      }),
      sink
    )
  })

  it.effect("a non-retryable failure dead-letters at once", () => {
    const sink = sinkState()
    sink.fail = deliveryFailed(false)
    return run(
      Effect.gen(function* () {
        const { monitor } = yield* setup
        yield* rule(monitor.id)
        yield* outcome(monitor, "fail", 0)
        expect(yield* Alerting.dispatchOutbox()).toMatchObject({ claimed: 1, dead: 1 })
        expect((yield* outbox)[0]!.status).toBe("dead")
      }),
      sink
    )
  })

  it.effect("spreads retries by the jitter, within its bounds", () => {
    const sink = sinkState()
    sink.fail = deliveryFailed(true)
    return run(
      Effect.gen(function* () {
        const { delays } = yield* retryDelays(Alerting.defaultBackoff)
        expect(delays).toHaveLength(7)
        delays.forEach((d, i) => {
          const nominal = Alerting.retryDelayMs(i + 1)
          expect(d).toBeGreaterThanOrEqual(nominal * 0.8)
          expect(d).toBeLessThanOrEqual(nominal * 1.2)
        })
        // Not every delay sits on its nominal value: the spread is real.
        expect(delays.some((d, i) => d !== Alerting.retryDelayMs(i + 1))).toBe(true)
      }),
      sink
    )
  })

  it.live("a slow destination does not hold up the others", () =>
    Effect.gen(function* () {
      const delivered: Array<string> = []
      const slowSink = Layer.succeed(AlertSink, {
        deliver: ({ destination }) => {
          const to = (destination as { address: string }).address
          return Effect.sleep(to === "slow@example.com" ? "300 millis" : "0 millis").pipe(
            Effect.tap(() => Effect.sync(() => delivered.push(to)))
          )
        },
        validate: () => Effect.succeed([])
      })
      yield* Effect.gen(function* () {
        const { monitor, order } = yield* setup
        yield* rule(monitor.id, { destination: { type: "email", address: "slow@example.com" } })
        yield* rule(order.id, { name: "Fast", destination: { type: "email", address: "fast@example.com" } })
        yield* outcome(monitor, "fail", 0)
        yield* outcome(order, "fail", 0)
        expect(yield* Alerting.dispatchOutbox()).toMatchObject({ claimed: 2, delivered: 2 })
      }).pipe(Effect.provide(testLayer(Layer.merge(connectorLayer(fakeServer()), slowSink))))
      expect(delivered).toEqual(["fast@example.com", "slow@example.com"])
    })
  )

  it("backoff doubles from one minute and is capped", () => {
    expect([1, 2, 3, 4, 10].map((n) => Alerting.retryDelayMs(n))).toEqual([
      60_000, 120_000, 240_000, 480_000, 3_600_000
    ])
  })
})
