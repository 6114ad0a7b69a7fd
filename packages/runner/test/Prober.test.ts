import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Prober from "../src/Prober.js"
import { type Fault, type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { connectorLayer, server } from "./helpers.js"

let fixture: Fixture
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(() => fixture.close())

const probeWith = (fault: Fault) =>
  Effect.acquireUseRelease(
    Effect.sync(() => fixture.setFault(fault)),
    () => Prober.probe(server({ baseUrl: fixture.url }), null, { timeoutMs: 2000 }),
    () => Effect.sync(() => fixture.setFault("none"))
  ).pipe(Effect.provide(connectorLayer()))

describe("Prober", () => {
  it.live("probes serverInfo, protocol version and a stable canonical hash", () =>
    Effect.gen(function* () {
      const a = yield* probeWith("none")
      const b = yield* probeWith("none")
      expect(a.serverInfo).toEqual({ name: "fixture-shop", version: "1.2.3" })
      expect(a.tools).toHaveLength(5)
      expect(a.hash).toMatch(/^[0-9a-f]{64}$/)
      expect(b.hash).toBe(a.hash)
    })
  )

  it.live("follows tools/list pagination to the last page", () =>
    Effect.gen(function* () {
      const whole = yield* probeWith("none")
      fixture.state.pageSize = 2
      const paged = yield* probeWith("none").pipe(
        Effect.ensuring(Effect.sync(() => (fixture.state.pageSize = null)))
      )
      expect(paged.tools.map((t) => t.name)).toEqual(whole.tools.map((t) => t.name))
      expect(paged.hash).toBe(whole.hash)
      expect(fixture.methods.get("tools/list")).toBeGreaterThanOrEqual(4)
    })
  )

  for (const [fault, reason] of [
    ["http_401", "auth_rejected"],
    ["http_500", "http_status"],
    ["invalid_json", "not_mcp"],
    ["not_mcp", "not_mcp"]
  ] as const) {
    it.live(`a ${fault} fault fails the probe with reason ${reason}`, () =>
      Effect.gen(function* () {
        const e = yield* Effect.flip(probeWith(fault))
        expect(e.reason).toBe(reason)
      })
    )
  }

  describe("drift after a fault changes the catalog", () => {
    const cases = [
      ["tool_removed", "breaking", "removed"],
      ["arg_renamed", "breaking", "changed"],
      ["required_arg_added", "breaking", "changed"]
    ] as const
    for (const [fault, severity, where] of cases) {
      it.live(`${fault} → ${severity}`, () =>
        Effect.gen(function* () {
          const before = yield* probeWith("none")
          const after = yield* Effect.acquireUseRelease(
            Effect.sync(() => fixture.setFault(fault)),
            () => Prober.sync(server({ baseUrl: fixture.url }), null, before, { timeoutMs: 2000 }),
            () => Effect.sync(() => fixture.setFault("none"))
          ).pipe(Effect.provide(connectorLayer()))
          expect(after.changed).toBe(true)
          expect(after.diff?.severity).toBe(severity)
          if (where === "removed") expect(after.diff?.removed).toEqual(["get_order"])
          else expect(after.diff?.changed.map((c) => c.tool)).toEqual(["get_order"])
        })
      )
    }
    it.live("an unchanged catalog is not a new version", () =>
      Effect.gen(function* () {
        const before = yield* probeWith("none")
        const again = yield* Prober.sync(server({ baseUrl: fixture.url }), null, before).pipe(
          Effect.provide(connectorLayer())
        )
        expect(again.changed).toBe(false)
        expect(again.diff?.severity).toBeNull()
      })
    )
  })
})
