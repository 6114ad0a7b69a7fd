/**
 * Monitor assertions and outputSchema validation end to end (issue 13): monitors created over
 * REST with assertions (stored through the PostgreSQL store on PGlite, migration 0012), checked
 * by the real runner over real MCP (Streamable HTTP) against the runner's fixture server, whose
 * faults switch at runtime: `wrong_value` (a plausible but wrong answer, no error) and
 * `output_schema_violation` (structuredContent breaking the declared outputSchema). Each fault
 * is detected with the right outcome and message and each undone fault recovers; the healthy
 * fixture fails nothing over 50 checks.
 */
import type { Caller } from "@armature/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Fault, type Fixture, startFixture } from "../../../runner/test/fixtures/fixtureServer.js"
import { type ApiServer, startApiServer } from "./support/apiServer.js"
import { runCheck as runMonitorCheck } from "./support/monitorChecks.js"

let api: ApiServer
let fixture: Fixture
let owner: Awaited<ReturnType<ApiServer["organization"]>>
let serverId = ""

/** Executes one check like the worker, at a fresh instant (checks are unique per monitor and instant). */
const runCheck = (caller: Caller, monitorId: string) =>
  runMonitorCheck(api, caller, monitorId, new Date(Date.now() + Math.random() * 1e9))

const withFault = async <A>(fault: Fault, f: () => Promise<A>): Promise<A> => {
  fixture.setFault(fault)
  try {
    return await f()
  } finally {
    fixture.setFault("none")
  }
}

const createMonitor = async (body: object) => {
  const reply = await api.request("POST", "/monitors", {
    token: owner.token,
    body: { mcpServerId: serverId, intervalSeconds: 60, timeoutMs: 5000, ...body }
  })
  expect(reply.status, JSON.stringify(reply.body)).toBe(201)
  return reply.body as { id: string; assertions: unknown[]; nextSteps: Array<{ assertions: unknown[] }> }
}

const orderAssertions = [
  { type: "jsonPath", path: "$.status", equals: "shipped" },
  { type: "numberInRange", path: "$.total", min: 20, max: 20 },
  { type: "textMatches", pattern: '"id":"ord-\\d+"' }
]

beforeAll(async () => {
  fixture = await startFixture()
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
  const created = await api.request("POST", "/mcp-servers", {
    token: owner.token,
    body: { name: "fixture-shop", baseUrl: fixture.url }
  })
  serverId = created.body.server.id
}, 120_000)
afterAll(async () => {
  await api?.close()
  await fixture?.close()
})

