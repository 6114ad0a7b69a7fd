/**
 * The buttons of Armature's Slack messages through the whole server on PostgreSQL
 * (`support/bot.ts`): the proposals channel set from Slack and REST; an agent's proposal, staged
 * over the MCP API, posted there; Approve applying it (and a second click saying so), a change
 * made meanwhile and an expired proposal answered in the thread, Dismiss, a viewer's Run now refused; and the alert
 * buttons Mute 1 h (monitor, rule) and Run again. Clicks are signed `block_actions` payloads, as
 * Slack posts them.
 */
import { SlackActions } from "@armature/alerts"
import { SqlClient } from "@effect/sql"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { connect } from "../mcp/support/mcpClient.js"
import { type Bot, startBot } from "./support/bot.js"

const postgres = await postgresAvailable("packages/server/test/slack/SlackButtons.test.ts")
const { actionIds } = SlackActions

let bot: Bot
let owner = ""
let agent: Client
let workflowId = ""
let serverId = ""

type Block = {
  type: string
  text?: { text: string }
  elements?: Array<{ action_id: string; value?: string }>
}

/** The buttons of a message's blocks, as `action_id=value`. */
const buttonsOf = (call: Record<string, unknown>) =>
  ((call.blocks ?? []) as Array<Block>)
    .flatMap((b) => (b.type === "actions" ? (b.elements ?? []) : []))
    .map((e) => `${e.action_id}=${e.value ?? "url"}`)

const textOf = (call: Record<string, unknown>) =>
  [String(call.text ?? ""), ...((call.blocks ?? []) as Array<Block>).map((b) => b.text?.text ?? "")].join(
    "\n"
  )

/** Stages a change of the workflow's prompt over the MCP API, as an agent does; its id. */
const stage = async (prompt: string) => {
  const current = await bot.rest(owner, "GET", `/workflows/${workflowId}`)
  const result = await agent.callTool({
    name: "propose_workflow_patch",
    arguments: {
      workflowId,
      baseVersionId: current.body.currentVersionId,
      rationale: "The tester browsed the products: say which tool finds an order.",
      changes: { prompt }
    }
  })
  expect(result.isError).toBeFalsy()
  return (result.structuredContent as { proposalId: string }).proposalId
}

/** The proposal's message in the proposals channel, once the bot posted it. */
const postedProposal = async (proposalId: string) => {
  let found: Record<string, unknown> | undefined
  await expect
    .poll(
      () => {
        found = bot
          .calls("chat.postMessage")
          .find(
            (c) =>
              c.channel === "C0PROPOSALS" &&
              buttonsOf(c).includes(`${actionIds.approveProposal}=${proposalId}`)
          )
        return found !== undefined
      },
      { timeout: 10_000, interval: 100 }
    )
    .toBe(true)
  return found!
}

/** The newest Web API call of `method` that satisfies `test`, waiting for it. */
const newest = async (method: string, test: (call: Record<string, unknown>) => boolean) => {
  await expect.poll(() => bot.calls(method).some(test), { timeout: 30_000, interval: 100 }).toBe(true)
  return bot.calls(method).filter(test).at(-1)!
}

