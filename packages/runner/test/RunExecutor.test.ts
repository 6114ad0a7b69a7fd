import type { AuthProfile, McpServer, Run, WorkflowSpecInput } from "@armature/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as RunExecutor from "../src/RunExecutor.js"
import { type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { connectorLayer, pendingRun, profile, secretsLayer, server, spec } from "./helpers.js"
import { modelsLayer, type Step, scripted } from "./support/scripted.js"

let fixture: Fixture
let secured: Fixture
const bearer = "s3cret-bearer-value-0123456789"
beforeAll(async () => {
  fixture = await startFixture()
  secured = await startFixture({ bearerToken: bearer })
})
afterAll(async () => {
  await fixture.close()
  await secured.close()
})

const verdicts = (...v: Array<"pass" | "partial" | "fail">) => ({
  json: {
    verdicts: v.map((verdict, i) => ({
      criterionId: `c${i + 1}`,
      verdict,
      reasoning: `because ${verdict}`,
      evidence: ["tc-1", "nope"]
    }))
  }
})
const lookup: Step[] = [
  { toolCalls: [{ name: "get_order", args: { orderId: "ord-1" } }] },
  { text: "Order ord-1 is shipped." }
]

interface Case {
  readonly tester: ReadonlyArray<Step>
  readonly judge?: ReadonlyArray<Step>
  readonly spec?: Partial<WorkflowSpecInput>
  readonly server?: McpServer
  readonly profile?: AuthProfile | null
  readonly secrets?: Record<string, string>
  readonly testerModel?: string
}

const runCase = (c: Case): Effect.Effect<Run> =>
  RunExecutor.execute({
    run: pendingRun(c.testerModel ? { testerModel: c.testerModel } : {}),
    spec: spec(c.spec),
    server: c.server ?? server({ baseUrl: fixture.url }),
    profile: c.profile ?? null
  }).pipe(
    Effect.provide(
      Layer.mergeAll(
        connectorLayer(c.secrets),
        secretsLayer(c.secrets),
        modelsLayer({
          "test:tester": scripted(c.tester),
          "test:judge": scripted(c.judge ?? [verdicts("pass", "pass")])
        })
      )
    )
  )

describe("workflow runs end with the right status (SPEC §3.2 step 7)", () => {
  it.live("pass: every required criterion and assertion passed", () =>
    Effect.gen(function* () {
      const run = yield* runCase({
        tester: lookup,
        spec: { assertions: [{ type: "tool_called", tool: "get_order" }, { type: "no_tool_errors" }] }
      })
      expect(run.status).toBe("pass")
      expect(run.finalAnswer).toBe("Order ord-1 is shipped.")
      expect(run.toolCalls).toHaveLength(1)
      expect(run.toolCalls[0]).toMatchObject({
        id: "tc-1",
        phase: "agent",
        step: 1,
        name: "get_order",
        isError: false
      })
      expect(run.criteria[0]?.evidence).toEqual(["tc-1"])
      expect(run.assertions.every((a) => a.passed)).toBe(true)
      expect(run.serverInfo).toEqual({ name: "fixture-shop", version: "1.2.3" })
      expect(run.catalogHash).toMatch(/^[0-9a-f]{64}$/)
      expect(run.usage.map((u) => u.role)).toEqual(["tester", "judge"])
      expect(run.usage[0]).toMatchObject({ inputTokens: 200, outputTokens: 40 })
      expect(run.costUsd).toBeCloseTo((300 * 1 + 60 * 2) / 1e6)
      expect(run.trace.some((e) => e.type === "message" && e.role === "assistant")).toBe(true)
    })
  )

  it.live("progress notifications of an agent's call are in the trace, tied to the call", () =>
    Effect.gen(function* () {
      const run = yield* runCase({
        tester: [
          { toolCalls: [{ name: "slow_echo", args: { text: "hi", delayMs: 150, progressEveryMs: 40 } }] },
          { text: "Echoed hi." }
        ]
      })
      expect(run.status).toBe("pass")
      expect(run.toolCalls.map((c) => [c.id, c.name, c.error])).toEqual([["tc-1", "slow_echo", null]])
      const progress = run.trace.filter((e) => e.type === "progress")
      expect(progress.length).toBeGreaterThanOrEqual(2)
      expect(progress.every((e) => e.toolCallId === "tc-1" && /^\d+\/150$/.test(e.text ?? ""))).toBe(true)
    })
  )

  it.live("partial: some required items passed", () =>
    Effect.gen(function* () {
      const run = yield* runCase({ tester: lookup, judge: [verdicts("pass", "fail")] })
      expect(run.status).toBe("partial")
    })
  )

  it.live("fail: no required item passed; a failing assertion counts", () =>
    Effect.gen(function* () {
      const run = yield* runCase({
        tester: [{ text: "I did nothing." }],
        judge: [verdicts("fail", "fail")],
        spec: { assertions: [{ type: "tool_called", tool: "get_order" }] }
      })
      expect(run.status).toBe("fail")
      expect(run.assertions[0]?.passed).toBe(false)
    })
  )

  describe("error: the run could not complete", () => {
    it.live("judge_failed when the judge output does not validate after one retry", () =>
      Effect.gen(function* () {
        const judge = scripted([{ text: "not json" }, { json: { verdicts: [{ criterionId: "c1" }] } }])
        const run = yield* RunExecutor.execute({
          run: pendingRun(),
          spec: spec(),
          server: server({ baseUrl: fixture.url }),
          profile: null
        }).pipe(
          Effect.provide(
            Layer.mergeAll(
              connectorLayer(),
              secretsLayer(),
              modelsLayer({ "test:tester": scripted(lookup), "test:judge": judge })
            )
          )
        )
        expect(run.status).toBe("error")
        expect(run.error?.code).toBe("judge_failed")
        expect(judge.calls).toHaveLength(2)
      })
    )

    it.live("server_unreachable", () =>
      Effect.gen(function* () {
        const run = yield* runCase({ tester: lookup, server: server({ baseUrl: "http://127.0.0.1:1/mcp" }) })
        expect(run.error?.code).toBe("server_unreachable")
        expect(run.status).toBe("error")
      })
    )

    it.live("auth_rejected", () =>
      Effect.gen(function* () {
        const run = yield* runCase({
          tester: lookup,
          server: server({ baseUrl: secured.url }),
          profile: profile(),
          secrets: { "ref-1": "wrong-token-value" }
        })
        expect(run.error?.code).toBe("auth_rejected")
      })
    )

    it.live("model_not_configured", () =>
      Effect.gen(function* () {
        const run = yield* runCase({ tester: lookup, testerModel: "openai:unknown" })
        expect(run.error?.code).toBe("model_not_configured")
      })
    )

    it.live("model_failure, and teardown still runs", () =>
      Effect.gen(function* () {
        const before = fixture.state.calls.get("list_products") ?? 0
        const run = yield* runCase({
          tester: [{ error: "provider exploded" }],
          spec: { teardown: [{ tool: "list_products" }] }
        })
        expect(run.error?.code).toBe("model_failure")
        expect(run.toolCalls.map((c) => c.phase)).toEqual(["teardown"])
        expect(fixture.state.calls.get("list_products")).toBe(before + 1)
      })
    )

    it.live("timeout: no final answer within timeoutSeconds", () =>
      Effect.gen(function* () {
        const started = Date.now()
        const run = yield* runCase({ tester: [{ hangMs: 10_000 }], spec: { limits: { timeoutSeconds: 1 } } })
        expect(run.error?.code).toBe("timeout")
        expect(Date.now() - started).toBeLessThan(4000)
      })
    )

    it.live("timeout during a tool call: the call is cancelled once on the server and not recorded", () =>
      Effect.gen(function* () {
        const hanging = yield* Effect.promise(() => startFixture())
        // Two calls answer, the third hangs until the run's wall time is up.
        const tester = scripted([...Array.from({ length: 3 }, () => lookup[0]!), lookup[1]!], {
          beforeCall: async (i) => {
            if (i === 2) hanging.setFault("hang")
          }
        })
        const started = Date.now()
        const run = yield* RunExecutor.execute({
          run: pendingRun(),
          spec: spec({ limits: { timeoutSeconds: 1 } }),
          server: server({ baseUrl: hanging.url }),
          profile: null
        }).pipe(
          Effect.provide(
            Layer.mergeAll(
              connectorLayer(),
              secretsLayer(),
              modelsLayer({ "test:tester": tester, "test:judge": scripted([verdicts("pass", "pass")]) })
            )
          )
        )
        expect(run.error?.code).toBe("timeout")
        expect(Date.now() - started).toBeLessThan(4000)
        expect(run.toolCalls.map((c) => [c.id, c.phase, c.error])).toEqual([
          ["tc-1", "agent", null],
          ["tc-2", "agent", null]
        ])
        expect(hanging.state.calls.get("get_order")).toBe(3)
        // Only the call in flight is cancelled: nothing else was left listening on the run's signal.
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 100)))
        expect(hanging.methods.get("notifications/cancelled")).toBe(1)
        yield* Effect.promise(() => hanging.close())
      })
    )

    it.live("transport_failure when the server dies during the run", () =>
      Effect.gen(function* () {
        const doomed = yield* Effect.promise(() => startFixture())
        // The server crashes while the model thinks, before its tool call is sent.
        const crashing = scripted(
          [{ toolCalls: [{ name: "get_order", args: { orderId: "ord-1" } }] }, { text: "?" }],
          {
            beforeCall: async (i) => {
              if (i === 0) await doomed.crash()
            }
          }
        )
        const run = yield* RunExecutor.execute({
          run: pendingRun(),
          spec: spec(),
          server: server({ baseUrl: doomed.url }),
          profile: null
        }).pipe(
          Effect.provide(
            Layer.mergeAll(
              connectorLayer(),
              secretsLayer(),
              modelsLayer({ "test:tester": crashing, "test:judge": scripted([verdicts("pass", "pass")]) })
            )
          ),
          Effect.ensuring(Effect.promise(() => doomed.close()))
        )
        expect(run.status).toBe("error")
        expect(run.error?.code).toBe("transport_failure")
        expect(run.toolCalls[0]?.error).toMatch(/^transport/)
      })
    )
  })
})