describe("monitors take assertions over REST", () => {
  it("bad definitions are a 400 naming the field, and nothing is stored", async () => {
    const reply = await api.request("POST", "/monitors", {
      token: owner.token,
      body: {
        name: "bad",
        mcpServerId: serverId,
        toolName: "get_order",
        arguments: { orderId: "ord-1" },
        assertions: [
          { type: "textContains", text: "ord-1" },
          { type: "textMatches", pattern: "(unclosed" },
          { type: "jsonPath", path: "$.items[?(@.qty >)]" },
          { type: "jsonSchema", schema: { type: "bogus" } }
        ],
        nextSteps: [{ toolName: "list_products", assertions: [{ type: "arrayLength", path: "$.products" }] }]
      }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("validation_failed")
    const fields = (reply.body.error.details.fieldErrors as Array<{ field: string }>).map((f) => f.field)
    expect(fields.sort()).toEqual(
      [
        "assertions[1].pattern",
        "assertions[2].path",
        "assertions[3].schema",
        "nextSteps[0].assertions[0].min"
      ].sort()
    )
    expect((await api.request("GET", "/monitors", { token: owner.token })).body.items).toEqual([])
  })

  it("assertions are stored and returned, for the monitor and each step", async () => {
    const created = await createMonitor({
      name: "stored assertions",
      toolName: "get_order",
      arguments: { orderId: "ord-1" },
      assertions: orderAssertions,
      nextSteps: [
        {
          toolName: "list_products",
          assertions: [{ type: "arrayLength", path: "$.products", min: 3 }]
        }
      ]
    })
    const read = await api.request("GET", `/monitors/${created.id}`, { token: owner.token })
    expect(read.body.assertions).toEqual(orderAssertions)
    expect(read.body.nextSteps[0].assertions).toEqual([{ type: "arrayLength", path: "$.products", min: 3 }])
  })
})

describe("faults that answer without an error are detected, and recover when undone", () => {
  it("the healthy fixture gives no failure over 50 checks", async () => {
    const { id } = await createMonitor({
      name: "healthy",
      toolName: "get_order",
      arguments: { orderId: "ord-1" },
      assertions: orderAssertions,
      nextSteps: [
        { toolName: "list_products", assertions: [{ type: "arrayLength", path: "$.products", min: 3 }] }
      ]
    })
    const outcomes: string[] = []
    for (let i = 0; i < 50; i++) {
      const check = await runCheck(owner.caller, id)
      outcomes.push(check.outcome)
      if (check.outcome !== "pass") throw new Error(`check ${i}: ${check.outcome} ${check.error}`)
    }
    expect(new Set(outcomes)).toEqual(new Set(["pass"]))
  }, 60_000)

  it("wrong_value: fail naming the assertion, the path and the actual value; recovers", async () => {
    const { id } = await createMonitor({
      name: "order total",
      toolName: "get_order",
      arguments: { orderId: "ord-1" },
      assertions: orderAssertions
    })
    expect((await runCheck(owner.caller, id)).outcome).toBe("pass")
    const failed = await withFault("wrong_value", () => runCheck(owner.caller, id))
    expect(failed.outcome).toBe("fail")
    expect(failed.error).toBe(
      "assertion_failed: assertions[1] numberInRange ($.total is a number between 20 and 20): found 2"
    )
    const recovered = await runCheck(owner.caller, id)
    expect(recovered).toMatchObject({ outcome: "pass", error: null })

    const history = await api.request("GET", `/monitors/${id}/checks`, { token: owner.token })
    expect(history.body.items.map((c: { outcome: string }) => c.outcome).sort()).toEqual([
      "fail",
      "pass",
      "pass"
    ])
    expect(history.body.items.find((c: { outcome: string }) => c.outcome === "fail").error).toContain(
      "assertions[1] numberInRange"
    )
  })

  it("wrong_value in a later step: fail naming the step and nextSteps[i].assertions[j]", async () => {
    const { id } = await createMonitor({
      name: "catalogue",
      toolName: "get_order",
      arguments: { orderId: "ord-1" },
      nextSteps: [
        {
          toolName: "list_products",
          assertions: [
            { type: "textContains", text: "widget" },
            { type: "arrayLength", path: "$.products", min: 3 }
          ]
        }
      ]
    })
    const failed = await withFault("wrong_value", () => runCheck(owner.caller, id))
    expect(failed.outcome).toBe("fail")
    expect(failed.error).toBe(
      "step 1: assertion_failed: nextSteps[0].assertions[1] arrayLength ($.products is an array of length at least 3): found an array of length 2"
    )
    expect((await runCheck(owner.caller, id)).outcome).toBe("pass")
  })

  it("output_schema_violation: fail even without assertions (every check validates); recovers", async () => {
    const { id } = await createMonitor({
      name: "order schema",
      toolName: "get_order",
      arguments: { orderId: "ord-1" }
    })
    expect((await runCheck(owner.caller, id)).outcome).toBe("pass")
    const failed = await withFault("output_schema_violation", () => runCheck(owner.caller, id))
    expect(failed.outcome).toBe("fail")
    expect(failed.error).toMatch(
      /^output_schema_violation: the structuredContent of get_order does not match/
    )
    expect(failed.error).toContain("(root) is missing required property status")
    expect(failed.error).toContain('/total must be number (found "20.00")')
    const stored = await api.request("GET", `/monitors/${id}`, { token: owner.token })
    expect(stored.body.lastOutcome).toBe("fail")
    expect((await runCheck(owner.caller, id)).outcome).toBe("pass")
    expect((await api.request("GET", `/monitors/${id}`, { token: owner.token })).body.lastOutcome).toBe(
      "pass"
    )
  })

  it("a secret planted in a result is redacted from the assertion message", async () => {
    const { id } = await createMonitor({
      name: "note",
      toolName: "get_order",
      arguments: { orderId: "ord-1" },
      assertions: [{ type: "jsonPath", path: "$.note", equals: "handle with care" }]
    })
    const key = `sk-${"x".repeat(40)}`
    fixture.state.note = `call me with ${key}`
    try {
      const failed = await runCheck(owner.caller, id)
      expect(failed.outcome).toBe("fail")
      expect(failed.error).toContain('found "call me with [REDACTED]"')
      expect(failed.error).not.toContain(key)
    } finally {
      fixture.state.note = "handle with care"
    }
  })
})
