/**
 * A run's `timeoutSeconds` is an absolute deadline over the whole run (SPEC §3.2 step 3): model
 * calls that ignore their abort signal, the judge and deterministic tool calls are all cut at it,
 * and the run ends `error` with code `timeout`, keeping the trace recorded so far.
 */
import type { Run, WorkflowSpecInput } from "@armature/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as RunExecutor from "../src/RunExecutor.js"
import { type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { connectorLayer, pendingRun, secretsLayer, server, spec } from "./helpers.js"
import { modelsLayer, type Scripted, scripted } from "./support/scripted.js"

let fixture: Fixture
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(() => fixture.close())

const verdicts = {
  json: {
    verdicts: ["c1", "c2"].map((criterionId) => ({
      criterionId,
      verdict: "pass",
      reasoning: "ok",
      evidence: []
    }))
  }
}
const lookup = { toolCalls: [{ name: "get_order", args: { orderId: "ord-1" } }] }

/** Never settles and never looks at the abort signal: a provider stuck on a dead connection. */
const stuck = () => new Promise<void>(() => {})

const execute = (
  tester: Scripted,
  judge: Scripted,
  over: Partial<WorkflowSpecInput> = {},
  target: Fixture = fixture
): Effect.Effect<Run> =>
  RunExecutor.execute({
    run: pendingRun(),
    spec: spec({ limits: { timeoutSeconds: 1 }, ...over }),
    server: server({ baseUrl: target.url }),
    profile: null
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        connectorLayer(),
        secretsLayer(),
        modelsLayer({ "test:tester": tester, "test:judge": judge })
      )
    ),
    // A guard only: without the deadline these runs never end.
    Effect.timeoutFail({ duration: "15 seconds", onTimeout: () => "the run was not cut" }),
    Effect.orDie
  )

describe("timeoutSeconds is an absolute deadline over the whole run", () => {
  it.live("a tester model call that ignores its abort signal is cut; the trace so far is kept", () =>
    Effect.gen(function* () {
      const tester = scripted([lookup, { text: "never sent" }], {
        beforeCall: (i) => (i === 1 ? stuck() : Promise.resolve())
      })
      const run = yield* execute(tester, scripted([verdicts]))
      expect(run.status).toBe("error")
      expect(run.error?.code).toBe("timeout")
      expect(run.toolCalls.map((c) => [c.id, c.name, c.error])).toEqual([["tc-1", "get_order", null]])
      expect(run.trace.some((e) => e.type === "error" && /timeout/.test(e.text ?? ""))).toBe(true)
      expect(run.usage.find((u) => u.role === "tester")?.inputTokens).toBe(100)
    })
  )

  it.live("a judge that never answers is cut", () =>
    Effect.gen(function* () {
      const judge = scripted([verdicts], { beforeCall: stuck })
      const run = yield* execute(scripted([lookup, { text: "Order ord-1 is shipped." }]), judge)
      expect(run.error?.code).toBe("timeout")
      expect(run.finalAnswer).toBe("Order ord-1 is shipped.")
      expect(run.toolCalls).toHaveLength(1)
      expect(run.trace.some((e) => e.type === "error" && /judge/.test(e.text ?? ""))).toBe(true)
    })
  )

  it.live("a setup call the server never answers is cut, even within its own per-call timeout", () =>
    Effect.gen(function* () {
      const hanging = yield* Effect.acquireRelease(
        Effect.promise(() => startFixture()),
        (f) => Effect.promise(() => f.close())
      )
      hanging.setFault("hang")
      const tester = scripted([{ text: "unused" }])
      const run = yield* execute(
        tester,
        scripted([verdicts]),
        {
          setup: [{ tool: "get_order", arguments: { orderId: "ord-1" } }],
          limits: { timeoutSeconds: 1, callTimeoutSeconds: 600, callTimeoutCapSeconds: 600 }
        },
        hanging
      )
      expect(run.error?.code).toBe("timeout")
      expect(tester.calls).toHaveLength(0)
    }).pipe(Effect.scoped)
  )

  it.live("teardown still runs after the deadline cut the agent", () =>
    Effect.gen(function* () {
      const before = fixture.state.calls.get("list_products") ?? 0
      const tester = scripted([{ text: "never sent" }], { beforeCall: stuck })
      const run = yield* execute(tester, scripted([verdicts]), { teardown: [{ tool: "list_products" }] })
      expect(run.error?.code).toBe("timeout")
      expect(run.toolCalls.map((c) => [c.phase, c.name, c.error])).toEqual([
        ["teardown", "list_products", null]
      ])
      expect(fixture.state.calls.get("list_products")).toBe(before + 1)
    })
  )
})
