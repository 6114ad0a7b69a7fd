/**
 * The Slack bot's `/armature` command through the whole server on PostgreSQL (`support/bot.ts`):
 * signed slash commands, Bolt and the Slack SDK against a loopback Slack, workflows run by the
 * server's worker with the scripted models. Checks
 * each command's answer, the run's message turning into its verdict (`chat.update`), a viewer's
 * refused run, unsigned and stale requests, an unlinked user, and linking through the dashboard.
 */
import { OrgStore } from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { csrfOf, postForm, sessionCookie } from "../dashboard/support/session.js"
import { type Bot, startBot } from "./support/bot.js"

const postgres = await postgresAvailable("packages/server/test/slack/SlackBot.test.ts")

let bot: Bot
const command = (...args: Parameters<Bot["command"]>) => bot.command(...args)

beforeAll(async () => {
  if (!postgres) return
  bot = await startBot()
  await bot.linkedMember("editor", "U0EDITOR")
  await bot.linkedMember("viewer", "U0VIEWER")
  const owner = await bot.server.key("owner")
  const registered = await bot.rest(owner, "POST", "/mcp-servers", {
    name: "demo-shop",
    baseUrl: bot.demoUrl
  })
  await bot.rest(owner, "POST", "/workflows", {
    name: "Customer can look up an order",
    mcpServerId: registered.body.server.id,
    prompt: "Find order A-1001 and tell the customer its status and total.",
    criteria: [{ text: "The agent looked the order up with get_order" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge"
  })
  await bot.rest(owner, "POST", "/workflows", {
    name: "Customer cancels an order",
    mcpServerId: registered.body.server.id,
    prompt: "Cancel order A-1002.",
    criteria: [{ text: "The agent cancelled it" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge"
  })
}, 120_000)

afterAll(async () => {
  await bot?.close()
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
    bot.slack.clear()
    const started = await command("U0EDITOR", "run customer CAN LOOK")
    expect(started.text).toContain("Started a run of *Customer can look up an order*")
    await expect
      .poll(() => bot.calls("chat.update").length, {
        timeout: 30_000,
        interval: 250
      })
      .toBe(1)
    const posted = bot.slack.requests().find((r) => r.path.startsWith("/api/chat.postMessage"))!
    expect(posted.headers.authorization).toBe("Bearer xoxb-acme")
    expect(bot.calls("chat.postMessage")[0]!.text).toContain("Running *Customer can look up an order*")
    expect(bot.calls("chat.update")[0]!.text).toContain("*pass*")
    expect((await command("U0VIEWER", "runs customer can look")).text).toContain("*pass*")
  })

  it("every command is in the audit log under the member's name", async () => {
    const admin = await bot.server.key("admin")
    const audit = await bot.rest(admin, "GET", "/audit?limit=100")
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
    const memberKey = await bot.server.run(
      Effect.gen(function* () {
        const member = Fixtures.member(bot.orgId, { role: "admin", name: "Newbie" })
        yield* Effect.flatMap(OrgStore, (s) => s.addMember(member))
        const { ApiKeys } = yield* Effect.promise(() => import("@armature/core"))
        const created = yield* ApiKeys.create(
          { orgId: bot.orgId, actor: { keyId: null, memberId: member.id, role: "admin" } },
          { name: "newbie", role: "admin" }
        )
        return created.token
      })
    )
    const cookie = await sessionCookie(bot.server.origin, memberKey)
    const { pathname, search } = new URL(link)
    const confirm = await fetch(`${bot.server.origin}${pathname}${search}`, { headers: { cookie } })
    const html = await confirm.text()
    expect(html).toContain("U0NEWBIE")
    const token = new URL(link).searchParams.get("token")!
    expect((await postForm(bot.server.origin, cookie, "/slack/link", { csrf: "forged", token })).status).toBe(
      403
    )
    const linked = await postForm(bot.server.origin, cookie, "/slack/link", { csrf: csrfOf(html), token })
    expect(linked.status).toBe(200)
    expect((await command("U0NEWBIE", "status")).text).toContain("Workflow pass rate")
    // A token changed by hand does not open.
    const tampered = await fetch(`${bot.server.origin}/slack/link?token=${token.slice(0, -2)}xx`, {
      headers: { cookie }
    })
    expect(await tampered.text()).toContain("not valid")
  })
})
