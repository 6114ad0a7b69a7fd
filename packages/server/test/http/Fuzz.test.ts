/**
 * A fuzzer for the REST API: requests generated with fast-check — methods, the paths of the
 * OpenAPI document with odd parameters, query strings, valid bodies with fields swapped for odd
 * values, garbage, deep nesting, NUL characters, huge integers, oversized bodies, odd content
 * types and keys — sent over real HTTP to a server on PGlite (the production SQL). Bad input must
 * be a 4xx: no response may be a 5xx, and every error has the API's shape with a code from
 * core's table. The run is bounded (a fixed number of requests, two at a time); on a failure
 * the seed is printed, so `fc.sample(…, { seed })` gives the same requests again.
 */
import { codes } from "@armature/core"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type ApiServer, startApiServer } from "./support/apiServer.js"
import { type RawReply, type RawRequest, send } from "./support/rawHttp.js"

const requests = 400
const maxBodyBytes = 64 * 1024

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let token = ""
let viewerToken = ""
let paths: ReadonlyArray<{ readonly path: string; readonly methods: ReadonlyArray<string> }> = []
const ids: string[] = []
const bodies: Record<string, unknown>[] = []

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  // Failed keys are part of the input; a high limit keeps most requests reaching the handlers.
  api = await startApiServer("pglite", { maxBodyBytes, authFailures: { limit: 1_000_000 } })
  const owner = await api.organization("Acme")
  token = owner.token
  viewerToken = await api.key(owner.caller, "viewer")
  const document = (await api.request("GET", "/openapi.json", { token: null })).body
  paths = Object.entries(document.paths as Record<string, Record<string, unknown>>).map(([path, ops]) => ({
    path,
    methods: Object.keys(ops).map((m) => m.toUpperCase())
  }))

  // Real records, so generated requests also reach existing servers, workflows and monitors.
  const server = {
    name: "demo-shop",
    baseUrl: demo.url,
    authProfiles: [{ name: "none", kind: "none" }]
  }
  const created = await api.request("POST", "/mcp-servers", { token, body: server })
  const serverId = created.body.server.id
  const profileId = created.body.authProfiles[0].id
  const workflow = {
    name: "Order lookup",
    mcpServerId: serverId,
    prompt: "Find order A-1001.",
    criteria: [{ text: "The agent called get_order" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge",
    toolPolicy: { allowedTools: ["get_order"] },
    limits: { maxSteps: 10 }
  }
  const workflowId = (await api.request("POST", "/workflows", { token, body: workflow })).body.id
  const monitor = {
    name: "order",
    mcpServerId: serverId,
    toolName: "get_order",
    arguments: { orderId: 1001 }
  }
  const monitorId = (await api.request("POST", "/monitors", { token, body: monitor })).body.id
  const run = await api.request("POST", `/workflows/${workflowId}/runs`, { token, body: { reason: "fuzz" } })
  ids.push(serverId, profileId, workflowId, monitorId, run.body.run.id)
  bodies.push(
    { ...server, name: "another" },
    workflow,
    { ...monitor, name: "another", intervalSeconds: 60, timeoutMs: 1000, degradedAboveMs: 500, retries: 1 },
    { idempotencyKey: "k", reason: "r", samples: 2, forceNewRun: true, trigger: "api" },
    { name: "p", kind: "bearer", token: "t0ken-value" },
    { authProfileId: profileId },
    { prompt: "changed", expectedVersionId: "v" }
  )
}, 120_000)

afterAll(async () => {
  // A request that never got an answer (reported above) may hold the server open: give up
  // waiting after a while, so the report is the finding and not a hook timeout.
  const bounded = (p: Promise<unknown> | undefined) =>
    Promise.race([p, new Promise((resolve) => setTimeout(resolve, 20_000).unref())])
  await bounded(api?.close())
  await bounded(demo?.close())
})

/** Strings a careless parser or a database might choke on. */
const nasty = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "💥",
  "'; DROP TABLE workflows; --",
  "../../etc/passwd",
  "%00",
  "x".repeat(5000),
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00+01:00",
  "-271821-04-20T00:00:00Z",
  "99999-01-01",
  "NaN",
  "1e400",
  "null"
)

const oddNumber = fc.oneof(
  fc.constantFrom(2_147_483_648, -2_147_483_649, 9_007_199_254_740_992, 1e308, -0, 0.5, -1, 0),
  fc.integer(),
  fc.double({ noNaN: true })
)

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  nasty,
  oddNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(nasty, { maxLength: 3 }),
  fc.dictionary(nasty, nasty, { maxKeys: 3 })
)

/** A valid body with some fields replaced, removed or added. */
const mutated = fc
  .tuple(
    fc.nat(),
    fc.array(fc.tuple(fc.nat(), oddValue), { minLength: 1, maxLength: 4 }),
    fc.option(fc.tuple(nasty, oddValue))
  )
  .map(([which, changes, extra]) => {
    const body: Record<string, unknown> = { ...bodies[which % bodies.length]! }
    const keys = Object.keys(body)
    for (const [k, value] of changes) body[keys[k % keys.length]!] = value
    if (extra !== null) body[extra[0]] = extra[1]
    return JSON.stringify(body)
  })

const deep = fc
  .tuple(fc.integer({ min: 50, max: 20_000 }), fc.constantFrom("[", '{"a":'))
  .map(([n, open]) => `${open.repeat(n)}1${(open === "[" ? "]" : "}").repeat(n)}`)

