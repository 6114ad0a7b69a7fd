/**
 * The dashboard's sign-in and sign-out over HTTP, as a browser sends them, on PostgreSQL: the
 * sign-in form's own CSRF token (missing on both sides is refused too), where it may send the
 * visitor back, what it may say, sessions whose key was revoked (ended, not counted against the
 * address again and again), sign-out without a working key, and the invitation form refusing a
 * cross-site post.
 */
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { csrfOf, postForm, sessionCookie } from "./support/session.js"

const postgres = await postgresAvailable("packages/server/test/dashboard/SignIn.test.ts")
const database = Effect.runSync(Scope.make())
let server: AppServer

beforeAll(async () => {
  if (!postgres) return
  server = await startAppServer({
    DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)),
    ARMATURE_SECRET_KEY: Buffer.alloc(32, 5).toString("base64"),
    ARMATURE_AUTH_FAILURE_LIMIT: "5"
  })
}, 120_000)

afterAll(async () => {
  await server?.close()
  await Effect.runPromise(Scope.close(database, Exit.void))
})

const page = (path: string, cookie?: string) =>
  fetch(`${server.origin}${path}`, { redirect: "manual", headers: cookie === undefined ? {} : { cookie } })

const sessionSet = (response: Response) =>
  response.headers.getSetCookie().find((c) => c.startsWith("armature_session="))

describe.runIf(postgres)("dashboard sign-in", () => {
  it("refuses a sign-in post without the form's token, even with neither token nor cookie", async () => {
    const key = await server.key("viewer")
    const bare = await postForm(server.origin, "", "/sign-in", { key, next: "/" })
    expect(bare.status).toBe(403)
    expect(sessionSet(bare)).toBeUndefined()
    const forged = await postForm(server.origin, "armature_sign_in=abc", "/sign-in", { key, csrf: "abd" })
    expect(forged.status).toBe(403)
    expect(sessionSet(forged)).toBeUndefined()
  })

  it("sends the visitor back only to a path of this site, percent-encoded; says only its own reasons", async () => {
    const key = await server.key("viewer")
    const form = await page("/sign-in")
    const cookie = form.headers.getSetCookie()[0]!.split(";")[0]!
    const csrf = csrfOf(await form.text())
    for (const [next, location] of [
      ["/monitors?window=7d", "/monitors?window=7d"],
      ["/ā", "/%C4%81"],
      ["//evil.example/x", "/"],
      ["https://evil.example/", "/"]
    ] as const) {
      const signedIn = await postForm(server.origin, cookie, "/sign-in", { csrf, key, next })
      expect({ next, status: signedIn.status, location: signedIn.headers.get("location") }).toEqual({
        next,
        status: 303,
        location
      })
    }
    expect(await (await page("/sign-in?reason=Email+your+key+to+help%40evil.example")).text()).not.toContain(
      "evil.example"
    )
    expect(await (await page("/sign-in?reason=revoked")).text()).toContain("was revoked")
  })

  it("ends a session whose key was revoked, so later pages are not failed key checks", async () => {
    const admin = await server.key("admin")
    const created = await fetch(`${server.origin}/api/armature/v1/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "soon revoked", role: "viewer" })
    }).then((r) => r.json())
    const cookie = await sessionCookie(server.origin, created.token)
    expect((await page("/", cookie)).status).toBe(200)
    const revoked = await fetch(`${server.origin}/api/armature/v1/api-keys/${created.key.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${admin}` }
    })
    expect(revoked.status).toBe(204)
    const ended = await page("/monitors", cookie)
    expect(ended.status).toBe(303)
    expect(ended.headers.get("location")).toBe("/sign-in?next=%2Fmonitors&reason=revoked")
    expect(sessionSet(ended)).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/)
    // A browser drops the cookie; a tab that keeps sending it is not locked out either way.
    for (let i = 0; i < 8; i++) expect((await page("/monitors")).status).toBe(303)
  })

  it("signs out without a working key, but not without the session's token", async () => {
    const admin = await server.key("admin")
    const created = await fetch(`${server.origin}/api/armature/v1/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "signs out", role: "viewer" })
    }).then((r) => r.json())
    const cookie = await sessionCookie(server.origin, created.token)
    const csrf = csrfOf(await (await page("/", cookie)).text())
    expect((await postForm(server.origin, cookie, "/sign-out", { csrf: "wrong" })).status).toBe(403)
    await fetch(`${server.origin}/api/armature/v1/api-keys/${created.key.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${admin}` }
    })
    const out = await postForm(server.origin, cookie, "/sign-out", { csrf })
    expect(out.status).toBe(303)
    expect(out.headers.get("location")).toBe("/sign-in")
    expect(sessionSet(out)).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/)
  })

  it("refuses an invitation form posted from another site", async () => {
    const refused = await fetch(`${server.origin}/invitations/accept`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ token: "x", email: "a@example.com", name: "A" }).toString()
    })
    expect(refused.status).toBe(403)
    const foreignOrigin = await fetch(`${server.origin}/invitations/accept`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ token: "x", email: "a@example.com", name: "A" }).toString()
    })
    expect(foreignOrigin.status).toBe(403)
  })
})
