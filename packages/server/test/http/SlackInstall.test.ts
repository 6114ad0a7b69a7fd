/**
 * The Slack app's OAuth v2 install (SPEC §7) through the whole server (`App.make`), on PGlite and
 * (when it answers) PostgreSQL, against a loopback stand-in of Slack's Web API that the real
 * `@slack/oauth` and `@slack/web-api` clients talk to: an admin creates a one-time link, the
 * browser opens it (keeping the state cookie), comes back from Slack with a code, and the
 * workspace is connected — alert test messages then go out with the installed bot token. Links
 * that are replayed or expired, forged states and callbacks without the cookie write nothing.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Role, SlackInstallations, SlackInstalls } from "@armature/core"
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Effect, Exit, Layer, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { json, listen, type Recorded } from "../../../alerts/test/support/recorder.js"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import * as Bootstrap from "../../src/app/Bootstrap.js"
import * as SlackApp from "../../src/app/SlackApp.js"
import * as SlackCommand from "../../src/cli/commands/slack.js"
import { exitOnError } from "../../src/cli/reportError.js"
import * as ServerConfig from "../../src/config/ServerConfig.js"
import { csrfOf, postForm, sessionCookie } from "../dashboard/support/session.js"
import { type AppServer, startAppServer } from "./support/appServer.js"
import { send } from "./support/rawHttp.js"

const postgres = await postgresAvailable("packages/server/test/http/SlackInstall.test.ts")

const publicUrl = "https://armature.example"
const clientSecret = "client-secret-do-not-show"

/** The stand-in of Slack's Web API: every grant is a new bot token, `xoxb-installed-<n>`. */
const startSlack = () => {
  let grants = 0
  return listen((request: Recorded) => {
    const method = request.path.replace(/^\/api\//, "").split("?")[0]
    switch (method) {
      case "oauth.v2.access": {
        const form = new URLSearchParams(request.body)
        const basic = Buffer.from(`1234.5678:${clientSecret}`).toString("base64")
        const authenticated =
          request.headers.authorization === `Basic ${basic}` ||
          (form.get("client_id") === "1234.5678" && form.get("client_secret") === clientSecret)
        if (!authenticated || form.get("code") !== "granted")
          return json(200, { ok: false, error: "invalid_code" })
        grants++
        return json(200, {
          ok: true,
          access_token: `xoxb-installed-${grants}`,
          scope: "chat:write,chat:write.public,channels:read,commands",
          bot_user_id: "U0BOT",
          token_type: "bot",
          team: { id: "T0ACME", name: "Acme HQ" },
          enterprise: null,
          is_enterprise_install: false,
          app_id: "A0APP",
          authed_user: { id: "U0ADA" }
        })
      }
      case "auth.test":
        return json(200, {
          ok: true,
          bot_id: "B0BOT",
          user_id: "U0BOT",
          team_id: "T0ACME",
          url: "https://acme.slack.com/"
        })
      case "conversations.info":
        return json(200, { ok: true, channel: { id: "C0ALERTS", is_archived: false } })
      case "chat.postMessage":
        return json(200, { ok: true, channel: "C0ALERTS", ts: "1700000000.000100" })
      default:
        return json(200, { ok: false, error: "unknown_method" })
    }
  })
}

const stores = [
  { name: "PGlite", postgres: false },
  ...(postgres ? [{ name: "PostgreSQL", postgres: true }] : [])
]

describe.each(stores)("Slack app install on $name", ({ postgres: onPostgres }) => {
  const database = Effect.runSync(Scope.make())
  const dataDir = mkdtempSync(join(tmpdir(), "armature-slack-"))
  let slack: Awaited<ReturnType<typeof startSlack>>
  let server: AppServer
  const keys = {} as Record<Role, string>
  let ruleId = ""
  let serverId = ""

  const api = async (role: Role, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.origin}/api/armature/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${keys[role]}`,
        ...(body === undefined ? {} : { "content-type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    return { status: res.status, body: text === "" ? null : JSON.parse(text), text }
  }
  /** A browser request to the server: path and query of `url`, the cookie if given, no redirects followed. */
  const browse = (url: string, cookie?: string) => {
    const { pathname, search } = new URL(url, publicUrl)
    return fetch(`${server.origin}${pathname}${search}`, {
      redirect: "manual",
      headers: cookie === undefined ? {} : { cookie }
    })
  }
  /** Opens an install link: the state cookie (name=value) and the `state` of Slack's authorize URL. */
  const open = async (url: string) => {
    const res = await browse(url)
    expect(res.status).toBe(302)
    const authorize = new URL(res.headers.get("location")!)
    return {
      res,
      authorize,
      cookie: res.headers.getSetCookie()[0]!.split(";")[0]!,
      state: authorize.searchParams.get("state")!
    }
  }
  const installation = async () => (await api("viewer", "GET", "/slack/installation")).body
  const exchanges = () => slack.requests().filter((r) => r.path.startsWith("/api/oauth.v2.access"))
  const posted = () => slack.requests().filter((r) => r.path.startsWith("/api/chat.postMessage"))
  const newLink = async () => {
    const created = await api("admin", "POST", "/slack/install-links")
    expect(created.status).toBe(201)
    return created.body as { url: string; expiresAt: string }
  }

  beforeAll(async () => {
    slack = await startSlack()
    const store: Record<string, string> = onPostgres
      ? {
          DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)),
          ARMATURE_SECRET_KEY: Buffer.alloc(32, 7).toString("base64")
        }
      : { ARMATURE_DATA_DIR: dataDir }
    server = await startAppServer({
      ...store,
      ARMATURE_PUBLIC_URL: publicUrl,
      ARMATURE_ALLOW_LOOPBACK: "true",
      ARMATURE_SLACK_API_URL: `${slack.url}/api/`,
      SLACK_CLIENT_ID: "1234.5678",
      SLACK_CLIENT_SECRET: clientSecret,
      SLACK_STATE_SECRET: "state-secret-do-not-show"
    })
    for (const role of ["viewer", "editor", "admin"] as const) keys[role] = await server.key(role)
    const registered = await api("editor", "POST", "/mcp-servers", {
      name: "shop",
      baseUrl: "http://127.0.0.1:9/mcp"
    })
    expect(registered.status).toBe(201)
    serverId = registered.body.server.id
    const rule = await api("editor", "POST", "/alert-rules", {
      name: "Shop down",
      target: { type: "mcp_server", id: serverId },
      // Before an installation there is no token to check a channel with: a DM id is not looked up.
      destination: { type: "slack", channel: "D0ALERTS" }
    })
    // Refused while Slack is not connected (no SLACK_BOT_TOKEN either).
    expect(rule.status).toBe(400)
    expect(rule.text).toContain("Slack is not connected")
  }, 120_000)

  afterAll(async () => {
    await server?.close()
    await slack?.close()
    await Effect.runPromise(Scope.close(database, Exit.void))
    rmSync(dataDir, { recursive: true, force: true })
  }, 60_000)

  it("before any install: any role sees no installation, and the app is installable", async () => {
    expect(await installation()).toEqual({ installable: true, installation: null })
  })

  it("an editor may not create an install link (403), nor remove the installation", async () => {
    const refused = await api("editor", "POST", "/slack/install-links")
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe("forbidden_role")
    expect((await api("editor", "DELETE", "/slack/installation")).status).toBe(403)
  })

  it("an install link's lifetime out of range is a 400 naming expiresInMinutes", async () => {
    const refused = await api("admin", "POST", "/slack/install-links", { expiresInMinutes: 1 })
    expect(refused.status).toBe(400)
    expect(refused.body.error.details.fieldErrors.map((e: { field: string }) => e.field)).toEqual([
      "expiresInMinutes"
    ])
  })

  it("a callback with a forged state, or without the browser's cookie, writes nothing and asks Slack nothing", async () => {
    const { url } = await newLink()
    const { state } = await open(url)
    const before = exchanges().length
    const forged = await browse(
      "/slack/oauth_redirect?code=granted&state=forged",
      "slack-app-oauth-state=forged"
    )
    expect(forged.status).toBe(400)
    expect(await forged.text()).toContain("could not be verified")
    const cookieless = await browse(`/slack/oauth_redirect?code=granted&state=${encodeURIComponent(state)}`)
    expect(cookieless.status).toBe(400)
    expect(exchanges().length).toBe(before)
    expect((await installation()).installation).toBeNull()
  })

  it("a code Slack refuses writes nothing and leaves the link usable", async () => {
    const { url } = await newLink()
    const { state, cookie } = await open(url)
    const refused = await browse(
      `/slack/oauth_redirect?code=stolen&state=${encodeURIComponent(state)}`,
      cookie
    )
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain("invalid_code")
    expect((await installation()).installation).toBeNull()
    expect((await browse(url)).status).toBe(302)
  })

  it("the full flow connects the workspace; alert test messages go out with the installed bot token", async () => {
    const { url, expiresAt } = await newLink()
    expect(url.startsWith(`${publicUrl}/slack/install?link=`)).toBe(true)
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now())

    const { res, authorize, cookie, state } = await open(url)
    expect(`${authorize.origin}${authorize.pathname}`).toBe("https://slack.com/oauth/v2/authorize")
    expect(authorize.searchParams.get("client_id")).toBe("1234.5678")
    expect(authorize.searchParams.get("scope")).toBe("chat:write,chat:write.public,channels:read,commands")
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${publicUrl}/slack/oauth_redirect`)
    expect(res.headers.get("referrer-policy")).toBe("no-referrer")
    expect(cookie.startsWith("slack-app-oauth-state=")).toBe(true)

    const back = await browse(`/slack/oauth_redirect?code=granted&state=${encodeURIComponent(state)}`, cookie)
    const page = await back.text()
    expect(back.status).toBe(200)
    expect(page).toContain("Acme HQ")
    expect(page).not.toContain("xoxb-")

    const connected = await installation()
    expect(connected.installation).toMatchObject({
      teamId: "T0ACME",
      teamName: "Acme HQ",
      botUserId: "U0BOT",
      scopes: ["chat:write", "chat:write.public", "channels:read", "commands"]
    })
    expect(Number.isNaN(Date.parse(connected.installation.installedAt))).toBe(false)
    expect(JSON.stringify(connected)).not.toContain("xoxb-")

    // The channel is checked and the test message sent with the installed token.
    const rule = await api("editor", "POST", "/alert-rules", {
      name: "Shop down on Slack",
      target: { type: "mcp_server", id: serverId },
      destination: { type: "slack", channel: "C0ALERTS" }
    })
    expect(rule.status).toBe(201)
    ruleId = rule.body.id
    const tested = await api("editor", "POST", `/alert-rules/${ruleId}/test`)
    expect(tested.body).toEqual({ delivered: true })
    expect(posted().at(-1)!.headers.authorization).toBe("Bearer xoxb-installed-1")

    // The same state and cookie again: the link is used up, nothing changes.
    const replay = await browse(
      `/slack/oauth_redirect?code=granted&state=${encodeURIComponent(state)}`,
      cookie
    )
    expect(replay.status).toBe(400)
    expect(await replay.text()).toContain("already used")
    await api("editor", "POST", `/alert-rules/${ruleId}/test`)
    expect(posted().at(-1)!.headers.authorization).toBe("Bearer xoxb-installed-1")

    // And the link itself no longer opens.
    const reopened = await browse(url)
    expect(reopened.status).toBe(400)
    expect(await reopened.text()).toContain("already used")
  })

  it("an expired link is refused and writes nothing", async () => {
    const org = await server.run(Effect.map(Bootstrap.operator, (c) => c.orgId))
    const secret = "expired-link-secret-0123456789abcdefghijkl"
    await server.run(
      Effect.flatMap(SlackInstallations, (store) =>
        store.createLink({
          id: crypto.randomUUID(),
          orgId: org,
          secretHash: SlackInstalls.hashLinkSecret(secret),
          createdBy: { keyId: null, memberId: null, role: "owner" },
          createdAt: new Date(Date.now() - 7_200_000),
          expiresAt: new Date(Date.now() - 3_600_000),
          usedAt: null
        })
      )
    )
    const before = await installation()
    const res = await browse(`/slack/install?link=${secret}`)
    expect(res.status).toBe(400)
    expect(res.headers.getSetCookie()).toEqual([])
    expect(await res.text()).toContain("expired")
    expect(await installation()).toEqual(before)
  })

  it("no response or log line shows the link secret, the client or state secret, or a bot token", async () => {
    const { url } = await newLink()
    const secret = new URL(url).searchParams.get("link")!
    await browse(url)
    const logs = server.logs().join("\n")
    expect(logs).toContain(`http.url="/slack/install?link=***"`)
    for (const value of [secret, clientSecret, "state-secret-do-not-show", "xoxb-installed"]) {
      expect(logs).not.toContain(value)
    }
  })

  it("the install pages go through the request guard: a declared oversized body is refused with 413", async () => {
    for (const path of ["/slack/install?link=x", "/slack/oauth_redirect?code=x&state=y"]) {
      const reply = await send(server.origin, {
        method: "GET",
        path,
        headers: { "content-length": "2000000" }
      })
      expect(reply.status).toBe(413)
    }
  })

  it("links that do not open count as failed credential checks of the address (429 past the limit)", async () => {
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await browse(`/slack/install?link=guess-${i}`)).status)
    expect(statuses).toContain(400)
    const last = await browse("/slack/install?link=guess-last")
    expect(last.status).toBe(429)
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThan(0)
    // A valid link still opens.
    expect((await browse((await newLink()).url)).status).toBe(302)
  })

  it("armature slack install-url prints a link that works", async () => {
    const context = SlackApp.layer.pipe(
      Layer.provideMerge(Layer.succeedContext(server.context)),
      Layer.provide(ServerConfig.layer),
      Layer.provide(Layer.setConfigProvider(server.config))
    )
    const lines: string[] = []
    const log = vi.spyOn(console, "log").mockImplementation((...parts) => void lines.push(parts.join(" ")))
    try {
      await Effect.runPromise(
        Command.run(SlackCommand.make(context), { name: "armature", version: "0.0.0" })([
          "node",
          "armature",
          "install-url",
          "--expires-in-minutes",
          "15"
        ]).pipe(exitOnError, Effect.provide(NodeContext.layer))
      )
    } finally {
      log.mockRestore()
    }
    const code = process.exitCode ?? 0
    process.exitCode = undefined
    expect(code).toBe(0)
    const url = /https:\/\/armature\.example\/slack\/install\?link=\S+/.exec(lines.join("\n"))?.[0]
    expect(url).toBeDefined()
    expect((await open(url!)).state).not.toBe("")
  })

  it("an admin removes the installation; Slack messages then have no token", async () => {
    expect((await api("admin", "DELETE", "/slack/installation")).status).toBe(204)
    expect((await installation()).installation).toBeNull()
    expect((await api("admin", "DELETE", "/slack/installation")).status).toBe(404)
    const tested = await api("editor", "POST", `/alert-rules/${ruleId}/test`)
    expect(tested.body.delivered).toBe(false)
    expect(tested.body.error).toContain("Slack is not connected")
  })

  it("from the dashboard's settings an admin installs the app and disconnects it; an editor may not", async () => {
    const admin = await sessionCookie(server.origin, keys.admin)
    const settings = await (await browse("/settings", admin)).text()
    expect(settings).toContain("Add to Slack")
    const started = await postForm(server.origin, admin, "/settings/slack/install", {
      csrf: csrfOf(settings)
    })
    expect(started.status).toBe(200)
    const link = /href="(https:\/\/armature\.example\/slack\/install\?link=[^"]+)"/.exec(
      await started.text()
    )![1]!
    const { cookie, state } = await open(link.replaceAll("&amp;", "&"))
    const back = await browse(`/slack/oauth_redirect?code=granted&state=${encodeURIComponent(state)}`, cookie)
    expect(back.status).toBe(200)
    const connected = await (await browse("/settings", admin)).text()
    expect(connected).toContain("Acme HQ")
    expect(connected).not.toContain("xoxb-")

    const editor = await sessionCookie(server.origin, keys.editor)
    const editorPage = await (await browse("/", editor)).text()
    const refused = await postForm(server.origin, editor, "/settings/slack/install", {
      csrf: csrfOf(editorPage)
    })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain("admin")

    const gone = await postForm(server.origin, admin, "/settings/slack/disconnect", {
      csrf: csrfOf(connected)
    })
    expect(gone.status).toBe(303)
    expect((await installation()).installation).toBeNull()
  })
})

