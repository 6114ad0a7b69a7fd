/**
 * The Slack bot through the whole server on PostgreSQL: slash commands signed the way Slack
 * signs them (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret) posted to
 * `/slack/events`, the real Bolt and Slack Web API client answering a loopback recorder that
 * stands in for Slack, workflows run by the server's worker with the scripted models. Checks
 * each command's answer, the run's message turning into its verdict (`chat.update`), a viewer's
 * refused run, unsigned and stale requests, an unlinked user, and linking through the dashboard.
 */
import { createHmac } from "node:crypto"
import { OrgStore, type Role, SlackInstallations } from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { Effect, Exit, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { json, listen, type Recorded } from "../../../alerts/test/support/recorder.js"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import * as Bootstrap from "../../src/app/Bootstrap.js"
import { csrfOf, postForm, sessionCookie } from "../dashboard/support/session.js"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { restReply } from "../support/serverProcess.js"

const postgres = await postgresAvailable("packages/server/test/slack/SlackBot.test.ts")
const database = Effect.runSync(Scope.make())
const signingSecret = "slack-signing-secret"
const team = "T0ACME"

let server: AppServer
let slack: Awaited<ReturnType<typeof listen>>
let demo: Awaited<ReturnType<typeof startDemoServer>>
let orgId = ""
let ts = 0

/** The stand-in of Slack's Web API. */
const startSlack = () =>
  listen((request: Recorded) => {
    const method = request.path.replace(/^\/api\//, "").split("?")[0]
    if (method === "chat.postMessage")
      return json(200, { ok: true, channel: "C0OPS", ts: `1700000000.00${++ts}` })
    if (method === "chat.update") return json(200, { ok: true, channel: "C0OPS", ts: "1700000000.001" })
    if (method === "auth.test")
      return json(200, { ok: true, user_id: "U0BOT", team_id: team, bot_id: "B0BOT" })
    return json(200, { ok: false, error: "unknown_method" })
  })

/** Posts `/armature <text>` as Slack does, signed at `at` (seconds) with `secret`. */
const command = async (user: string, text: string, options: { at?: number; secret?: string | null } = {}) => {
  const body = new URLSearchParams({
    token: "legacy",
    team_id: team,
    team_domain: "acme",
    channel_id: "C0OPS",
    channel_name: "ops",
    user_id: user,
    user_name: user.toLowerCase(),
    command: "/armature",
    text,
    api_app_id: "A0APP",
    response_url: `${slack.url}/commands/response`,
    trigger_id: "1.2.3"
  }).toString()
  const at = options.at ?? Math.floor(Date.now() / 1000)
  const secret = options.secret === undefined ? signingSecret : options.secret
  const res = await fetch(`${server.origin}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(at),
      ...(secret === null
        ? {}
        : {
            "x-slack-signature": `v0=${createHmac("sha256", secret).update(`v0:${at}:${body}`).digest("hex")}`
          })
    },
    body
  })
  const answer = await res.text()
  const isJson = res.headers.get("content-type")?.startsWith("application/json") === true
  return {
    status: res.status,
    text: isJson ? ((JSON.parse(answer) as { text?: string }).text ?? "") : answer
  }
}

/** A member of the organization with `role`, linked to Slack user `slackUserId`. */
const linkedMember = (role: Role, slackUserId: string) =>
  server.run(
    Effect.flatMap(OrgStore, (s) =>
      s.addMember(Fixtures.member(orgId, { role, slackUserId, name: `${role} in Slack` }))
    )
  )

/** A REST call with `token`: the status and parsed body. */
const rest = (token: string, method: string, path: string, body?: unknown) =>
  restReply(server.origin, token, method, path, body)

beforeAll(async () => {
  if (!postgres) return
  slack = await startSlack()
  demo = await startDemoServer({ port: 0 })
  server = await startAppServer({
    DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)),
    ARMATURE_SECRET_KEY: Buffer.alloc(32, 3).toString("base64"),
    ARMATURE_ALLOW_LOOPBACK: "true",
    ARMATURE_PUBLIC_URL: "http://armature.test",
    SLACK_SIGNING_SECRET: signingSecret,
    ARMATURE_SLACK_API_URL: `${slack.url}/api/`
  })
  orgId = (await server.run(Bootstrap.operator)).orgId
  await server.run(
    Effect.flatMap(SlackInstallations, (s) =>
      s.save(
        Fixtures.slackInstallation(orgId, { teamId: team, teamName: "Acme HQ" }),
        Redacted.make("xoxb-acme")
      )
    )
  )
  await linkedMember("editor", "U0EDITOR")
  await linkedMember("viewer", "U0VIEWER")
  const owner = await server.key("owner")
  const registered = await rest(owner, "POST", "/mcp-servers", { name: "demo-shop", baseUrl: demo.url })
  await rest(owner, "POST", "/workflows", {
    name: "Customer can look up an order",
    mcpServerId: registered.body.server.id,
    prompt: "Find order A-1001 and tell the customer its status and total.",
    criteria: [{ text: "The agent looked the order up with get_order" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge"
  })
  await rest(owner, "POST", "/workflows", {
    name: "Customer cancels an order",
    mcpServerId: registered.body.server.id,
    prompt: "Cancel order A-1002.",
    criteria: [{ text: "The agent cancelled it" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge"
  })
}, 120_000)

afterAll(async () => {
  await server?.close()
  await slack?.close()
  await demo?.close()
  await Effect.runPromise(Scope.close(database, Exit.void))
})

describe.runIf(postgres)("the Slack bot", () => {
  it("refuses unsigned, wrongly signed and stale requests before anything runs", async () => {
    expect((await command("U0EDITOR", "status", { secret: null })).status).toBe(401)
    expect((await command("U0EDITOR", "status", { secret: "not-the-secret" })).status).toBe(401)
    const stale = await command("U0EDITOR", "status", { at: Math.floor(Date.now() / 1000) - 600 })
    expect(stale.status).toBe(401)
  })

  it("answers help to anyone, and asks an unlinked user to link before doing anything", async () => {
    expect((await command("U0STRANGER", "help")).text).toContain("/armature run <workflow>")
    const unlinked = await command("U0STRANGER", "status")
    expect(unlinked.status).toBe(200)
    expect(unlinked.text).toContain("/armature link")
  })

  it("status, runs and coverage answer a linked member; names match by case and prefix, or ask which", async () => {
    expect((await command("U0VIEWER", "status")).text).toContain("Workflow pass rate")
    expect((await command("U0VIEWER", "runs")).text).toBe("No runs yet.")
    expect((await command("U0VIEWER", "coverage DEMO")).text).toContain("demo-shop")
    const ambiguous = await command("U0VIEWER", "runs customer")
    expect(ambiguous.text).toContain("Several workflows match")
    expect(ambiguous.text).toContain("Customer cancels an order")
    expect((await command("U0VIEWER", "runs nothing-like-it")).text).toContain("No workflow is called")
  })

  it("a viewer's run is refused; an editor's run starts and its message turns into the verdict", async () => {
    const refused = await command("U0VIEWER", "run customer can look")
    expect(refused.text).toContain("editor")
    slack.clear()
    const started = await command("U0EDITOR", "run customer CAN LOOK")
    expect(started.text).toContain("Started a run of *Customer can look up an order*")
    await expect
      .poll(() => slack.requests().filter((r) => r.path.startsWith("/api/chat.update")).length, {
        timeout: 30_000,
        interval: 250
      })
      .toBe(1)
    const posted = slack.requests().find((r) => r.path.startsWith("/api/chat.postMessage"))!
    expect(posted.headers.authorization).toBe("Bearer xoxb-acme")
    expect(decodeURIComponent(posted.body)).toContain("Running *Customer can look up an order*")
    const update = decodeURIComponent(
      slack.requests().find((r) => r.path.startsWith("/api/chat.update"))!.body
    )
    expect(update).toContain("*pass*")
    expect((await command("U0VIEWER", "runs customer can look")).text).toContain("*pass*")
  })

  it("every command is in the audit log under the member's name", async () => {
    const admin = await server.key("admin")
    const audit = await rest(admin, "GET", "/audit?limit=100")
    const actions = (audit.body.items as Array<{ action: string; outcome: string }>).map(
      (e) => `${e.action}:${e.outcome}`
    )
    expect(actions).toContain("slack.status:ok")
    expect(actions).toContain("slack.run:forbidden_role")
    expect(actions).toContain("slack.run:ok")
  })

  it("/armature link gives a link that, signed in to the dashboard, links the Slack user to that member", async () => {
    const answer = await command("U0NEWBIE", "link")
    const link = /<(http:\/\/armature\.test\/slack\/link\?token=[^|>]+)\|/.exec(answer.text)![1]!
    // A member's own key, as the invitation gives one.
    const memberKey = await server.run(
      Effect.gen(function* () {
        const member = Fixtures.member(orgId, { role: "admin", name: "Newbie" })
        yield* Effect.flatMap(OrgStore, (s) => s.addMember(member))
        const { ApiKeys } = yield* Effect.promise(() => import("@armature/core"))
        const created = yield* ApiKeys.create(
          { orgId, actor: { keyId: null, memberId: member.id, role: "admin" } },
          { name: "newbie", role: "admin" }
        )
        return created.token
      })
    )
    const cookie = await sessionCookie(server.origin, memberKey)
    const { pathname, search } = new URL(link)
    const confirm = await fetch(`${server.origin}${pathname}${search}`, { headers: { cookie } })
    const html = await confirm.text()
    expect(html).toContain("U0NEWBIE")
    const token = new URL(link).searchParams.get("token")!
    expect((await postForm(server.origin, cookie, "/slack/link", { csrf: "forged", token })).status).toBe(403)
    const linked = await postForm(server.origin, cookie, "/slack/link", { csrf: csrfOf(html), token })
    expect(linked.status).toBe(200)
    expect((await command("U0NEWBIE", "status")).text).toContain("Workflow pass rate")
    // A token changed by hand does not open.
    const tampered = await fetch(`${server.origin}/slack/link?token=${token.slice(0, -2)}xx`, {
      headers: { cookie }
    })
    expect(await tampered.text()).toContain("not valid")
  })
})