describe("tool policy (SPEC §3.3)", () => {
  it.live("a denied tool is never offered; a call to it is refused and recorded, never sent", () =>
    Effect.gen(function* () {
      const before = fixture.state.calls.get("create_order") ?? 0
      const tester = scripted([
        { toolCalls: [{ name: "create_order", args: { product: "widget", quantity: 1 } }] },
        { toolCalls: [{ name: "get_order", args: { orderId: "ord-1" } }] },
        { text: "Done" }
      ])
      const run = yield* RunExecutor.execute({
        run: pendingRun(),
        spec: spec({ toolPolicy: { deniedTools: ["create_*"] } }),
        server: server({ baseUrl: fixture.url }),
        profile: null
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            connectorLayer(),
            secretsLayer(),
            modelsLayer({ "test:tester": tester, "test:judge": scripted([verdicts("pass", "pass")]) })
          )
        )
      )
      const offered = (tester.calls[0]?.tools ?? []).map((t) => t.name)
      expect(offered).not.toContain("create_order")
      expect(offered).toContain("get_order")
      const refused = run.toolCalls.find((c) => c.name === "create_order")
      expect(refused).toMatchObject({ refused: true, phase: "agent" })
      expect(run.trace.some((e) => e.type === "policy_refusal" && e.toolCallId === refused?.id)).toBe(true)
      expect(fixture.state.calls.get("create_order") ?? 0).toBe(before)
      expect(run.toolCalls.find((c) => c.name === "get_order")?.refused).toBe(false)
    })
  )

  it.live("allowDestructive: false hides destructive tools; maxToolCalls refuses further calls", () =>
    Effect.gen(function* () {
      const tester = scripted([
        {
          toolCalls: [
            { name: "list_products", args: {} },
            { name: "get_order", args: { orderId: "ord-1" } }
          ]
        },
        { toolCalls: [{ name: "get_order", args: { orderId: "ord-1" } }] },
        { text: "Done" }
      ])
      const run = yield* RunExecutor.execute({
        run: pendingRun(),
        spec: spec({ toolPolicy: { allowDestructive: false }, limits: { maxToolCalls: 2 } }),
        server: server({ baseUrl: fixture.url }),
        profile: null
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            connectorLayer(),
            secretsLayer(),
            modelsLayer({ "test:tester": tester, "test:judge": scripted([verdicts("pass", "pass")]) })
          )
        )
      )
      expect((tester.calls[0]?.tools ?? []).map((t) => t.name)).not.toContain("create_order")
      expect(run.toolCalls.map((c) => c.refused)).toEqual([false, false, true])
      expect(run.toolCalls[2]?.error).toContain("maxToolCalls")
    })
  )

  it.live("maxSteps stops the loop", () =>
    Effect.gen(function* () {
      const loop: Step = { toolCalls: [{ name: "list_products", args: {} }] }
      const run = yield* runCase({ tester: [loop], spec: { limits: { maxSteps: 3 } } })
      expect(run.toolCalls).toHaveLength(3)
      expect(run.finalAnswer).toBeNull()
    })
  )
})

