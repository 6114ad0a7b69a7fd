/**
 * A request that is refused writes nothing (property-based, PGlite): random bodies against the
 * create and update routes — mostly valid bodies with a few fields set to odd values (blank and
 * padded names, NUL bytes, huge and fractional numbers, wrong types, unknown fields). After
 * every 4xx the organization reads exactly as before; no request gets a 5xx; every list still
 * answers 200, whatever was stored before.
 */
import { FastCheck as fc } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let owner: Awaited<ReturnType<ApiServer["organization"]>>
let serverId = ""
let workflowId = ""

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
  const server = await api.request("POST", "/mcp-servers", {
    token: owner.token,
    body: { name: "demo-shop", baseUrl: demo.url }
  })
  serverId = server.body.server.id
  const workflow = await api.request("POST", "/workflows", {
    token: owner.token,
    body: workflowBody("Lookup")
  })
  workflowId = workflow.body.workflow?.id ?? workflow.body.id
}, 120_000)
afterAll(async () => {
  await api?.close()
  await demo?.close()
})

const workflowBody = (name: string) => ({
  name,
  mcpServerId: serverId,
  prompt: "Find order A-1001 and tell the customer its status.",
  criteria: [{ text: "The agent looked the order up with get_order" }],
  testerModels: ["scripted:tester"],
  judgeModel: "scripted:judge",
  toolPolicy: { allowedTools: ["get_order"] }
})

/** Each write route: how to build a valid body, and the fields a mutation may touch. */
const routes = [
  {
    method: "POST",
    path: () => "/mcp-servers",
    base: (n: number) => ({ name: `server ${n}`, baseUrl: demo.url }),
    fields: ["name", "transport", "baseUrl", "extraHeaders", "authProfiles", "env", "args"]
  },
  {
    method: "POST",
    path: () => `/mcp-servers/${serverId}/auth-profiles`,
    base: (n: number) => ({ name: `profile ${n}`, kind: "bearer", token: "t0ken-value" }),
    fields: ["name", "kind", "token", "headerName", "headerValue"]
  },
  {
    method: "POST",
    path: () => "/monitors",
    base: (n: number) => ({
      name: `monitor ${n}`,
      mcpServerId: serverId,
      toolName: "get_order",
      arguments: { orderId: "A-1001" }
    }),
    fields: [
      "name",
      "intervalSeconds",
      "timeoutMs",
      "degradedAboveMs",
      "retries",
      "arguments",
      "toolName",
      "muted"
    ]
  },
  {
    method: "POST",
    path: () => "/workflows",
    base: (n: number) => workflowBody(`workflow ${n}`),
    fields: ["name", "prompt", "criteria", "testerModels", "schedule", "limits", "toolPolicy", "description"]
  },
  {
    method: "PATCH",
    path: () => `/workflows/${workflowId}`,
    base: () => ({ description: "edited" }),
    fields: ["name", "prompt", "criteria", "schedule", "limits", "toolPolicy", "description"]
  }
] as const

const odd = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      "",
      " ",
      "   ",
      "\t \n",
      "a\u0000b",
      "\u0000",
      "x".repeat(5000),
      "demo-shop",
      " DEMO-SHOP "
    ),
    weight: 4
  },
  fc.string({ maxLength: 30 }),
  fc.constantFrom(2_147_483_648, -1, 0, 9, 10, 1e308, Number.MAX_SAFE_INTEGER, 0.5),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), {
    maxKeys: 3
  })
)

const request = fc.record({
  route: fc.nat({ max: routes.length - 1 }),
  mutations: fc.array(
    fc.record({
      field: fc.nat(),
      value: odd,
      drop: fc.constantFrom(false, false, false, true),
      unknown: fc.constantFrom(false, false, false, true)
    }),
    { minLength: 1, maxLength: 3 }
  )
})

/** Everything the organization holds that these routes write, as the API reads it. */
const snapshot = async () => {
  const lists = await Promise.all(
    ["/mcp-servers", "/monitors", "/workflows"].map((path) =>
      api.request("GET", path, { token: owner.token })
    )
  )
  for (const list of lists) expect(list.status).toBe(200)
  const detail = await api.request("GET", `/mcp-servers/${serverId}`, { token: owner.token })
  expect(detail.status).toBe(200)
  return JSON.stringify([...lists.map((l) => l.body), detail.body])
}

describe("a refused request writes nothing", () => {
  it("after every 4xx the store reads as before; no 5xx; every list answers 200", async () => {
    let before = await snapshot()
    let n = 0
    const statuses: Record<number, number> = {}
    await fc.assert(
      fc.asyncProperty(request, async ({ route: r, mutations }) => {
        const route = routes[r]!
        const body: Record<string, unknown> = route.base(++n)
        for (const m of mutations) {
          // Names are where refused writes used to leave rows behind: one mutation in three.
          const field = m.unknown
            ? `unknown_${m.field % 3}`
            : m.field % 3 === 0
              ? "name"
              : route.fields[m.field % route.fields.length]!
          if (m.drop) delete body[field]
          else body[field] = m.value
        }
        const reply = await api.request(route.method, route.path(), { token: owner.token, body })
        statuses[reply.status] = (statuses[reply.status] ?? 0) + 1
        expect(reply.status, JSON.stringify({ body, reply: reply.body })).toBeLessThan(500)
        const after = await snapshot()
        if (reply.status >= 400) expect(after, JSON.stringify({ body, reply: reply.body })).toBe(before)
        before = after
      }),
      { numRuns: 200, seed: 20261205 }
    )
    // Both kinds happened, or the property said little.
    expect(Object.keys(statuses).some((s) => Number(s) >= 400)).toBe(true)
    expect(Object.keys(statuses).some((s) => Number(s) < 300)).toBe(true)
  }, 240_000)
})

describe("names are unique per organization, ignoring case and space", () => {
  const created = {
    "/mcp-servers": () => ({ name: "Shop Two", baseUrl: demo.url }),
    "/monitors": () => ({
      name: "Order Ping",
      mcpServerId: serverId,
      toolName: "get_order",
      arguments: { orderId: "A-1001" }
    }),
    "/workflows": () => workflowBody("Order Flow")
  } as const

  for (const [path, body] of Object.entries(created)) {
    it(`${path}: a blank name is 400 naming it, a taken one 409, and neither writes`, async () => {
      const first = await api.request("POST", path, { token: owner.token, body: body() })
      expect(first.status).toBe(201)
      const before = await snapshot()
      const blank = await api.request("POST", path, { token: owner.token, body: { ...body(), name: " \t " } })
      expect(blank.status).toBe(400)
      expect(blank.body.error.details.fieldErrors).toEqual([
        { field: "name", message: "must not be empty or only spaces" }
      ])
      const taken = { ...body(), name: `  ${body().name.toUpperCase().replace(" ", "   ")} ` }
      const twin = await api.request("POST", path, { token: owner.token, body: taken })
      expect(twin.status).toBe(409)
      expect(twin.body.error.code).toBe("conflict")
      expect(twin.body.error.details.fieldErrors.map((f: { field: string }) => f.field)).toEqual(["name"])
      expect(await snapshot()).toBe(before)
    })
  }
})
