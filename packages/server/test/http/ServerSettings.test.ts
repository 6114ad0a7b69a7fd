/**
 * The whole server configured from the environment: the access log (one line per request,
 * credentials in query strings masked), `/metrics` behind an admin's key with
 * `ARMATURE_METRICS_REQUIRE_KEY=true`, and the body limit from `ARMATURE_MAX_BODY_BYTES`.
 * On the embedded PGlite in a fresh data dir.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AppServer, startAppServer } from "./support/appServer.js"
import { send } from "./support/rawHttp.js"

const dataDir = mkdtempSync(join(tmpdir(), "armature-settings-"))
let server: AppServer
let admin = ""

beforeAll(async () => {
  server = await startAppServer({
    ARMATURE_DATA_DIR: dataDir,
    ARMATURE_METRICS_REQUIRE_KEY: "true",
    ARMATURE_MAX_BODY_BYTES: "4096",
    ARMATURE_AUTH_FAILURE_LIMIT: "100"
  })
  admin = await server.key("admin")
}, 120_000)

afterAll(async () => {
  await server?.close()
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

/** The access-log lines about `path` (the part of the URL before its query). */
const accessLines = (path: string) =>
  server.logs().filter((l) => l.includes(`http.url=${path}`) || l.includes(`http.url="${path}`))

describe("the access log", () => {
  it("masks the values of credential-like query parameters", async () => {
    const path = "/api/armature/v1/workflows"
    const query = "?api_key=SECRET1&token=SECRET2&access_token=SECRET3&password=SECRET4&state=active&limit=5"
    await fetch(`${server.origin}${path}${query}`, { headers: { authorization: `Bearer ${admin}` } })
    const lines = accessLines(path)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain("api_key=***&token=***&access_token=***&password=***&state=active&limit=5")
    expect(lines[0]).toContain("http.status=200")
    expect(server.logs().join("\n")).not.toMatch(/SECRET\d/)
  })

  it("a 404 is one line, without a stack", async () => {
    for (const path of ["/no-such-page", "/api/armature/v1/no-such-endpoint"]) {
      const before = server.logs().length
      expect((await fetch(`${server.origin}${path}?key=SECRET5`)).status).toBe(404)
      const lines = server.logs().slice(before)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain("http.status=404")
      expect(lines[0]).not.toMatch(/\bat |RouteNotFound|SECRET5/)
    }
  })
})

describe("/metrics with ARMATURE_METRICS_REQUIRE_KEY=true", () => {
  const scrape = (token?: string) =>
    fetch(
      `${server.origin}/metrics`,
      token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }
    )

  it("without a key is 401 unauthenticated", async () => {
    const response = await scrape()
    expect(response.status).toBe(401)
    expect(((await response.json()) as any).error.code).toBe("unauthenticated")
  })

  it("with a viewer's or editor's key is 403 forbidden_role", async () => {
    for (const role of ["viewer", "editor"] as const) {
      const response = await scrape(await server.key(role))
      expect(response.status).toBe(403)
      expect(((await response.json()) as any).error.code).toBe("forbidden_role")
    }
  })

  it("with an admin's key is the Prometheus text", async () => {
    const response = await scrape(admin)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain("armature_monitor_checks_total")
  })

  it("health probes stay open", async () => {
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200)
    expect((await fetch(`${server.origin}/readyz`)).status).toBe(200)
  })
})

describe("ARMATURE_MAX_BODY_BYTES sets the body limit", () => {
  it("a 5 000-byte body is refused with 413 when the limit is 4 096", async () => {
    const reply = await send(server.origin, {
      method: "POST",
      path: "/api/armature/v1/workflows",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
      body: JSON.stringify({ name: "x".repeat(5_000) })
    })
    expect(reply.status).toBe(413)
    expect(reply.body.error.message).toContain("4096")
  })
})