describe("redaction (SPEC §3.2 step 4)", () => {
  it.live("the bearer token and amt_ tokens are absent from everything stored", () =>
    Effect.gen(function* () {
      const planted = "amt_k3y1d_SuperSecretValue123456"
      secured.state.note = `internal key ${planted}`
      const run = yield* runCase({
        tester: [
          {
            toolCalls: [
              { name: "whoami", args: {} },
              { name: "get_order", args: { orderId: "ord-1" } }
            ]
          },
          { text: `The server saw ${bearer} and the note ${planted}` }
        ],
        server: server({ baseUrl: secured.url }),
        profile: profile(),
        secrets: { "ref-1": bearer }
      })
      expect(run.status).toBe("pass")
      const stored = JSON.stringify(run)
      expect(JSON.stringify(run.toolCalls[0]?.content)).toContain("[REDACTED]")
      expect(stored).not.toContain(bearer)
      expect(stored).not.toContain(planted)
      expect(stored).not.toContain("SuperSecretValue")
    })
  )
})

describe("redaction of OAuth access tokens", () => {
  it.live("a token the connector fetched never reaches the stored run, even echoed bare", () =>
    Effect.gen(function* () {
      const oauth = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startFixture({
            oauth: { clientId: "armature", clientSecret: "client-secret-123", ttlSeconds: 300 }
          })
        ),
        (f) => Effect.promise(() => f.close())
      )
      const run = yield* runCase({
        tester: [{ toolCalls: [{ name: "whoami", args: {} }] }, { text: "done" }],
        server: server({ baseUrl: oauth.url }),
        profile: profile({
          kind: "oauth_client_credentials",
          tokenUrl: oauth.url.replace("/mcp", "/token"),
          clientId: "armature"
        }),
        secrets: { "ref-1": "client-secret-123" }
      })
      const token = (oauth.state.lastAuthorization ?? "").replace("Bearer ", "")
      expect(token).toMatch(/^tok-/)
      expect(run.status).toBe("pass")
      expect(JSON.stringify(run)).not.toContain(token)
      expect(JSON.stringify(run.toolCalls[0]?.content)).toContain("token: [REDACTED]")
    }).pipe(Effect.scoped)
  )
})

