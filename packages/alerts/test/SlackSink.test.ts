import { AlertSink, type Proposal, StoreError } from "@armature/core"
import { AlertSinkContract } from "@armature/core/testing"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { AlertSinks, SlackActions, SlackMessage, SlackProposalMessage, SlackSink } from "../src/index.js"
import { delivery, message } from "./support/fixtures.js"
import { json, layerWith, type Recorded, RecorderTag, type Respond } from "./support/recorder.js"
import { anyOrgSecrets, guardLayer } from "./support/services.js"

/** The buttons of a rendered message, as `action_id=url-or-value`. */
const buttons = (rendered: SlackMessage.Rendered) =>
  rendered.blocks.flatMap((b) =>
    b.type === "actions" ? b.elements.map((e) => `${e.action_id}=${"url" in e ? e.url : e.value}`) : []
  )

const paramsOf = (r: Recorded) => Object.fromEntries(new URLSearchParams(r.body))

/** A Slack Web API stand-in: answers by channel id the way Slack does. */
const slackApi: Respond = (r) => {
  const params = paramsOf(r)
  if (r.headers.authorization === "Bearer xoxb-revoked")
    return json(200, { ok: false, error: "token_revoked" })
  const channel = params.channel ?? ""
  if (r.path === "/api/conversations.info") {
    if (channel === "CGONE") return json(200, { ok: false, error: "channel_not_found" })
    if (channel === "CARCHIVED") return json(200, { ok: true, channel: { id: channel, is_archived: true } })
    if (channel === "CDOWN") return { status: 500, body: "upstream down" }
    return json(200, { ok: true, channel: { id: channel, is_archived: false } })
  }
  if (r.path !== "/api/chat.postMessage") return json(404, { ok: false, error: "unknown_method" })
  switch (channel) {
    case "CFAIL":
      return json(200, { ok: false, error: "channel_not_found" })
    case "CNOTIN":
      return json(200, { ok: false, error: "not_in_channel" })
    case "CBLOCKS":
      return json(200, { ok: false, error: "invalid_blocks" })
    case "CBUSY":
      return json(200, { ok: false, error: "ratelimited" })
    case "C503":
      return { status: 503, body: "unavailable" }
    case "C429":
      return { status: 429, headers: { "retry-after": "7" }, body: "" }
    case "CHANG":
      return "hang"
    default:
      return json(200, { ok: true, channel, ts: "1700000000.000100" })
  }
}

const botToken = (orgId: string) => {
  if (orgId === "org-unconnected") return Effect.succeed(Option.none())
  if (orgId === "org-broken-store")
    return Effect.fail(new StoreError({ message: "db down", unavailable: true }))
  return Effect.succeed(Option.some(Redacted.make(orgId === "org-revoked" ? "xoxb-revoked" : "xoxb-test")))
}

const slackLayer = (options: Partial<SlackSink.Options> = {}) =>
  layerWith(slackApi, (recorder) =>
    AlertSinks.layer(
      AlertSinks.builtIn({
        slack: { botToken, slackApiUrl: `${recorder.url}/api`, timeoutMs: 500, ...options }
      })
    ).pipe(Layer.provide(guardLayer), Layer.provide(anyOrgSecrets({})))
  )

const postedMessages = Effect.map(RecorderTag, (r) =>
  r
    .requests()
    .filter((q) => q.path === "/api/chat.postMessage")
    .map(paramsOf)
)

AlertSinkContract.alertSinkContract("SlackSink", slackLayer(), {
  destination: { type: "slack", channel: "C0123ABCD" },
  failingDestination: { type: "slack", channel: "CFAIL" },
  received: postedMessages
})

const deliverTo = (channel: string, orgId = "org-1") =>
  Effect.flatMap(AlertSink, (sink) => sink.deliver(delivery({ type: "slack", channel }, { orgId })))

const failureOf = (channel: string, orgId = "org-1") => Effect.flip(deliverTo(channel, orgId))

