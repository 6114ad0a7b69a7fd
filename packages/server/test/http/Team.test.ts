/**
 * API keys, members and invitations over REST, through the whole server on PostgreSQL, with
 * invitation email sent through the real Resend SDK to a loopback recorder. Each route: the
 * lowest allowed role (admin) succeeds, the role below (editor) gets 403 `forbidden_role`, and a
 * bad input is a 400 naming the field. End to end: an admin invites → the email carries the
 * link → accepting it (no key: the token is the proof) makes a member whose key works with the
 * invited role; a used, revoked or expired invitation is refused; a demoted member's key is
 * demoted, a removed member's key stops working.
 */
import { OrgStore, Team } from "@armature/core"
import { Effect, Exit, Option, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Destinations, startDestinations } from "../../../alerts/test/support/destinations.js"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { type AppServer, startAppServer } from "./support/appServer.js"
import { fieldsOf } from "./support/postgresApi.js"

const postgres = await postgresAvailable("packages/server/test/http/Team.test.ts")
const database = Effect.runSync(Scope.make())

let server: AppServer
let to: Destinations
let admin = ""
let editor = ""

/** A request with `token` (none: no Authorization header); the status and the parsed body. */
const call = async (token: string | null, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.origin}/api/armature/v1${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: text === "" ? null : JSON.parse(text), text }
}

beforeAll(async () => {
  if (!postgres) return
  to = await startDestinations()
  server = await startAppServer({
    DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)),
    ARMATURE_SECRET_KEY: Buffer.alloc(32, 7).toString("base64"),
    ARMATURE_PUBLIC_URL: "https://armature.example.test",
    RESEND_API_KEY: "re_team",
    RESEND_BASE_URL: to.resendBaseUrl,
    ARMATURE_EMAIL_FROM: "Armature <team@armature.test>"
  })
  admin = await server.key("admin")
  editor = await server.key("editor")
}, 120_000)

afterAll(async () => {
  await server?.close()
  await to?.close()
  await Effect.runPromise(Scope.close(database, Exit.void))
}, 60_000)

describe.runIf(postgres)("API keys over REST", () => {
  it("an admin creates a key (token once), lists keys without secrets, and revokes one: its next request is 401", async () => {
    const created = await call(admin, "POST", "/api-keys", { name: "ci", role: "editor" })
    expect(created.status).toBe(201)
    expect(created.body.key).toMatchObject({ name: "ci", role: "editor" })
    const token = created.body.token as string
    expect(token).toMatch(/^amt_/)
    expect((await call(token, "GET", "/monitors")).status).toBe(200)

    const listed = await call(admin, "GET", "/api-keys")
    expect(listed.status).toBe(200)
    expect(listed.body.items.map((k: { id: string }) => k.id)).toContain(created.body.key.id)
    const secret = token.split("_").slice(2).join("_")
    expect(listed.text).not.toContain(secret)
    expect(listed.text).not.toContain("scrypt")

    expect((await call(admin, "DELETE", `/api-keys/${created.body.key.id}`)).status).toBe(204)
    expect((await call(token, "GET", "/monitors")).status).toBe(401)
    expect((await call(admin, "DELETE", `/api-keys/${created.body.key.id}`)).status).toBe(404)
  })

  it("an editor gets 403 on every key route; a bad role or a blank name is a 400 naming the field", async () => {
    for (const [method, path, body] of [
      ["POST", "/api-keys", { name: "x" }],
      ["GET", "/api-keys", undefined],
      ["DELETE", "/api-keys/abc", undefined]
    ] as const) {
      const reply = await call(editor, method, path, body)
      expect({ path, method, status: reply.status, code: reply.body.error.code }).toEqual({
        path,
        method,
        status: 403,
        code: "forbidden_role"
      })
    }
    const bad = await call(admin, "POST", "/api-keys", { name: " ", role: "root" })
    expect(bad.status).toBe(400)
    expect(fieldsOf(bad.body).sort()).toEqual(["name", "role"])
    // Above the creator's own role: refused, nothing made.
    const before = (await call(admin, "GET", "/api-keys")).body.items.length
    expect((await call(admin, "POST", "/api-keys", { name: "owner key", role: "owner" })).status).toBe(403)
    expect((await call(admin, "GET", "/api-keys")).body.items.length).toBe(before)
  })
})