beforeAll(async () => {
  if (!postgres) return
  bot = await startBot()
  await bot.linkedMember("admin", "U0ADMIN")
  await bot.linkedMember("editor", "U0EDITOR")
  await bot.linkedMember("viewer", "U0VIEWER")
  owner = await bot.server.key("owner")
  const registered = await bot.rest(owner, "POST", "/mcp-servers", {
    name: "demo-shop",
    baseUrl: bot.demoUrl
  })
  serverId = registered.body.server.id
  const created = await bot.rest(owner, "POST", "/workflows", {
    name: "Order lookup",
    mcpServerId: serverId,
    prompt: "Find order A-1001 and tell the customer its status and total.",
    criteria: [{ text: "The agent looked the order up with get_order" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge"
  })
  workflowId = created.body.id
  agent = await connect(bot.server.origin, await bot.server.key("viewer"))
}, 120_000)

afterAll(async () => {
  await agent?.close()
  await bot?.close()
})

describe.runIf(postgres)("the Slack bot's buttons", () => {
  it("the proposals channel is set by an admin from Slack or REST; others and bad channels are refused", async () => {
    expect((await bot.command("U0EDITOR", "config proposals <#C0PROPOSALS|proposals>")).text).toContain(
      "admin"
    )
    expect((await bot.command("U0ADMIN", "config proposals")).text).toContain("not posted")
    expect((await bot.command("U0ADMIN", "config proposals #proposals")).text).toContain("Slack suggests")
    const set = await bot.command("U0ADMIN", "config proposals <#C0PROPOSALS|proposals>")
    expect(set.text).toContain("<#C0PROPOSALS>")
    expect((await bot.command("U0VIEWER", "config proposals")).text).toContain("posted to <#C0PROPOSALS>")

    const bad = await bot.rest(owner, "PUT", "/slack/proposals-channel", { channel: "#general" })
    expect(bad.status).toBe(400)
    expect(bad.body.error.details.fieldErrors.map((f: { field: string }) => f.field)).toEqual(["channel"])
    const editor = await bot.rest(await bot.server.key("editor"), "PUT", "/slack/proposals-channel", {
      channel: "C0OTHER"
    })
    expect(editor.status).toBe(403)
    // Neither refusal changed it.
    const connection = await bot.rest(owner, "GET", "/slack/installation")
    expect(connection.body.installation.proposalsChannel).toBe("C0PROPOSALS")
  })

  it("a staged proposal is posted; Approve applies it once, a viewer's Run now is refused", async () => {
    const proposalId = await stage(
      "Look order A-1001 up with get_order and tell the customer its status and total."
    )
    const message = await postedProposal(proposalId)
    expect(textOf(message)).toContain("Change proposed to workflow Order lookup")
    expect(textOf(message)).toContain("say which tool finds an order")
    expect(textOf(message)).toContain("*prompt*")
    expect(buttonsOf(message)).toContain(`${actionIds.dismissProposal}=${proposalId}`)

    // A viewer may not apply; only they are told.
    const ts = "1700000100.000100"
    expect((await bot.click("U0VIEWER", actionIds.approveProposal, proposalId, ts)).status).toBe(200)
    const refused = await newest("chat.postEphemeral", (c) => c.user === "U0VIEWER")
    expect(refused.text).toContain("editor")
    expect((await bot.rest(owner, "GET", `/workflows/${workflowId}`)).body.currentVersion ?? null).not.toBe(2)

    await bot.click("U0EDITOR", actionIds.approveProposal, proposalId, ts)
    const applied = await newest("chat.update", (c) => c.ts === ts)
    expect(textOf(applied)).toContain("Applied by <@U0EDITOR> as version 2")
    expect(buttonsOf(applied)).toEqual([`${actionIds.runWorkflow}=${workflowId}`])
    const workflow = await bot.rest(owner, "GET", `/workflows/${workflowId}`)
    expect(JSON.stringify(workflow.body)).toContain("Look order A-1001 up with get_order")

    // The second click finds it applied, and says so in the thread.
    await bot.click("U0ADMIN", actionIds.approveProposal, proposalId, ts)
    const again = await newest("chat.postMessage", (c) => c.thread_ts === ts)
    expect(again.text).toContain("applied already")

    // Run now from the applied message: a viewer is refused and nothing runs.
    await bot.click("U0VIEWER", actionIds.runWorkflow, workflowId, ts)
    await expect
      .poll(() => bot.calls("chat.postEphemeral").filter((c) => c.user === "U0VIEWER").length)
      .toBe(2)
    expect(bot.calls("chat.postEphemeral").at(-1)!.text).toContain("editor")
    expect((await bot.rest(owner, "GET", `/runs?workflowId=${workflowId}`)).body.items).toEqual([])
  })

  it("a workflow changed since staging is answered in the thread; Dismiss marks the message", async () => {
    const stale = await stage("First rewrite of the prompt, with get_order.")
    const winner = await stage("Second rewrite of the prompt, with get_order.")
    await postedProposal(stale)
    await bot.click("U0EDITOR", actionIds.approveProposal, winner, "1700000200.000100")
    await newest("chat.update", (c) => c.ts === "1700000200.000100")
    await bot.click("U0EDITOR", actionIds.approveProposal, stale, "1700000300.000100")
    const conflict = await newest("chat.postMessage", (c) => c.thread_ts === "1700000300.000100")
    expect(conflict.text).toContain("could not apply it")
    expect(conflict.text).toContain("stage the change again")

    // Proposals are applicable for 24 hours; one staged longer ago is answered in the thread.
    const late = await stage("A rewrite left for too long, with get_order.")
    await postedProposal(late)
    await bot.server.run(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql`UPDATE proposals SET expires_at = now() - interval '1 minute' WHERE id = ${late}`
      )
    )
    await bot.click("U0EDITOR", actionIds.approveProposal, late, "1700000350.000100")
    const expired = await newest("chat.postMessage", (c) => c.thread_ts === "1700000350.000100")
    expect(expired.text).toContain("could not apply it")
    expect(expired.text).toContain("expired")

    const unwanted = await stage("A rewrite nobody wants, with get_order.")
    await postedProposal(unwanted)
    await bot.click("U0EDITOR", actionIds.dismissProposal, unwanted, "1700000400.000100")
    const dismissed = await newest("chat.update", (c) => c.ts === "1700000400.000100")
    expect(textOf(dismissed)).toContain("Dismissed by <@U0EDITOR>")
    expect(buttonsOf(dismissed)).toEqual([])
  })

  it("an unlinked user's click is answered with how to link, and does nothing", async () => {
    const proposalId = await stage("Yet another rewrite, with get_order.")
    await bot.click("U0STRANGER", actionIds.approveProposal, proposalId, "1700000500.000100")
    const told = await newest("chat.postEphemeral", (c) => c.user === "U0STRANGER")
    expect(told.text).toContain("/armature link")
    const proposal = await agent.readResource({ uri: `armature://workflow-change-proposals/${proposalId}` })
    expect(JSON.parse((proposal.contents[0] as { text: string }).text).appliedAt).toBeNull()
  })

  it("Mute 1 h mutes a monitor or a rule for an hour; Run again runs the workflow in the alert's thread", async () => {
    const monitor = await bot.rest(owner, "POST", "/monitors", {
      name: "Order lookup check",
      mcpServerId: serverId,
      toolName: "get_order",
      arguments: { orderId: "A-1001" }
    })
    const monitorId = monitor.body.id
    await bot.click("U0VIEWER", actionIds.muteMonitor, monitorId, "1700000600.000100")
    expect((await newest("chat.postEphemeral", (c) => c.user === "U0VIEWER")).text).toContain("editor")
    expect((await bot.rest(owner, "GET", `/monitors/${monitorId}`)).body.mutedUntil).toBeNull()

    const before = Date.now()
    await bot.click("U0EDITOR", actionIds.muteMonitor, monitorId, "1700000600.000100")
    const muted = await newest("chat.postMessage", (c) => c.thread_ts === "1700000600.000100")
    expect(muted.text).toContain("muted monitor *Order lookup check* for 1 h")
    const until = Date.parse((await bot.rest(owner, "GET", `/monitors/${monitorId}`)).body.mutedUntil)
    expect(until).toBeGreaterThanOrEqual(before + 59 * 60_000)
    expect(until).toBeLessThanOrEqual(Date.now() + 61 * 60_000)

    const rule = await bot.rest(owner, "POST", "/alert-rules", {
      name: "Order lookup failing",
      target: { type: "workflow", id: workflowId },
      destination: { type: "webhook", url: `${bot.slack.url}/hook` }
    })
    expect(rule.body).toMatchObject({ name: "Order lookup failing" })
    const ruleId = rule.body.id
    await bot.click("U0EDITOR", actionIds.muteRule, ruleId, "1700000700.000100")
    const ruleMuted = await newest("chat.postMessage", (c) => c.thread_ts === "1700000700.000100")
    expect(ruleMuted.text).toContain("muted alert rule *Order lookup failing* for 1 h")
    expect((await bot.rest(owner, "GET", `/alert-rules/${ruleId}`)).body.mutedUntil).not.toBeNull()

    await bot.click("U0EDITOR", actionIds.runWorkflow, workflowId, "1700000800.000100")
    const running = await newest("chat.postMessage", (c) => c.thread_ts === "1700000800.000100")
    expect(running.text).toContain("Running *Order lookup*")
    const verdict = await newest("chat.update", (c) => String(c.text).startsWith("*Order lookup*"))
    expect(verdict.text).toMatch(/\*(pass|fail)\*/)

    const audit = await bot.rest(await bot.server.key("admin"), "GET", "/audit?limit=100")
    const actions = (audit.body.items as Array<{ action: string; outcome: string }>).map(
      (e) => `${e.action}:${e.outcome}`
    )
    expect(actions).toEqual(
      expect.arrayContaining([
        "slack.proposal.approve:ok",
        "slack.proposal.approve:forbidden_role",
        "slack.proposal.approve:proposal_already_applied",
        "slack.proposal.approve:version_conflict",
        "slack.proposal.approve:proposal_expired",
        "slack.proposal.dismiss:ok",
        "slack.monitor.mute:ok",
        "slack.monitor.mute:forbidden_role",
        "slack.alert_rule.mute:ok",
        "slack.run:ok",
        "slack.config.proposals:ok"
      ])
    )
  })
})
