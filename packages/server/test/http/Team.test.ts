/**
 * API keys, members and invitations over REST, through the whole server on PostgreSQL, called
 * through the typed client (`@armature/server/api`), so each reply must also match its declared
 * schema, with invitation email sent through the real Resend SDK to a loopback recorder. Each
 * route: the lowest allowed role (admin) succeeds, the role below (editor) gets 403
 * `forbidden_role`, and a bad input is a 400 naming the field. End to end: an admin invites →
 * the email carries the link → accepting it (a client without a key: the token is the proof)
 * makes a member whose key works with the invited role; a used, revoked or expired invitation is
 * refused; a demoted member's key is demoted, a removed member's key stops working. Raw requests
 * remain for what the typed client cannot send (a value its body or path schema refuses) or would
 * hide (the wire text of a reply, which decoding trims to the declared fields).
 */
import { OrgStore, Team } from "@armature/core"
import { Effect, Exit, Option, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Destinations, startDestinations } from "../../../alerts/test/support/destinations.js"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { csrfOf, postForm } from "../dashboard/support/session.js"
import { type AppServer, startAppServer } from "./support/appServer.js"
import { fieldsOf, ok, refusal, typedCalls } from "./support/postgresApi.js"

const postgres = await postgresAvailable("packages/server/test/http/Team.test.ts")
const database = Effect.runSync(Scope.make())

let server: AppServer
let to: Destinations
let admin = ""
let editor = ""
/** A call through the typed client as the holder of a token (`null`: no key at all). */
let api: ReturnType<typeof typedCalls>

/** A raw request with `token` (none: no Authorization header); the status, the parsed body and the text. */
const raw = async (token: string | null, method: string, path: string, body?: unknown) => {
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
  api = typedCalls(server.origin)
  admin = await server.key("admin")
  editor = await server.key("editor")
}, 120_000)

afterAll(async () => {
  await server?.close()
  await to?.close()
  await Effect.runPromise(Scope.close(database, Exit.void))
}, 60_000)

/** The role a key acts with (`GET /org`). */
const roleOf = async (token: string) => ok(await api(token, (client) => client.org.get())).actor.role

/** Whether a key can read (`GET /monitors`): its value, or the refusal. */
const listMonitors = (token: string) => api(token, (client) => client.monitors.list({ urlParams: {} }))

const forbidden = { status: 403, code: "forbidden_role" }