layer(slackLayer())("SlackSink", (it) => {
  it.effect("posts Block Kit with the bot token, a fallback text and unfurling off", () =>
    Effect.gen(function* () {
      const recorder = yield* RecorderTag
      recorder.clear()
      yield* deliverTo("C0123ABCD")
      const [request] = recorder.requests()
      expect(request?.headers.authorization).toBe("Bearer xoxb-test")
      const params = paramsOf(request!)
      expect(params.channel).toBe("C0123ABCD")
      expect(params.text).toBe(
        "[Armature] Weather down: Weather check fail\nhttps://armature.example/runs/r-1"
      )
      expect(params.unfurl_links).toBe("false")
      const blocks = JSON.parse(params.blocks!) as Array<{ type: string }>
      expect(blocks.map((b) => b.type)).toEqual(["header", "section", "section", "actions", "context"])
      expect(JSON.stringify(blocks[0])).toContain("Monitor Weather check failed")
      const facts = JSON.stringify(blocks[1])
      for (const fact of [
        "Weather API",
        "get_forecast",
        "fail",
        "*Since*\\n2026-01-01 07:55 UTC (2 h 5 min)"
      ]) {
        expect(facts).toContain(fact)
      }
      expect(JSON.stringify(blocks[3])).toContain('"url":"https://armature.example/runs/r-1"')
    })
  )

  it.effect("permanent Slack errors are not retryable and say what to do", () =>
    Effect.gen(function* () {
      const notFound = yield* failureOf("CFAIL")
      expect(notFound).toMatchObject({ retryable: false })
      expect(notFound.message).toContain("CFAIL was not found")
      expect(yield* failureOf("CNOTIN")).toMatchObject({ retryable: false })
      expect((yield* failureOf("CNOTIN")).message).toContain("/invite")
      const revoked = yield* failureOf("C0123ABCD", "org-revoked")
      expect(revoked).toMatchObject({ retryable: false })
      expect(revoked.message).toContain("token_revoked")
      expect(revoked.message).not.toContain("xoxb")
      expect(yield* failureOf("CBLOCKS")).toMatchObject({ retryable: false })
    })
  )

  it.effect("rate limits, 5xx and timeouts are retryable", () =>
    Effect.gen(function* () {
      expect(yield* failureOf("C503")).toMatchObject({ retryable: true, message: "Slack answered HTTP 503" })
      const limited = yield* failureOf("C429")
      expect(limited).toMatchObject({ retryable: true })
      expect(limited.message).toContain("retry after 7 s")
      expect(yield* failureOf("CBUSY")).toMatchObject({ retryable: true })
      expect(yield* failureOf("CHANG")).toMatchObject({
        retryable: true,
        message: "could not reach Slack: timed out"
      })
    })
  )

  it.effect("an organization without a token is refused, and a store failure is retried", () =>
    Effect.gen(function* () {
      expect(yield* failureOf("C0123ABCD", "org-unconnected")).toMatchObject({
        retryable: false,
        message: SlackSink.notConnected
      })
      expect(yield* failureOf("C0123ABCD", "org-broken-store")).toMatchObject({ retryable: true })
    })
  )

  it.effect("validate: ids only, names are pointed to their id", () =>
    Effect.gen(function* () {
      const sink = yield* AlertSink
      const check = (channel: string, orgId = "org-1") => sink.validate(orgId, { type: "slack", channel })
      expect(yield* check("C0123ABCD")).toEqual([])
      expect(yield* check("U0123ABCD")).toEqual([])
      const byName = yield* check("#alerts")
      expect(byName).toHaveLength(1)
      expect(byName[0]).toMatchObject({ field: "channel" })
      expect(byName[0]!.message).toContain("channel id")
      expect(yield* check("c0123abcd")).toMatchObject([{ field: "channel" }])
      expect(yield* check("C0123ABCD", "org-unconnected")).toEqual([
        { field: "type", message: SlackSink.notConnected }
      ])
    })
  )

  it.effect("validate: asks Slack about C/G channels, and skips the check when Slack fails", () =>
    Effect.gen(function* () {
      const sink = yield* AlertSink
      const recorder = yield* RecorderTag
      const check = (channel: string) => sink.validate("org-1", { type: "slack", channel })
      expect(yield* check("CGONE")).toMatchObject([{ field: "channel" }])
      expect((yield* check("CARCHIVED"))[0]?.message).toContain("archived")
      expect(yield* check("CDOWN")).toEqual([])
      recorder.clear()
      expect(yield* check("D0123ABCD")).toEqual([])
      expect(recorder.requests()).toEqual([])
    })
  )
})