describe("run-scoped variables and setup/teardown", () => {
  it.live("renders {{run.*}} and {{vars.*}} into the prompt and step arguments", () =>
    Effect.gen(function* () {
      const tester = scripted(lookup)
      const run = yield* RunExecutor.execute({
        run: pendingRun(),
        spec: spec({
          prompt: "Run {{run.id}} key {{run.key}} at {{run.startedAt}} for {{vars.customer}}",
          variables: { customer: "ACME" },
          setup: [{ tool: "create_order", arguments: { product: "test-{{run.key}}", quantity: 1 } }],
          teardown: [{ tool: "list_products" }]
        }),
        server: server({ baseUrl: fixture.url }),
        profile: null
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            connectorLayer(),
            secretsLayer(),
            modelsLayer({ "test:tester": tester, "test:judge": scripted([verdicts("pass", "pass")]) })
          )
        )
      )
      const user = run.trace.find((e) => e.type === "message" && e.role === "user")?.text ?? ""
      expect(user).toMatch(/^Run 00000000-0000-4000-8000-0000000000f1 key [0-9a-z]{8} at \d{4}-.*Z for ACME$/)
      const key = /key ([0-9a-z]{8})/.exec(user)?.[1]
      expect(run.toolCalls.map((c) => c.phase)).toEqual(["setup", "agent", "teardown"])
      expect(run.toolCalls[0]?.arguments).toEqual({ product: `test-${key}`, quantity: 1 })
      expect(JSON.stringify(tester.calls[0]?.prompt)).toContain("for ACME")
    })
  )
})
