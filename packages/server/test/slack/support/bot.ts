/**
 * The whole server on PostgreSQL with the Slack bot on, beside a loopback recorder that stands in
 * for Slack's Web API, so Bolt and the Slack SDK run unmodified. Requests to `/slack/events` are
 * signed the way Slack signs them (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing
 * secret): slash commands as a form, button clicks as a form with a JSON `payload`.
 */
import { createHmac } from "node:crypto"
import { OrgStore, type Role, SlackInstallations } from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { Effect, Exit, Redacted, Scope } from "effect"
import { startDemoServer } from "../../../../../examples/demo-mcp-server/server.js"
import { json, listen, type Recorded } from "../../../../alerts/test/support/recorder.js"
import { freshDatabaseUrl } from "../../../../store-postgres/test/support/databases.js"
import * as Bootstrap from "../../../src/app/Bootstrap.js"
import { type AppServer, startAppServer } from "../../http/support/appServer.js"
import { restReply } from "../../support/serverProcess.js"

export const signingSecret = "slack-signing-secret"
export const team = "T0ACME"

/** A signed request's answer: status, and the text of a JSON answer (or the body). */
export interface Answer {
  readonly status: number
  readonly text: string
}

export interface Bot {
  readonly server: AppServer
  readonly slack: Awaited<ReturnType<typeof listen>>
  readonly orgId: string
  readonly demoUrl: string
  /** Posts `/armature <text>` as `user`, signed at `at` (seconds) with `secret` (null: unsigned). */
  readonly command: (
    user: string,
    text: string,
    options?: { readonly at?: number; readonly secret?: string | null }
  ) => Promise<Answer>
  /** Clicks the button `actionId` with `value` on the message `messageTs` in `C0OPS`, as `user`. */
  readonly click: (user: string, actionId: string, value: string, messageTs?: string) => Promise<Answer>
  /** Adds a member with `role`, linked to Slack user `slackUserId`. */
  readonly linkedMember: (role: Role, slackUserId: string) => Promise<void>
  /** A REST call with `token`: the status and parsed body. */
  readonly rest: (token: string, method: string, path: string, body?: unknown) => ReturnType<typeof restReply>
  /** The Web API calls of `method` (`chat.update`…) the recorder saw, their bodies decoded. */
  readonly calls: (method: string) => ReadonlyArray<Record<string, unknown>>
  readonly close: () => Promise<void>
}

/** Slack's Web API answers, by method; anything else is `unknown_method`. */
const startSlack = () => {
  let ts = 0
  return listen((request: Recorded) => {
    const method = request.path.replace(/^\/api\//, "").split("?")[0]
    if (method === "chat.postMessage")
      return json(200, { ok: true, channel: "C0OPS", ts: `1700000000.00${++ts}` })
    if (method === "chat.update") return json(200, { ok: true, channel: "C0OPS", ts: "1700000000.001" })
    if (method === "chat.postEphemeral") return json(200, { ok: true, message_ts: "1700000000.999" })
    if (method === "auth.test")
      return json(200, { ok: true, user_id: "U0BOT", team_id: team, bot_id: "B0BOT" })
    return json(200, { ok: false, error: "unknown_method" })
  })
}

/** The Slack client sends form bodies whose `blocks` are JSON; both read back as values. */
const decodeCall = (body: string): Record<string, unknown> => {
  const form = Object.fromEntries(new URLSearchParams(body))
  return Object.fromEntries(
    Object.entries(form).map(([k, v]) => {
      if (k !== "blocks") return [k, v]
      return [k, JSON.parse(v)]
    })
  )
}

/** Starts the server with a fresh database, the demo MCP server and Slack installed for `team`. */
export const startBot = async (): Promise<Bot> => {
  const database = Effect.runSync(Scope.make())
  const slack = await startSlack()
  const demo = await startDemoServer({ port: 0 })
  const server = await startAppServer({
    DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)),
    ARMATURE_SECRET_KEY: Buffer.alloc(32, 3).toString("base64"),
    ARMATURE_ALLOW_LOOPBACK: "true",
    ARMATURE_PUBLIC_URL: "http://armature.test",
    SLACK_SIGNING_SECRET: signingSecret,
    ARMATURE_SLACK_API_URL: `${slack.url}/api/`
  })
  const orgId = (await server.run(Bootstrap.operator)).orgId
  await server.run(
    Effect.flatMap(SlackInstallations, (s) =>
      s.save(
        Fixtures.slackInstallation(orgId, { teamId: team, teamName: "Acme HQ" }),
        Redacted.make("xoxb-acme")
      )
    )
  )

  const signed = async (body: string, options: { at?: number; secret?: string | null } = {}) => {
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

  return {
    server,
    slack,
    orgId,
    demoUrl: demo.url,
    command: (user, text, options) =>
      signed(
        new URLSearchParams({
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
        }).toString(),
        options
      ),
    click: (user, actionId, value, messageTs = "1700000000.500") =>
      signed(
        new URLSearchParams({
          payload: JSON.stringify({
            type: "block_actions",
            team: { id: team, domain: "acme" },
            user: { id: user, username: user.toLowerCase(), team_id: team },
            api_app_id: "A0APP",
            token: "legacy",
            container: { type: "message", message_ts: messageTs, channel_id: "C0OPS", is_ephemeral: false },
            trigger_id: "1.2.3",
            channel: { id: "C0OPS", name: "ops" },
            message: { type: "message", ts: messageTs, text: "an Armature message" },
            response_url: `${slack.url}/actions/response`,
            actions: [
              {
                type: "button",
                action_id: actionId,
                block_id: "b1",
                text: { type: "plain_text", text: "button" },
                value,
                action_ts: String(Date.now() / 1000)
              }
            ]
          })
        }).toString()
      ),
    linkedMember: (role, slackUserId) =>
      server.run(
        Effect.flatMap(OrgStore, (s) =>
          s.addMember(Fixtures.member(orgId, { role, slackUserId, name: `${role} in Slack` }))
        )
      ),
    rest: (token, method, path, body) => restReply(server.origin, token, method, path, body),
    calls: (method) =>
      slack
        .requests()
        .filter((r) => r.path.startsWith(`/api/${method}`))
        .map((r) => decodeCall(r.body)),
    close: async () => {
      await server.close()
      await slack.close()
      await demo.close()
      await Effect.runPromise(Scope.close(database, Exit.void))
    }
  }
}
