/**
 * While the database is out of reach the server answers 503 `store_unavailable` (and `/readyz`
 * 503), not 500, and recovers by itself. The whole server runs on PostgreSQL through a loopback
 * TCP proxy that the test cuts; the database server itself is never touched.
 */
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { type AppServer, startAppServer } from "./support/appServer.js"
import { startTcpProxy, type TcpProxy } from "./support/tcpProxy.js"

const available = await postgresAvailable("packages/server/test/http/StoreOutage.test.ts")

describe.runIf(available)("a database outage", () => {
  const database = Effect.runSync(Scope.make())
  let proxy: TcpProxy
  let server: AppServer
  let key = ""

  beforeAll(async () => {
    const url = new URL(await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)))
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) })
    url.hostname = "127.0.0.1"
    url.port = String(proxy.port)
    server = await startAppServer({
      DATABASE_URL: url.toString(),
      ARMATURE_SECRET_KEY: Buffer.alloc(32, 7).toString("base64")
    })
    key = await server.key("owner")
  }, 120_000)

  afterAll(async () => {
    await server?.close()
    await proxy?.close()
    await Effect.runPromise(Scope.close(database, Exit.void))
  }, 60_000)

  const get = async (path: string, token: string | null = key) => {
    const response = await fetch(`${server.origin}${path}`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` }
    })
    return { status: response.status, body: (await response.json()) as any }
  }

  it("answers 503 store_unavailable while it lasts, and recovers when it ends", async () => {
    expect((await get("/api/armature/v1/workflows")).status).toBe(200)
    expect((await get("/readyz", null)).status).toBe(200)

    proxy.cut()
    try {
      for (const path of [
        "/api/armature/v1/workflows",
        "/api/armature/v1/monitors",
        "/api/armature/v1/org"
      ]) {
        const reply = await get(path)
        expect([path, reply.status]).toEqual([path, 503])
        expect(reply.body).toEqual({
          error: { code: "store_unavailable", message: "The database is unavailable; try again shortly." }
        })
      }
      // A key the server has not seen needs the database to be checked: 503, not 401 or 500.
      expect((await get("/api/armature/v1/org", `${key.slice(0, -4)}abcd`)).status).toBe(503)
      const write = await fetch(`${server.origin}/api/armature/v1/workflows`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "w" })
      })
      expect(write.status).toBe(503)
      expect((await get("/readyz", null)).status).toBe(503)
    } finally {
      proxy.restore()
    }

    // The pool reconnects on the next use.
    let status = 0
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await get("/api/armature/v1/workflows")).status
      if (status !== 200) await new Promise((r) => setTimeout(r, 250))
    }
    expect(status).toBe(200)
    expect((await get("/readyz", null)).status).toBe(200)
  })
})