const body: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: mutated, weight: 6 },
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 2 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 200 }), weight: 1 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: fc.constant(`{"name":"${"x".repeat(maxBodyBytes + 10)}"}`), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 2 }
)

const contentType = fc.oneof(
  { arbitrary: fc.constant("application/json"), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      "application/json; charset=utf-8",
      "application/json; charset=latin1",
      "text/plain",
      "text/html",
      "multipart/form-data; boundary=zzz",
      "application/x-www-form-urlencoded",
      "application/octet-stream",
      "*/*",
      ";;;"
    ),
    weight: 4
  }
)

/** Percent-encoding; a lone surrogate has no UTF-8 form, so it goes as the bytes of one. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s)
  } catch {
    return "%ED%A0%80"
  }
}

/** A path parameter: a real id, a random one, or something odd, encoded as a client would. */
const segment = fc.oneof(
  fc.nat().map((i) => encode(ids[i % ids.length]!)),
  fc.uuid(),
  nasty.map(encode),
  fc.constantFrom("%00", "%FF", "%E0%A4%A", "%", "..", "%2F")
)

const queryNames = [
  "limit",
  "state",
  "status",
  "mcpServerId",
  "workflowId",
  "search",
  "cursor",
  "before",
  "after",
  "range",
  "since",
  "api_key"
]
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(...queryNames),
      fc.oneof(oddNumber.map(String), nasty, fc.constantFrom("active", "24h", "passed", "%00"))
    ),
    { maxLength: 3 }
  )
  .map((pairs) =>
    pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v === "%00" ? v : encode(v)}`).join("&")}`
  )

const request: fc.Arbitrary<RawRequest> = fc
  .record({
    route: fc.nat(),
    method: fc.oneof(
      { arbitrary: fc.constant(null), weight: 4 },
      { arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"), weight: 1 }
    ),
    params: fc.array(segment, { minLength: 2, maxLength: 2 }),
    query,
    body,
    contentType,
    key: fc.oneof(
      { arbitrary: fc.constant("owner"), weight: 8 },
      { arbitrary: fc.constantFrom("viewer", "none", "garbage", "Bearer"), weight: 2 }
    )
  })
  .map(({ route, method, params, query, body, contentType, key }) => {
    const { path, methods } = paths[route % paths.length]!
    let n = 0
    const filled = path.replace(/\{[^}]+\}/g, () => params[n++]!)
    const headers: Record<string, string> = {}
    if (contentType !== undefined && body !== undefined) headers["content-type"] = contentType
    if (key === "owner") headers.authorization = `Bearer ${token}`
    if (key === "viewer") headers.authorization = `Bearer ${viewerToken}`
    if (key === "garbage") headers.authorization = "Bearer amt_zzzzzzzzzzzz_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
    if (key === "Bearer") headers.authorization = "Bearer"
    return {
      method: method ?? methods[route % methods.length]!,
      path: `${filled}${query}`,
      headers,
      ...(body === undefined ? {} : { body })
    }
  })

/** A request that gets no answer is a finding too (with its seed), not a test timeout. */
const answerMs = 20_000
const answerWithin = (req: RawRequest) =>
  new Promise<RawReply | null>((resolve, reject) => {
    const timer = setTimeout(() => resolve(null), answerMs)
    send(api.origin, req).then(
      (reply) => {
        clearTimeout(timer)
        resolve(reply)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

const shown = (req: RawRequest) =>
  JSON.stringify({ ...req, path: req.path.slice(0, 300), body: req.body?.slice(0, 300) })

/** What is wrong with a response, or `null`. */
const violation = (req: RawRequest, status: number, reply: any): string | null => {
  if (status >= 500) return `status ${status}`
  if (status < 400 || req.method === "HEAD") return null
  const error = reply?.error
  if (typeof error?.code !== "string" || typeof error?.message !== "string")
    return "error body without { code, message }"
  if (!(error.code in codes)) return `unknown error code ${error.code}`
  return null
}

describe("the REST API under fuzzed requests", () => {
  it(`answers ${requests} generated requests without a 5xx, every error in the API's shape`, async () => {
    const seed = Date.now() ^ (Math.random() * 0x7fffffff)
    const generated = fc.sample(request, { numRuns: requests, seed })
    const problems: string[] = []
    const statuses = new Map<number, number>()
    let next = 0
    let hung = 0
    const worker = async () => {
      // A few hung requests are enough to report; more would only run into the test's timeout.
      while (next < generated.length && hung < 3) {
        const req = generated[next++]!
        const reply = await answerWithin(req)
        if (reply === null) {
          hung++
          problems.push(`no answer within ${answerMs} ms: ${shown(req)}`)
          continue
        }
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
        const problem = violation(req, reply.status, reply.body)
        if (problem !== null) {
          problems.push(`${problem}: ${shown(req)} → ${reply.text.slice(0, 300)}`)
        }
      }
    }
    await Promise.all([worker(), worker()])
    expect(
      problems,
      `seed ${seed}; statuses ${JSON.stringify([...statuses])}\n${problems.slice(0, 10).join("\n")}`
    ).toEqual([])
    // Most requests must get past the guard and the key check, or the fuzzer tests little.
    const reached = [...statuses]
      .filter(([s]) => s !== 401 && s !== 413 && s !== 415)
      .reduce((n, [, c]) => n + c, 0)
    expect(reached).toBeGreaterThan(requests / 2)
  }, 180_000)
})
