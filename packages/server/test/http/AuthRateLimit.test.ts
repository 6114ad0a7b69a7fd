/**
 * Failed API-key checks are limited per client address: past the limit within the window, a
 * failure is 429 `rate_limited` with `Retry-After`; a valid key is never refused and successes
 * do not count. Over core's in-memory store, with a limit of 3 per 2-second window.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let owner: Awaited<ReturnType<ApiServer["organization"]>>

beforeAll(async () => {
  api = await startApiServer("memory", { authFailures: { limit: 3, window: "2 seconds" } })
  owner = await api.organization("Acme")
}, 60_000)
afterAll(() => api?.close())

const wrongKey = () => `${owner.token.slice(0, owner.token.lastIndexOf("_") + 1)}${"x".repeat(43)}`

describe("failed authentication is rate-limited per client address", () => {
  it("successes do not count; past 3 failures the next is 429 with Retry-After; a valid key still works", async () => {
    for (let i = 0; i < 10; i++)
      expect((await api.request("GET", "/org", { token: owner.token })).status).toBe(200)

    const failures = [wrongKey(), "not-a-key", null]
    for (const token of failures) {
      const reply = await api.request("GET", "/workflows", { token })
      expect(reply.status).toBe(401)
    }

    const limited = await api.request("GET", "/workflows", { token: wrongKey() })
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe("rate_limited")
    const retryAfter = limited.body.error.details.retryAfterSeconds
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(2)
    expect(limited.headers.get("retry-after")).toBe(String(retryAfter))
    expect(JSON.stringify(limited.body)).not.toContain("xxxxxxxx")

    // Every endpoint checks the key before it uses a body; a write is limited alike.
    expect((await api.request("POST", "/workflows", { token: null, body: { name: "w" } })).status).toBe(429)

    expect((await api.request("GET", "/org", { token: owner.token })).status).toBe(200)
  })

  it("after the window the address may fail again (401, not 429)", async () => {
    await new Promise((r) => setTimeout(r, 2_100))
    expect((await api.request("GET", "/workflows", { token: wrongKey() })).status).toBe(401)
  })
})
