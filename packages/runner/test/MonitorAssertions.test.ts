/**
 * Monitor result checks in the worker's monitor loop (issue 13): the loop hands each check the
 * server's latest catalog, so a tool that declares an `outputSchema` has its structuredContent
 * validated on every check, and the monitor's assertions are evaluated — against the fixture MCP
 * server over real Streamable HTTP, with its faults switched at runtime.
 */
import { IdsLayer, type Monitor, MonitorStore, ServerStore } from "@armature/core"
import { Fixtures, MemoryStore } from "@armature/core/testing"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Layer, Option, Schedule } from "effect"
import * as Connector from "../src/McpConnector.js"
import * as Pool from "../src/SessionPool.js"
import { SessionPool } from "../src/SessionPool.js"
import * as Worker from "../src/Worker.js"
import { type Fault, type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { modelsLayer } from "./support/scripted.js"

let fixture: Fixture
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(() => fixture.close())

const live = () => {
  const store = MemoryStore.layer
  const connector = Connector.layer({ allowLoopback: true }).pipe(Layer.provide(store))
  const pool = Pool.layer().pipe(Layer.provide(Layer.merge(connector, store)))
  return Layer.mergeAll(store, connector, pool, IdsLayer.layer, modelsLayer({})).pipe(
    Layer.provideMerge(store)
  )
}

/** An org with the fixture server and its catalog as the server lists it now. */
const seed = Effect.gen(function* () {
  const orgId = yield* Fixtures.newOrg
  const server = Fixtures.server(orgId, { transport: "streamable_http", baseUrl: fixture.url })
  const servers = yield* ServerStore
  yield* servers.insertServer(server)
  const pooled = yield* Effect.flatMap(SessionPool, (p) => p.get(server, null))
  const tools = yield* pooled.session.listTools
  expect(tools.find((t) => t.name === "get_order")?.outputSchema).toBeDefined()
  yield* servers.insertCatalogVersion(Fixtures.catalogVersion(orgId, server.id, 1, { tools: [...tools] }))
  return { orgId, server }
})

const poll = <A, E, R>(effect: Effect.Effect<A, E, R>, ok: (a: A) => boolean) =>
  effect.pipe(
    Effect.filterOrFail(ok, () => "not yet" as const),
    Effect.retry(Schedule.spaced("20 millis"))
  )

/** Makes the monitor due now and waits for the worker to record its next check. */
const nextCheck = (monitor: Monitor, seen: number) =>
  Effect.gen(function* () {
    const store = yield* MonitorStore
    const stored = Option.getOrThrow(yield* store.getMonitor(monitor.orgId, monitor.id))
    yield* store.updateMonitor({ ...stored, nextCheckAt: new Date((yield* Clock.currentTimeMillis) - 1) })
    const checks = yield* poll(
      store.listChecks(monitor.orgId, monitor.id, { limit: 100 }),
      (cs) => cs.length > seen
    )
    return checks[0]!
  })

const inFault = <A, E, R>(fault: Fault, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => fixture.setFault(fault)),
    () => effect,
    () => Effect.sync(() => fixture.setFault("none"))
  )

describe("the monitor loop checks results", () => {
  it.live("output_schema_violation and wrong_value are fail with their message; undone, pass again", () =>
    Effect.gen(function* () {
      const { orgId, server } = yield* seed
      const monitor = Fixtures.monitor(orgId, {
        mcpServerId: server.id,
        toolName: "get_order",
        arguments: { orderId: "ord-1" },
        assertions: [{ type: "jsonPath", path: "$.total", equals: 20 }],
        intervalSeconds: 3600,
        timeoutMs: 3000,
        nextCheckAt: new Date((yield* Clock.currentTimeMillis) - 1000)
      })
      yield* Effect.flatMap(MonitorStore, (s) => s.insertMonitor(monitor))
      const outcomes = yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Worker.make({ pollMs: 1000, monitorPollMs: 20 })
          const store = yield* MonitorStore
          const first = yield* poll(store.listChecks(orgId, monitor.id, { limit: 10 }), (cs) => cs.length > 0)
          const violation = yield* inFault("output_schema_violation", nextCheck(monitor, 1))
          const recovered = yield* nextCheck(monitor, 2)
          const wrong = yield* inFault("wrong_value", nextCheck(monitor, 3))
          const again = yield* nextCheck(monitor, 4)
          return { first: first[0]!, violation, recovered, wrong, again }
        })
      ).pipe(Effect.timeout("20 seconds"))
      expect(outcomes.first).toMatchObject({ outcome: "pass", error: null })
      expect(outcomes.violation.outcome).toBe("fail")
      expect(outcomes.violation.error).toContain(
        "output_schema_violation: the structuredContent of get_order does not match its outputSchema"
      )
      expect(outcomes.recovered).toMatchObject({ outcome: "pass", error: null })
      expect(outcomes.wrong).toMatchObject({
        outcome: "fail",
        error: "assertion_failed: assertions[0] jsonPath ($.total equals 20): found 2"
      })
      expect(outcomes.again).toMatchObject({ outcome: "pass", error: null })
      const stored = yield* Effect.flatMap(MonitorStore, (s) => s.getMonitor(orgId, monitor.id))
      expect(Option.getOrThrow(stored).lastOutcome).toBe("pass")
    }).pipe(Effect.provide(live()))
  )
})