describe.runIf(postgres)("invitations and members over REST", () => {
  const accept = (token: string, email: string, name = "Ada") =>
    call(null, "POST", "/invitations/accept", { token, email, name })

  it("invite → email with the link → accept without a key → the member's key works with the invited role", async () => {
    const invited = await call(admin, "POST", "/invitations", { email: "Ada@Example.com", role: "editor" })
    expect(invited.status).toBe(201)
    expect(invited.body.email).toEqual({ sent: true })
    expect(invited.body.invitation).toMatchObject({ email: "ada@example.com", role: "editor" })
    expect(invited.body.invitation.tokenHash).toBeUndefined()
    const token = invited.body.token as string
    expect(invited.body.link).toBe(
      `https://armature.example.test/invitations/accept?token=${encodeURIComponent(token)}`
    )
    const mail = to.emails().find((e) => e.to.includes("ada@example.com"))!
    expect(mail.subject).toContain("Join")
    expect(mail.text).toContain(invited.body.link)

    const pending = await call(admin, "GET", "/invitations")
    expect(pending.body.items.map((i: { id: string }) => i.id)).toContain(invited.body.invitation.id)
    expect(pending.text).not.toContain(token)

    // The address must be the invited one.
    const other = await accept(token, "eve@example.com")
    expect(other.status).toBe(400)
    expect(fieldsOf(other.body)).toEqual(["email"])

    const accepted = await accept(token, "ada@example.com")
    expect(accepted.status).toBe(201)
    expect(accepted.body.member).toMatchObject({ email: "ada@example.com", name: "Ada", role: "editor" })
    const key = accepted.body.token as string
    const org = await call(key, "GET", "/org")
    expect(org.body.actor.role).toBe("editor")
    expect((await call(key, "GET", "/monitors")).status).toBe(200)

    const again = await accept(token, "ada@example.com")
    expect(again.status).toBe(400)
    expect(fieldsOf(again.body)).toEqual(["token"])
    expect(again.text).toContain("already used")
    expect(
      (await call(admin, "GET", "/invitations")).body.items.map((i: { id: string }) => i.id)
    ).not.toContain(invited.body.invitation.id)

    // Members: an admin demotes Ada (her key is demoted with her), then removes her (her key stops).
    const members = await call(admin, "GET", "/members")
    expect(members.status).toBe(200)
    const ada = members.body.items.find((m: { email: string }) => m.email === "ada@example.com")
    expect((await call(editor, "GET", "/members")).status).toBe(403)
    const owner = await call(admin, "PATCH", `/members/${ada.id}`, { role: "owner" })
    expect(owner.status).toBe(400)
    expect(fieldsOf(owner.body)).toEqual(["role"])
    expect((await call(editor, "PATCH", `/members/${ada.id}`, { role: "viewer" })).status).toBe(403)
    const demoted = await call(admin, "PATCH", `/members/${ada.id}`, { role: "viewer" })
    expect(demoted.status).toBe(200)
    expect((await call(key, "GET", "/org")).body.actor.role).toBe("viewer")
    expect((await call(key, "POST", "/monitors", {})).status).toBe(403)
    expect((await call(editor, "DELETE", `/members/${ada.id}`)).status).toBe(403)
    expect((await call(admin, "DELETE", `/members/${ada.id}`)).status).toBe(204)
    expect((await call(key, "GET", "/monitors")).status).toBe(401)
  })

  it("a shareable link (no email) sends nothing; a revoked or expired invitation is refused", async () => {
    const sent = to.emails().length
    const link = await call(admin, "POST", "/invitations", { role: "viewer" })
    expect(link.status).toBe(201)
    expect(link.body.email).toBeNull()
    expect(to.emails().length).toBe(sent)

    expect((await call(editor, "DELETE", `/invitations/${link.body.invitation.id}`)).status).toBe(403)
    expect((await call(admin, "DELETE", `/invitations/${link.body.invitation.id}`)).status).toBe(204)
    const revoked = await accept(link.body.token, "bob@example.com", "Bob")
    expect(revoked.status).toBe(400)
    expect(revoked.text).toContain("revoked")

    const later = await call(admin, "POST", "/invitations", { role: "viewer" })
    await server.run(
      Effect.gen(function* () {
        const store = yield* OrgStore
        const found = Option.getOrThrow(
          yield* store.getInvitationByTokenHash(Team.hashInvitationToken(later.body.token))
        )
        yield* store.updateInvitation({ ...found, expiresAt: new Date(Date.now() - 1000) })
      })
    )
    const expired = await accept(later.body.token, "carol@example.com", "Carol")
    expect(expired.status).toBe(400)
    expect(fieldsOf(expired.body)).toEqual(["token"])
    expect(expired.text).toContain("expired")
  })

  it("the emailed link opens a page whose form accepts the invitation and shows the key once", async () => {
    const invited = await call(admin, "POST", "/invitations", { email: "grace@example.com", role: "viewer" })
    const link = new URL(invited.body.link as string)
    const page = await fetch(`${server.origin}${link.pathname}${link.search}`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toContain("text/html")
    const html = await page.text()
    expect(html).toContain(`name="token" value="${invited.body.token}"`)

    const form = new URLSearchParams({ token: invited.body.token, email: "grace@example.com", name: "Grace" })
    const posted = await fetch(`${server.origin}/invitations/accept`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString()
    })
    expect(posted.status).toBe(201)
    const key = /amt_[A-Za-z0-9_-]+/.exec(await posted.text())![0]
    expect((await call(key, "GET", "/org")).body.actor.role).toBe("viewer")

    // Markup in a link is shown as text; a used token is refused on the page too.
    const hostile = await fetch(
      `${server.origin}/invitations/accept?token=${encodeURIComponent('"><script>x</script>')}`
    )
    expect(await hostile.text()).not.toContain("<script>x")
    const reused = await fetch(`${server.origin}/invitations/accept`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString()
    })
    expect(reused.status).toBe(400)
    expect(await reused.text()).toContain("already used")
  })

  it("inviting needs admin; owner is never invitable; a bad email is named", async () => {
    expect((await call(editor, "POST", "/invitations", { role: "viewer" })).status).toBe(403)
    expect((await call(editor, "GET", "/invitations")).status).toBe(403)
    const owner = await call(admin, "POST", "/invitations", { role: "owner" })
    expect(owner.status).toBe(400)
    expect(fieldsOf(owner.body)).toEqual(["role"])
    const email = await call(admin, "POST", "/invitations", { role: "viewer", email: "not-an-address" })
    expect(email.status).toBe(400)
    expect(fieldsOf(email.body)).toEqual(["email"])
    const unknown = await accept("inv_nope", "x@example.com")
    expect(unknown.status).toBe(400)
    expect(fieldsOf(unknown.body)).toEqual(["token"])
  })
})