describe.runIf(postgres)("API keys over REST", () => {
  it("an admin creates a key (token once), lists keys without secrets, and revokes one: its next request is 401", async () => {
    const created = ok(
      await api(admin, (client) => client.team.createKey({ payload: { name: "ci", role: "editor" } }))
    )
    expect(created.key).toMatchObject({ name: "ci", role: "editor" })
    const token = created.token
    expect(token).toMatch(/^amt_/)
    ok(await listMonitors(token))

    const listed = ok(await api(admin, (client) => client.team.listKeys({ urlParams: {} })))
    expect(listed.items.map((k) => k.id)).toContain(created.key.id)
    // Raw: decoding keeps only the declared fields, so only the wire text shows no secret is sent.
    const listedRaw = await raw(admin, "GET", "/api-keys")
    expect(listedRaw.status).toBe(200)
    const secret = token.split("_").slice(2).join("_")
    expect(listedRaw.text).not.toContain(secret)
    expect(listedRaw.text).not.toContain("scrypt")

    // The typed client accepts only the declared 204 No Content as success.
    ok(await api(admin, (client) => client.team.revokeKey({ path: { id: created.key.id } })))
    expect(refusal(await listMonitors(token))).toMatchObject({ status: 401, code: "unauthenticated" })
    const again = await api(admin, (client) => client.team.revokeKey({ path: { id: created.key.id } }))
    expect(refusal(again)).toMatchObject({ status: 404 })
  })

  it("an editor gets 403 on every key route; a blank name or a bad role is a 400 naming the field", async () => {
    const keyCount = async () =>
      ok(await api(admin, (client) => client.team.listKeys({ urlParams: {} }))).items.length
    const before = await keyCount()
    const editorCalls = [
      ["createKey", await api(editor, (client) => client.team.createKey({ payload: { name: "x" } }))],
      ["listKeys", await api(editor, (client) => client.team.listKeys({ urlParams: {} }))],
      ["revokeKey", await api(editor, (client) => client.team.revokeKey({ path: { id: "abc" } }))]
    ] as const
    for (const [endpoint, called] of editorCalls) {
      expect({ endpoint, ...refusal(called) }).toMatchObject({ endpoint, ...forbidden })
    }
    const blank = await api(admin, (client) => client.team.createKey({ payload: { name: " " } }))
    expect(refusal(blank)).toMatchObject({ status: 400, code: "validation_failed", fields: ["name"] })
    // Raw: a role outside the declared ones is what a client without the schema can send.
    const bad = await raw(admin, "POST", "/api-keys", { name: " ", role: "root" })
    expect(bad.status).toBe(400)
    expect(fieldsOf(bad.body).sort()).toEqual(["name", "role"])
    // Above the creator's own role: refused, nothing made.
    const ownerKey = await api(admin, (client) =>
      client.team.createKey({ payload: { name: "owner key", role: "owner" } })
    )
    expect(refusal(ownerKey)).toMatchObject(forbidden)
    expect(await keyCount()).toBe(before)
    // Raw: the typed client refuses a NUL in a path parameter before sending.
    const nul = await raw(admin, "DELETE", "/api-keys/a%00b")
    expect(nul.status).toBe(400)
    expect(fieldsOf(nul.body)).toEqual(["id"])
  })
})

