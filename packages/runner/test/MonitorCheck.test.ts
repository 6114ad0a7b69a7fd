import { mkdtempSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { IdsLayer, type Monitor } from "@armature/core"
import { afterAll, beforeAll, describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as MonitorCheck from "../src/MonitorCheck.js"
import * as Pool from "../src/SessionPool.js"
import { SessionPool } from "../src/SessionPool.js"
import { type Fault, type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { connectorLayer, monitor, profile, secretsLayer, server, stdioFixture } from "./helpers.js"

const PoolLive = Pool.layer().pipe(Layer.provide(Layer.merge(connectorLayer(), secretsLayer())))
const Live = Layer.merge(PoolLive, IdsLayer.layerSequential)

let fixture: Fixture
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(() => fixture.close())

const check = (over: Partial<Monitor> = {}, srv = server({ baseUrl: fixture.url })) =>
  MonitorCheck.execute({ monitor: monitor(over), server: srv, profile: null, scheduledAt: new Date() })

const withFault = <A, E, R>(fault: Fault, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => fixture.setFault(fault)),
    () => effect,
    () => Effect.sync(() => fixture.setFault("none"))
  )

layer(Live, { excludeTestServices: true })("monitor check outcomes (SPEC §5)", (it) => {
  it.effect("pass: a result without isError within the timeout", () =>
    Effect.gen(function* () {
      const c = yield* check()
      expect(c.outcome).toBe("pass")
      expect(c.resultExcerpt).toContain("ord-1")
      expect(c.error).toBeNull()
    })
  )

  it.effect("degraded: a pass slower than degradedAboveMs", () =>
    Effect.gen(function* () {
      fixture.state.slowMs = 250
      const c = yield* withFault("slow", check({ degradedAboveMs: 100 }))
      expect(c.outcome).toBe("degraded")
      expect(c.latencyMs).toBeGreaterThanOrEqual(250)
    })
  )

  for (const fault of ["is_error", "tool_removed", "arg_renamed", "required_arg_added"] as const) {
    it.effect(`fail: ${fault} gives a result with isError`, () =>
      Effect.gen(function* () {
        const c = yield* withFault(fault, check())
        expect(c.outcome).toBe("fail")
        expect(c.error).not.toBeNull()
        expect(c.attempts).toBe(1)
      })
    )
  }

  it.effect(
    "error: a server that never answers initialize ends at the monitor timeout, not the connect timeout",
    () =>
      Effect.gen(function* () {
        // Accepts the connection and the request, never answers.
        const silent = createServer(() => {})
        const url = yield* Effect.promise(
          () =>
            new Promise<string>((resolve) =>
              silent.listen(0, "127.0.0.1", () =>
                resolve(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`)
              )
            )
        )
        const c = yield* check(
          { timeoutMs: 400, retries: 0 },
          server({ id: crypto.randomUUID(), baseUrl: url })
        )
        silent.closeAllConnections()
        silent.close()
        expect(c.outcome).toBe("error")
        expect(c.error).toMatch(/timeout/i)
        // The pool's own connect bound is 15 s; the monitor's 400 ms is what ends the check.
        expect(c.latencyMs).toBeLessThan(5000)
      })
  )

  it.effect("error: a hanging tool ends at the monitor timeout", () =>
    Effect.gen(function* () {
      const c = yield* withFault("hang", check({ timeoutMs: 300 }))
      expect(c.outcome).toBe("error")
      expect(c.error).toMatch(/timeout/i)
      expect(c.latencyMs).toBeLessThan(1000)
    })
  )

  for (const fault of ["invalid_json", "http_401", "not_mcp"] as const) {
    it.effect(`error: ${fault}, not retried`, () =>
      Effect.gen(function* () {
        const c = yield* withFault(fault, check({ retries: 2 }))
        expect(c.outcome).toBe("error")
        expect(c.attempts).toBe(1)
      })
    )
  }

  it.effect("error: HTTP 500 is a transport error, retried `retries` times", () =>
    Effect.gen(function* () {
      const c = yield* withFault("http_500", check({ retries: 2 }))
      expect(c.outcome).toBe("error")
      expect(c.error).toContain("500")
      expect(c.attempts).toBe(3)
    })
  )

  it.effect("reuses one session per server and profile: a check is one tool call", () =>
    Effect.gen(function* () {
      const srv = server({ id: "00000000-0000-4000-8000-0000000000b2", baseUrl: fixture.url })
      yield* check({}, srv)
      const inits = fixture.methods.get("initialize") ?? 0
      const calls = fixture.methods.get("tools/call") ?? 0
      for (let i = 0; i < 5; i++) expect((yield* check({}, srv)).outcome).toBe("pass")
      expect(fixture.methods.get("initialize") ?? 0).toBe(inits)
      expect((fixture.methods.get("tools/call") ?? 0) - calls).toBe(5)
    })
  )

  it.effect("concurrent first checks share one connect; a connected session is handed out at once", () =>
    Effect.gen(function* () {
      const pool = yield* SessionPool
      const srv = server({ id: "00000000-0000-4000-8000-0000000000b3", baseUrl: fixture.url })
      const inits = fixture.methods.get("initialize") ?? 0
      const checks = yield* Effect.all(
        Array.from({ length: 4 }, () => check({}, srv)),
        { concurrency: "unbounded" }
      )
      expect(checks.map((c) => c.outcome)).toEqual(["pass", "pass", "pass", "pass"])
      expect((fixture.methods.get("initialize") ?? 0) - inits).toBe(1)
      // Connected: even a 1 ms wait budget gets the pooled session (no wait, so no timeout).
      const pooled = yield* pool.get(srv, null)
      expect(yield* pool.get(srv, null, 1)).toBe(pooled)
      expect((fixture.methods.get("initialize") ?? 0) - inits).toBe(1)
    })
  )

  it.effect("a crashed server is error; after restart the pool reconnects transparently", () =>
    Effect.gen(function* () {
      const srv = server({ id: "00000000-0000-4000-8000-0000000000b3", baseUrl: fixture.url })
      expect((yield* check({}, srv)).outcome).toBe("pass")
      yield* Effect.promise(() => fixture.crash())
      const down = yield* check({ retries: 0 }, srv)
      expect(down.outcome).toBe("error")
      yield* Effect.promise(() => fixture.restart())
      expect((yield* check({}, srv)).outcome).toBe("pass")
    })
  )

  it.effect("a stdio server process that dies is replaced without failing the check", () =>
    Effect.gen(function* () {
      const marker = join(mkdtempSync(join(tmpdir(), "armature-crash-")), "crashed")
      const srv = stdioFixture({ FIXTURE_FAULT: "crash", FIXTURE_CRASH_MARKER: marker })
      const c = yield* check({ toolName: "list_products", arguments: {}, timeoutMs: 8000, retries: 0 }, srv)
      expect(c.error).toBeNull()
      expect(c.outcome).toBe("pass")
    })
  )

  describe("multi-step monitors", () => {
    it.effect("later steps use earlier results through {{steps.N…}} references", () =>
      Effect.gen(function* () {
        const c = yield* check({
          toolName: "create_order",
          arguments: { product: "gizmo", quantity: 3 },
          nextSteps: [
            {
              toolName: "get_order",
              arguments: { orderId: "{{steps.0.structuredContent.id}}" },
              assertions: []
            }
          ]
        })
        expect(c.outcome).toBe("pass")
        expect(c.resultExcerpt).toContain('"total":30')
      })
    )
    it.effect("a reference to something the result lacks fails the check", () =>
      Effect.gen(function* () {
        const c = yield* check({
          toolName: "list_products",
          arguments: {},
          nextSteps: [
            {
              toolName: "get_order",
              arguments: { orderId: "{{steps.0.structuredContent.missing}}" },
              assertions: []
            }
          ]
        })
        expect(c.outcome).toBe("fail")
        expect(c.error).toContain("step 1")
      })
    )
  })

  it.effect("the pool holds one session per server/profile", () =>
    Effect.gen(function* () {
      expect(yield* (yield* SessionPool).size).toBeGreaterThanOrEqual(1)
    })
  )
})

describe("monitor check records never hold secrets", () => {
  const token = "monitor-bearer-9f8e7d6c5b4a39281706"
  const Secrets = Layer.merge(
    Pool.layer().pipe(
      Layer.provide(Layer.merge(connectorLayer({ "ref-1": token }), secretsLayer({ "ref-1": token })))
    ),
    IdsLayer.layerSequential
  )
  const target = (over: Partial<Monitor>) =>
    MonitorCheck.execute({
      monitor: monitor(over),
      server: server({ baseUrl: fixture.url }),
      profile: profile(),
      scheduledAt: new Date()
    }).pipe(Effect.provide(Secrets), Effect.scoped)

  it("the profile's token, echoed back by the server, is redacted from the excerpt", async () => {
    const c = await Effect.runPromise(target({ toolName: "whoami", arguments: {} }))
    expect(c.outcome).toBe("pass")
    expect(c.resultExcerpt).toContain("authorization:")
    expect(JSON.stringify(c)).not.toContain(token)
  })

  it("a credential-shaped value in a result or an error is redacted", async () => {
    const planted = "amt_abcdefghijkl_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
    const echoed = await Effect.runPromise(
      target({ toolName: "slow_echo", arguments: { text: `key ${planted}` } })
    )
    expect(echoed.outcome).toBe("pass")
    expect(echoed.resultExcerpt).toContain("key ")
    expect(JSON.stringify(echoed)).not.toContain(planted)
    const failed = await Effect.runPromise(target({ toolName: "no_such_tool", arguments: { text: planted } }))
    expect(failed.outcome).toBe("fail")
    expect(JSON.stringify(failed)).not.toContain(token)
  })
})