describe("SlackMessage", () => {
  it("escapes mrkdwn and keeps long summaries within Slack's limits", () => {
    const rendered = SlackMessage.render(
      message({ summary: `<!channel> & <https://evil.example|click>\n${"x".repeat(20_000)}` })
    )
    const all = JSON.stringify(rendered)
    expect(all).not.toContain("<!channel>")
    expect(all).toContain("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;")
    const sections = rendered.blocks.filter((b) => b.type === "section" && b.text !== undefined)
    expect(sections.length).toBeLessThanOrEqual(5)
    for (const s of sections) if (s.type === "section") expect(s.text!.text.length).toBeLessThanOrEqual(3000)
    expect(all).toContain("truncated")
  })

  it("words each kind naturally and links only http(s)", () => {
    const header = (m: ReturnType<typeof message>) => JSON.stringify(SlackMessage.render(m).blocks[0])
    expect(header(message({ kind: "recovery" }))).toContain("Monitor Weather check recovered")
    expect(header(message({ kind: "reminder" }))).toContain("Monitor Weather check is still failing")
    expect(
      header(
        message({
          kind: "incident",
          outcome: "error",
          incident: { serverId: "s-1", serverName: "Weather API" }
        })
      )
    ).toContain("MCP server Weather API is unreachable")
    const unsafe = SlackMessage.render(message({ link: "javascript:alert(1)" }))
    expect(buttons(unsafe).some((b) => b.startsWith(`${SlackActions.actionIds.openLink}=`))).toBe(false)
  })

  it("carries the buttons the bot answers: open, run again, mute the monitor or else the rule", () => {
    const { actionIds } = SlackActions
    // A monitor's alert mutes the monitor itself.
    expect(buttons(SlackMessage.render(message({ ruleId: "r-1" })))).toEqual([
      `${actionIds.openLink}=https://armature.example/runs/r-1`,
      `${actionIds.muteMonitor}=m-1`
    ])
    // A workflow's alert opens its run, runs it again, and mutes the rule.
    const workflow = message({ ruleId: "r-1", target: { type: "workflow", id: "w-1", name: "Weather" } })
    const rendered = SlackMessage.render(workflow)
    expect(buttons(rendered)).toEqual([
      `${actionIds.openLink}=https://armature.example/runs/r-1`,
      `${actionIds.runWorkflow}=w-1`,
      `${actionIds.muteRule}=r-1`
    ])
    expect(JSON.stringify(rendered.blocks)).toContain("Open run")
    // Nothing to silence or rerun once it recovered, nor for a server incident grouping several rules.
    expect(buttons(SlackMessage.render({ ...workflow, kind: "recovery" }))).toEqual([
      `${actionIds.openLink}=https://armature.example/runs/r-1`
    ])
    const incident = message({
      kind: "incident",
      ruleId: "r-1",
      link: null,
      incident: { serverId: "s-1", serverName: "Weather API" }
    })
    expect(buttons(SlackMessage.render(incident))).toEqual([])
  })
})

describe("SlackProposalMessage", () => {
  const proposal: Proposal = {
    id: "6f1d1b9e-0000-4000-8000-000000000001",
    orgId: "org-1",
    kind: "update",
    workflowId: "w-1",
    baseVersionId: "v-1",
    spec: { name: "Weather <b>&" } as Proposal["spec"],
    diff: [{ field: "prompt", before: "Old <@channel>", after: "New prompt\nsecond line" }],
    rationale: "Use <!channel> get_forecast",
    evidence: [],
    warnings: ["criteria changed"],
    createdBy: "agent",
    createdAt: new Date("2026-01-01T10:00:00Z"),
    expiresAt: new Date("2026-01-02T10:00:00Z"),
    appliedAt: null,
    appliedVersionId: null
  }

  it("shows the change and its reasons escaped, with Approve and Dismiss; then who decided", () => {
    const { actionIds } = SlackActions
    const pending = SlackProposalMessage.render(proposal)
    const text = JSON.stringify(pending.blocks)
    expect(text).toContain("Change proposed to workflow Weather <b>&")
    expect(text).toContain("&lt;!channel&gt;")
    expect(text).not.toContain("<@channel>")
    expect(text).toContain("2026-01-02 10:00 UTC")
    expect(buttons(pending)).toEqual([
      `${actionIds.approveProposal}=${proposal.id}`,
      `${actionIds.dismissProposal}=${proposal.id}`
    ])
    const applied = SlackProposalMessage.render(proposal, {
      _tag: "applied",
      by: "U0ADA",
      workflowId: "w-1",
      version: 3
    })
    expect(JSON.stringify(applied.blocks)).toContain("Applied by <@U0ADA> as version 3")
    expect(buttons(applied)).toEqual([`${actionIds.runWorkflow}=w-1`])
    const dismissed = SlackProposalMessage.render(proposal, { _tag: "dismissed", by: "<!here>" })
    expect(JSON.stringify(dismissed.blocks)).toContain("Dismissed by &lt;!here&gt;")
    expect(buttons(dismissed)).toEqual([])
    expect(dismissed.text).toContain("(dismissed)")
  })

  it("keeps a large change within Slack's limits", () => {
    const diff = Array.from({ length: 40 }, (_, i) => ({
      field: `assertions.${i}`,
      before: "x".repeat(5000),
      after: null
    }))
    const rendered = SlackProposalMessage.render({ ...proposal, diff, rationale: "r".repeat(10_000) })
    for (const block of rendered.blocks) {
      if (block.type === "section" && block.text !== undefined)
        expect(block.text.text.length).toBeLessThanOrEqual(3000)
    }
    // Whole fields are shown, and the rest counted.
    const all = JSON.stringify(rendered.blocks)
    const shownFields = all.match(/\*assertions\.\d+\*/g)?.length ?? 0
    expect(shownFields).toBeGreaterThan(0)
    expect(all).toContain(`… and ${40 - shownFields} more changed fields`)
  })
})
