/**
 * Bad input is a 4xx, never a 5xx, and a request cannot make the server hold more than the body
 * limit: size (413), media type (415), nesting, NUL characters and out-of-range integers (400
 * naming the field), and error messages that never echo a large value. Over PGlite, so the
 * production SQL would fail on anything that slipped through (NUL, integer overflow).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ApiServer, startApiServer } from "./support/apiServer.js"
import { send } from "./support/rawHttp.js"

let api: ApiServer
let owner: Awaited<ReturnType<ApiServer["organization"]>>
const limit = 1_048_576
const base = "/api/armature/v1"

beforeAll(async () => {
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
}, 120_000)
afterAll(() => api?.close())

const auth = () => ({ authorization: `Bearer ${owner.token}` })
const json = { "content-type": "application/json" }

describe("a body over the limit (1 MiB by default) is refused with 413 before it is read", () => {
  for (const withKey of [false, true]) {
    it(`by its Content-Length, ${withKey ? "with" : "without"} a valid key`, async () => {
      // Only the headers are sent: the server answers without waiting for the 2 MB it was promised.
      const reply = await send(api.origin, {
        method: "POST",
        path: `${base}/workflows`,
        headers: { ...json, ...(withKey ? auth() : {}), "content-length": String(2 * limit) }
      })
      expect(reply.status).toBe(413)
      expect(reply.body.error.code).toBe("payload_too_large")
      expect(reply.headers.connection).toBe("close")
    })
  }

  it("sent chunked, as soon as the count passes the limit", async () => {
    const chunk = Buffer.alloc(64 * 1024, " ")
    const reply = await send(api.origin, {
      method: "POST",
      path: `${base}/workflows`,
      headers: { ...json, ...auth() },
      // Up to 64 MiB, but the answer comes after about 1 MiB.
      stream: { chunk, maxChunks: 1024 }
    })
    expect(reply.status).toBe(413)
    expect(reply.body.error.code).toBe("payload_too_large")
    expect(reply.bytesSent).toBeLessThan(16 * limit)
  })

  it("a body at the limit is read and validated as usual", async () => {
    const body = JSON.stringify({ name: "x".repeat(limit - 100) })
    const reply = await send(api.origin, {
      method: "POST",
      path: `${base}/workflows`,
      headers: { ...json, ...auth() },
      body
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("validation_failed")
    // The 1 MB name is not echoed back.
    expect(reply.text.length).toBeLessThan(4_000)
  })
})

describe("bodies must be JSON: anything else is 415 unsupported_media_type", () => {
  const cases: ReadonlyArray<readonly [string, Record<string, string>, string]> = [
    ["multipart/form-data", { "content-type": "multipart/form-data; boundary=x" }, "--x\r\n\r\n--x--"],
    ["text/plain", { "content-type": "text/plain" }, '{"name":"w"}'],
    ["url-encoded form", { "content-type": "application/x-www-form-urlencoded" }, "name=w"],
    ["JSON in UTF-16", { "content-type": "application/json; charset=utf-16" }, '{"name":"w"}'],
    ["no content type", {}, '{"name":"w"}']
  ]
  for (const [name, headers, body] of cases) {
    it(name, async () => {
      const reply = await send(api.origin, {
        method: "POST",
        path: `${base}/workflows`,
        headers: { ...headers, ...auth() },
        body
      })
      expect(reply.status).toBe(415)
      expect(reply.body.error.code).toBe("unsupported_media_type")
    })
  }

  it("application/json with charset=utf-8 is accepted", async () => {
    const reply = await send(api.origin, {
      method: "POST",
      path: `${base}/workflows`,
      headers: { "content-type": "application/json; charset=UTF-8", ...auth() },
      body: '{"name":"w"}'
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("validation_failed")
  })

  it("a request without a body needs no content type", async () => {
    const reply = await send(api.origin, { method: "GET", path: `${base}/workflows`, headers: auth() })
    expect(reply.status).toBe(200)
  })
})

describe("JSON nested deeper than the limit (64) is 400 validation_failed, not a stack overflow", () => {
  it("100 000 levels of arrays", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`
    const reply = await api.request("POST", "/workflows", { token: owner.token, rawBody: deep })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors).toEqual([
      { field: "(body)", message: "must not nest arrays and objects deeper than 64 levels" }
    ])
  })

  it("brackets inside strings do not count", async () => {
    const reply = await api.request("POST", "/workflows", {
      token: owner.token,
      body: { name: "[".repeat(1000), prompt: "{".repeat(1000) }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors.map((f: { field: string }) => f.field)).not.toContain(
      "(body)"
    )
  })
})

describe("NUL characters are 400 validation_failed naming the field", () => {
  it("in a string of the body", async () => {
    const reply = await api.request("POST", "/workflows", {
      token: owner.token,
      body: { name: "a\u0000b", prompt: "p" }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors).toContainEqual({
      field: "name",
      message: "must not contain NUL characters (\\u0000)"
    })
  })

  it("in a key of the body", async () => {
    const reply = await api.request("POST", "/monitors", {
      token: owner.token,
      body: { name: "m", mcpServerId: "s", toolName: "t", arguments: { "a\u0000": 1 } }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors[0].field).toBe("arguments.a\\u0000")
  })

  it("%00 in a path parameter", async () => {
    const reply = await api.request("GET", "/workflows/abc%00def", { token: owner.token })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors).toEqual([
      { field: "id", message: "must not contain NUL characters (%00)" }
    ])
  })

  it("%00 in a query parameter", async () => {
    const reply = await api.request("GET", "/workflows?mcpServerId=x%00", { token: owner.token })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors[0].field).toBe("mcpServerId")
  })
})

describe("integers a PostgreSQL integer column cannot hold are 400 validation_failed", () => {
  it("intervalSeconds: 2147483648", async () => {
    const reply = await api.request("POST", "/monitors", {
      token: owner.token,
      body: { name: "m", mcpServerId: "s", toolName: "t", intervalSeconds: 2_147_483_648 }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors).toContainEqual({
      field: "intervalSeconds",
      message: "must be a number between 10 and 2147483647 (got 2147483648)"
    })
  })

  it("degradedAboveMs: 1e12", async () => {
    const reply = await api.request("POST", "/monitors", {
      token: owner.token,
      body: { name: "m", mcpServerId: "s", toolName: "t", degradedAboveMs: 1e12 }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors[0].field).toBe("degradedAboveMs")
  })
})

describe("dates PostgreSQL cannot hold are 400 validation_failed", () => {
  it("the year 0 in a run filter and in a check window", async () => {
    for (const [path, field] of [
      ["/runs?after=0000-01-01T00:00:00Z", "after"],
      ["/runs?before=0001-01-01T00:00:00%2B01:00", "before"],
      [`/monitors/${"0".repeat(8)}/checks?since=0000-01-01`, "since"]
    ] as const) {
      const reply = await api.request("GET", path, { token: owner.token })
      expect([path, reply.status]).toEqual([path, 400])
      expect(reply.body.error.details.fieldErrors[0].field).toBe(field)
    }
  })
})

describe("an error says what a field must be, without library wording or large values", () => {
  it("a wrong type names the field and its expected type; a long value is described, not echoed", async () => {
    const long = "y".repeat(100_000)
    const reply = await api.request("POST", "/workflows", {
      token: owner.token,
      body: { name: 5, prompt: ["p"], criteria: long }
    })
    expect(reply.status).toBe(400)
    const text = JSON.stringify(reply.body)
    expect(text.length).toBeLessThan(2_000)
    expect(text).not.toContain("yyyyyyyyyy")
    expect(text).not.toMatch(/Encoded side|Type side|ReadonlyArray<|readonly \[|actual/)
    expect(reply.body.error.details.fieldErrors).toEqual(
      expect.arrayContaining([
        { field: "name", message: "must be a string (got 5)" },
        { field: "prompt", message: "must be a string (got an array of 1 items)" },
        { field: "criteria", message: "must be an array (got a string of 100000 characters)" }
      ])
    )
  })

  it("a body that is not an object says so", async () => {
    const reply = await api.request("POST", "/monitors", { token: owner.token, body: [1, 2, 3] })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors).toEqual([
      { field: "(root)", message: "must be an object (got an array of 3 items)" }
    ])
  })

  it("an unknown key of 10 000 characters is named in part", async () => {
    const reply = await api.request("POST", "/monitors", {
      token: owner.token,
      body: { name: "m", mcpServerId: "s", toolName: "t", ["k".repeat(10_000)]: 1 }
    })
    expect(reply.status).toBe(400)
    expect(JSON.stringify(reply.body).length).toBeLessThan(2_000)
    expect(reply.body.error.details.fieldErrors[0].message).toMatch(/^is not a known field/)
  })

  it("thousands of bad items give a bounded list", async () => {
    const reply = await api.request("POST", "/workflows", {
      token: owner.token,
      body: { name: "w", mcpServerId: "s", prompt: "p", criteria: Array.from({ length: 5000 }, () => 1) }
    })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors.length).toBeLessThanOrEqual(21)
    expect(reply.body.error.details.fieldErrors.at(-1).field).toBe("(more)")
  })

  it("a query parameter given twice is named", async () => {
    const reply = await api.request("GET", "/workflows?state=active&state=paused", { token: owner.token })
    expect(reply.status).toBe(400)
    expect(reply.body.error.details.fieldErrors).toEqual([
      { field: "state", message: "must be given once, as text" }
    ])
  })

  it("an unknown path is not echoed at length", async () => {
    const reply = await api.request("GET", `/${"z".repeat(5000)}`, { token: owner.token })
    expect(reply.status).toBe(404)
    expect(reply.body.error.message.length).toBeLessThan(300)
  })
})
