import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Replay from "../src/Replay.js"
import * as RunExecutor from "../src/RunExecutor.js"
import { type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { connectorLayer, pendingRun, secretsLayer, server, spec } from "./helpers.js"
import { modelsLayer, scripted } from "./support/scripted.js"

let fixture: Fixture
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(() => fixture.close())

const Live = Layer.mergeAll(
  connectorLayer(),
  secretsLayer(),
  modelsLayer({
    "test:tester": scripted([
      {
        toolCalls: [
          { name: "get_order", args: { orderId: "ord-1" } },
          { name: "list_products", args: {} }
        ]
      },
      { toolCalls: [{ name: "create_order", args: { product: "x", quantity: 1 } }] },
      { text: "done" }
    ]),
    "test:judge": scripted([
      {
        json: {
          verdicts: [
            { criterionId: "c1", verdict: "pass", reasoning: "ok", evidence: [] },
            { criterionId: "c2", verdict: "pass", reasoning: "ok", evidence: [] }
          ]
        }
      }
    ])
  })
)

describe("replay (SPEC §3.5)", () => {
  it.live("re-executes the recorded calls without a model and flags a changed result", () =>
    Effect.gen(function* () {
      const srv = server({ baseUrl: fixture.url })
      const run = yield* RunExecutor.execute({ run: pendingRun(), spec: spec(), server: srv, profile: null })
      expect(run.status).toBe("pass")

      fixture.state.note = "handle with care"
      const same = yield* Replay.replay(run, srv, null)
      expect(same.calls.map((c) => c.name)).toEqual(["get_order", "list_products", "create_order"])
      // create_order names a new order each time: the replay shows exactly that difference.
      expect(same.calls.map((c) => c.status)).toEqual(["same", "same", "changed"])
      expect(same.calls[2]?.changes.map((c) => c.path)).toContain("$.structuredContent.id")

      fixture.state.note = "fragile"
      const changed = yield* Replay.replay(run, srv, null)
      expect(changed.calls[0]?.status).toBe("changed")
      expect(changed.calls[0]?.changes).toContainEqual({
        path: "$.structuredContent.note",
        kind: "changed",
        before: "handle with care",
        after: "fragile"
      })

      fixture.setFault("tool_removed")
      const removed = yield* Replay.replay(run, srv, null).pipe(
        Effect.ensuring(Effect.sync(() => fixture.setFault("none")))
      )
      expect(removed.calls[0]?.changes.some((c) => c.path === "$.isError")).toBe(true)
      expect(removed.identical).toBe(false)
    }).pipe(Effect.provide(Live))
  )

  it.effect("refuses a run that is not terminal", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(Replay.replay(pendingRun(), server({ baseUrl: fixture.url }), null))
      expect(e._tag).toBe("NotReplayable")
    }).pipe(Effect.provide(Live))
  )
})