describe.runIf(postgres)("invitations and members over REST", () => {
  /** Accepting through a typed client made without a key: the invitation's token is the proof. */
  const accept = (token: string, email: string, name = "Ada") =>
    api(null, (client) => client.invitations.accept({ payload: { token, email, name } }))
  const pendingIds = async () =>
    ok(await api(admin, (client) => client.team.listInvitations({ urlParams: {} }))).items.map((i) => i.id)

  it("invite → email with the link → accept without a key → the member's key works with the invited role", async () => {
    const invited = ok(
      await api(admin, (client) =>
        client.team.invite({ payload: { email: "Ada@Example.com", role: "editor" } })
      )
    )
    expect(invited.email).toEqual({ sent: true })
    expect(invited.invitation).toMatchObject({ email: "ada@example.com", role: "editor" })
    const token = invited.token
    expect(invited.link).toBe(
      `https://armature.example.test/invitations/accept?token=${encodeURIComponent(token)}`
    )
    const mail = to.emails().find((e) => e.to.includes("ada@example.com"))!
    expect(mail.subject).toContain("Join")
    expect(mail.text).toContain(invited.link)

    expect(await pendingIds()).toContain(invited.invitation.id)
    // Raw: decoding keeps only the declared fields, so only the wire text shows neither the token
    // nor its hash is listed.
    const pendingRaw = await raw(admin, "GET", "/invitations")
    expect(pendingRaw.text).not.toContain(token)
    expect(pendingRaw.text).not.toContain(Team.hashInvitationToken(token))

    // The address must be the invited one.
    const other = await accept(token, "eve@example.com")
    expect(refusal(other)).toMatchObject({ status: 400, code: "validation_failed", fields: ["email"] })

    const accepted = ok(await accept(token, "ada@example.com"))
    expect(accepted.member).toMatchObject({ email: "ada@example.com", name: "Ada", role: "editor" })
    const key = accepted.token
    expect(await roleOf(key)).toBe("editor")
    ok(await listMonitors(key))

    const again = refusal(await accept(token, "ada@example.com"))
    expect(again).toMatchObject({ status: 400, code: "validation_failed", fields: ["token"] })
    expect(again.message).toContain("already used")
    expect(await pendingIds()).not.toContain(invited.invitation.id)
    // An accepted invitation cannot be revoked: a 400 naming it.
    const revokeUsed = await api(admin, (client) =>
      client.team.revokeInvitation({ path: { id: invited.invitation.id } })
    )
    expect(refusal(revokeUsed)).toMatchObject({
      status: 400,
      code: "validation_failed",
      fields: ["invitationId"]
    })

    // Members: an admin demotes Ada (her key is demoted with her), then removes her (her key stops).
    const members = ok(await api(admin, (client) => client.team.listMembers({ urlParams: {} }))).items
    const ada = members.find((m) => m.email === "ada@example.com")!
    const theOwner = members.find((m) => m.role === "owner")!
    expect(refusal(await api(editor, (client) => client.team.listMembers({ urlParams: {} })))).toMatchObject(
      forbidden
    )
    // Raw: `owner` is not a role the declared body offers; a client without the schema can send it.
    const owner = await raw(admin, "PATCH", `/members/${ada.id}`, { role: "owner" })
    expect(owner.status).toBe(400)
    expect(fieldsOf(owner.body)).toEqual(["role"])
    // The owner's own role cannot change: a 400 naming role.
    const ownerDemoted = await api(admin, (client) =>
      client.team.changeRole({ path: { id: theOwner.id }, payload: { role: "admin" } })
    )
    expect(refusal(ownerDemoted)).toMatchObject({ status: 400, code: "validation_failed", fields: ["role"] })
    const byEditor = await api(editor, (client) =>
      client.team.changeRole({ path: { id: ada.id }, payload: { role: "viewer" } })
    )
    expect(refusal(byEditor)).toMatchObject(forbidden)
    expect(await roleOf(key)).toBe("editor")
    const demoted = ok(
      await api(admin, (client) =>
        client.team.changeRole({ path: { id: ada.id }, payload: { role: "viewer" } })
      )
    )
    expect(demoted.role).toBe("viewer")
    expect(await roleOf(key)).toBe("viewer")
    const createdByViewer = await api(key, (client) =>
      client.monitors.create({
        payload: { name: "not mine to make", mcpServerId: "any", toolName: "get_order" }
      })
    )
    expect(refusal(createdByViewer)).toMatchObject(forbidden)
    expect(
      refusal(await api(editor, (client) => client.team.removeMember({ path: { id: ada.id } })))
    ).toMatchObject(forbidden)
    // The owner cannot be removed: a 400 naming the member.
    const ownerRemoved = await api(admin, (client) => client.team.removeMember({ path: { id: theOwner.id } }))
    expect(refusal(ownerRemoved)).toMatchObject({
      status: 400,
      code: "validation_failed",
      fields: ["memberId"]
    })
    // The typed client accepts only the declared 204 No Content as success.
    ok(await api(admin, (client) => client.team.removeMember({ path: { id: ada.id } })))
    expect(refusal(await listMonitors(key))).toMatchObject({ status: 401, code: "unauthenticated" })
  })

  it("a shareable link (no email) sends nothing; a revoked or expired invitation is refused", async () => {
    const sent = to.emails().length
    const link = ok(await api(admin, (client) => client.team.invite({ payload: { role: "viewer" } })))
    expect(link.email).toBeNull()
    expect(to.emails().length).toBe(sent)

    const id = link.invitation.id
    expect(
      refusal(await api(editor, (client) => client.team.revokeInvitation({ path: { id } })))
    ).toMatchObject(forbidden)
    expect(await pendingIds()).toContain(id)
    // The typed client accepts only the declared 204 No Content as success.
    ok(await api(admin, (client) => client.team.revokeInvitation({ path: { id } })))
    const revoked = refusal(await accept(link.token, "bob@example.com", "Bob"))
    expect(revoked.status).toBe(400)
    expect(revoked.message).toContain("revoked")

    // Raw: decoding keeps only the declared fields, so only the wire reply shows the token's
    // hash is not sent (its status: 201 Created).
    const later = await raw(admin, "POST", "/invitations", { role: "viewer" })
    expect(later.status).toBe(201)
    expect(later.body.invitation.id).toEqual(expect.any(String))
    expect(later.body.invitation.tokenHash).toBeUndefined()
    await server.run(
      Effect.gen(function* () {
        const store = yield* OrgStore
        const found = Option.getOrThrow(
          yield* store.getInvitationByTokenHash(Team.hashInvitationToken(later.body.token))
        )
        yield* store.updateInvitation({ ...found, expiresAt: new Date(Date.now() - 1000) })
      })
    )
    const expired = refusal(await accept(later.body.token, "carol@example.com", "Carol"))
    expect(expired).toMatchObject({ status: 400, code: "validation_failed", fields: ["token"] })
    expect(expired.message).toContain("expired")
  })

  it("the emailed link opens a page whose form accepts the invitation and shows the key once", async () => {
    const invited = ok(
      await api(admin, (client) =>
        client.team.invite({ payload: { email: "grace@example.com", role: "viewer" } })
      )
    )
    const link = new URL(invited.link)
    const page = await fetch(`${server.origin}${link.pathname}${link.search}`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toContain("text/html")
    const html = await page.text()
    expect(html).toContain(`name="token" value="${invited.token}"`)

    const form = new URLSearchParams({ token: invited.token, email: "grace@example.com", name: "Grace" })
    const posted = await fetch(`${server.origin}/invitations/accept`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString()
    })
    expect(posted.status).toBe(201)
    const welcome = await posted.text()
    const key = /amt_[A-Za-z0-9_-]+/.exec(welcome)![0]
    expect(await roleOf(key)).toBe("viewer")
    expect(posted.headers.get("referrer-policy")).toBe("no-referrer")

    // Its "Open the dashboard" button signs in with the new key.
    const signInCookie = posted.headers.getSetCookie().find((c) => c.startsWith("armature_sign_in="))!
    const signedIn = await postForm(server.origin, signInCookie.split(";")[0]!, "/sign-in", {
      csrf: csrfOf(welcome),
      next: "/",
      key
    })
    expect(signedIn.status).toBe(303)
    const session = signedIn.headers.getSetCookie().find((c) => c.startsWith("armature_session="))!
    const overview = await fetch(`${server.origin}/`, { headers: { cookie: session.split(";")[0]! } })
    expect(overview.status).toBe(200)
    expect(await overview.text()).toContain("Signed in as viewer")

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

  it("inviting needs admin; owner is never invitable; a bad email is named; an unknown token is named", async () => {
    const before = await pendingIds()
    const byEditor = await api(editor, (client) => client.team.invite({ payload: { role: "viewer" } }))
    expect(refusal(byEditor)).toMatchObject(forbidden)
    expect(
      refusal(await api(editor, (client) => client.team.listInvitations({ urlParams: {} })))
    ).toMatchObject(forbidden)
    const owner = await api(admin, (client) => client.team.invite({ payload: { role: "owner" } }))
    expect(refusal(owner)).toMatchObject({ status: 400, code: "validation_failed", fields: ["role"] })
    const email = await api(admin, (client) =>
      client.team.invite({ payload: { role: "viewer", email: "not-an-address" } })
    )
    expect(refusal(email)).toMatchObject({ status: 400, code: "validation_failed", fields: ["email"] })
    expect(await pendingIds()).toEqual(before)
    const unknown = await accept("inv_nope", "x@example.com")
    expect(refusal(unknown)).toMatchObject({ status: 400, code: "validation_failed", fields: ["token"] })
  })

  it("a NUL in a member's or an invitation's id is a 400 naming id", async () => {
    // Raw: the typed client refuses a NUL in a path parameter before sending.
    for (const [method, path, body] of [
      ["PATCH", "/members/a%00b", { role: "viewer" }],
      ["DELETE", "/members/a%00b", undefined],
      ["DELETE", "/invitations/a%00b", undefined]
    ] as const) {
      const reply = await raw(admin, method, path, body)
      expect({ method, path, status: reply.status, fields: fieldsOf(reply.body) }).toEqual({
        method,
        path,
        status: 400,
        fields: ["id"]
      })
    }
  })
})
