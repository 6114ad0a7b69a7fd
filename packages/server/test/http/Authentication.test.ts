/**
 * API-key authentication, `GET /org`, role checks and the OpenAPI document, over core's
 * in-memory store (only the HTTP layer is under test here).
 */
import { ApiKeys, OrgStore } from "@armature/core"
import { Effect, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let owner: Awaited<ReturnType<ApiServer["organization"]>>

beforeAll(async () => {
  api = await startApiServer("memory")
  owner = await api.organization("Acme")
}, 60_000)
afterAll(() => api?.close())

describe("a request without a valid API key is refused with 401", () => {
  it("no Authorization header", async () => {
    const reply = await api.request("GET", "/org", { token: null })
    expect(reply.status).toBe(401)
    expect(reply.body.error.code).toBe("unauthenticated")
    expect(reply.headers.get("www-authenticate")).toBe("Bearer")
  })

  it("a malformed token, and a well-formed one with a wrong secret", async () => {
    const wrongSecret = `${owner.token.slice(0, owner.token.lastIndexOf("_") + 1)}${"x".repeat(43)}`
    for (const token of ["not-a-key", wrongSecret]) {
      const reply = await api.request("GET", "/workflows", { token })
      expect(reply.status).toBe(401)
      expect(reply.body).toEqual({
        error: { code: "unauthenticated", message: "Invalid or revoked API key." }
      })
      expect(JSON.stringify(reply.body)).not.toContain(token)
    }
  })

  it("routes beside the API on the same router (health, metrics) need no key", async () => {
    const reply = await fetch(`${api.origin}/ping`)
    expect(reply.status).toBe(200)
    expect(await reply.json()).toEqual({ pong: true })
  })

  it("authentication comes before body validation", async () => {
    const reply = await api.request("POST", "/mcp-servers", { token: null, body: { name: "" } })
    expect(reply.status).toBe(401)
  })

  it("a revoked key stops working on the next request", async () => {
    const token = await api.key(owner.caller, "editor")
    expect((await api.request("GET", "/org", { token })).status).toBe(200)
    const keyId = ApiKeys.parseToken(token)!.keyId
    await api.run(ApiKeys.revoke(owner.caller, keyId))
    expect((await api.request("GET", "/org", { token })).status).toBe(401)
  })
})

describe("GET /org returns the organization and the actor", () => {
  it("names the key, the member and the role, and records the key's use", async () => {
    const reply = await api.request("GET", "/org", { token: owner.token })
    expect(reply.status).toBe(200)
    expect(reply.body.organization).toMatchObject({ id: owner.orgId, name: "Acme", slug: "acme" })
    expect(reply.body.actor).toEqual({
      keyId: owner.caller.actor.keyId,
      keyName: "Olga Owner (owner)",
      memberId: owner.caller.actor.memberId,
      member: { id: owner.caller.actor.memberId, email: "owner@acme.test", name: "Olga Owner" },
      role: "owner"
    })
    const key = await api.run(Effect.flatMap(OrgStore, (s) => s.getApiKey(owner.caller.actor.keyId!)))
    expect(Option.getOrThrow(key).lastUsedAt).not.toBeNull()
  })

  it("a viewer key sees its own, frozen role", async () => {
    const token = await api.key(owner.caller, "viewer")
    const reply = await api.request("GET", "/org", { token })
    expect(reply.body.actor).toMatchObject({ keyName: "viewer key", role: "viewer" })
  })

  it("another organization's key sees only its own organization", async () => {
    const other = await api.organization("Globex")
    const reply = await api.request("GET", "/org", { token: other.token })
    expect(reply.body.organization.id).toBe(other.orgId)
    expect(reply.body.organization.id).not.toBe(owner.orgId)
  })
})

describe("writes need the editor role", () => {
  it("a viewer writing gets 403 forbidden_role and nothing is stored", async () => {
    const token = await api.key(owner.caller, "viewer")
    const reply = await api.request("POST", "/workflows", { token, body: { name: "x" } })
    expect(reply.status).toBe(403)
    expect(reply.body.error.code).toBe("forbidden_role")
    expect(reply.body.error.message).toContain("viewer")
    expect((await api.request("GET", "/workflows", { token })).body.items).toEqual([])
  })

  it("a viewer may read", async () => {
    const token = await api.key(owner.caller, "viewer")
    const reply = await api.request("GET", "/mcp-servers", { token })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ items: [], nextCursor: null })
  })
})

describe("errors outside the handlers use the API's error format", () => {
  it("a body that is not JSON is a 400 validation_failed", async () => {
    const reply = await api.request("POST", "/workflows", { token: owner.token, rawBody: "{not json" })
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe("validation_failed")
    expect(reply.body.error.details.fieldErrors[0].field).toBe("(body)")
  })

  it("an unknown path under the API prefix is a 404 not_found", async () => {
    const reply = await api.request("GET", "/no-such-thing", { token: owner.token })
    expect(reply.status).toBe(404)
    expect(reply.body.error.code).toBe("not_found")
  })

  it("an unknown id is a 404 with the entity's code", async () => {
    const id = "00000000-0000-4000-8000-00000000ffff"
    const cases = [
      ["/mcp-servers/", "mcp_server_not_found"],
      ["/workflows/", "workflow_not_found"],
      ["/runs/", "run_not_found"],
      ["/monitors/", "monitor_not_found"]
    ] as const
    for (const [path, code] of cases) {
      const reply = await api.request("GET", `${path}${id}`, { token: owner.token })
      expect(reply.status).toBe(404)
      expect(reply.body.error.code).toBe(code)
    }
  })
})

describe("the OpenAPI document", () => {
  it("is served without a key at /api/armature/v1/openapi.json and lists the paths", async () => {
    const reply = await api.request("GET", "/openapi.json", { token: null })
    expect(reply.status).toBe(200)
    expect(reply.body.openapi).toMatch(/^3\./)
    const paths = Object.keys(reply.body.paths)
    for (const path of [
      "/api/armature/v1/org",
      "/api/armature/v1/mcp-servers",
      "/api/armature/v1/mcp-servers/{id}/coverage",
      "/api/armature/v1/workflows/{id}/runs",
      "/api/armature/v1/runs",
      "/api/armature/v1/runs/{id}/trace",
      "/api/armature/v1/monitors/{id}/checks"
    ]) {
      expect(paths).toContain(path)
    }
    expect(reply.body.paths["/api/armature/v1/workflows"].post.security).toEqual([{ apiKey: [] }])
  })
})