describe("Slack app settings", () => {
  const load = (env: Record<string, string>) =>
    Effect.runPromiseExit(
      Effect.withConfigProvider(ServerConfig.config, ConfigProvider.fromMap(new Map(Object.entries(env))))
    )

  it("a client id without its secret, or the other way round, stops the start with both names", async () => {
    const halves: ReadonlyArray<Record<string, string>> = [
      { SLACK_CLIENT_ID: "1.2" },
      { SLACK_CLIENT_SECRET: "shh" }
    ]
    for (const env of halves) {
      const exit = await load(env)
      expect(Exit.isFailure(exit)).toBe(true)
      const message = Exit.isFailure(exit) ? String(exit.cause) : ""
      expect(message).toContain("SLACK_CLIENT_ID")
      expect(message).toContain("SLACK_CLIENT_SECRET")
      expect(message).not.toContain("shh")
    }
  })

  it("neither (or both empty) leaves the install off; both turn it on", async () => {
    const off = await load({})
    expect(Exit.isSuccess(off) && off.value.slackApp?._tag).toBe("None")
    // Empty values, as deployment templates often leave them, count as unset.
    const blank = await load({ SLACK_CLIENT_ID: "", SLACK_CLIENT_SECRET: "" })
    expect(Exit.isSuccess(blank) && blank.value.slackApp?._tag).toBe("None")
    const on = await load({ SLACK_CLIENT_ID: "1.2", SLACK_CLIENT_SECRET: "shh" })
    expect(Exit.isSuccess(on) && on.value.slackApp?._tag).toBe("Some")
  })
})
