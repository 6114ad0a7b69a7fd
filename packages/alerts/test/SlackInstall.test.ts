import { IdsLayer, OrgStore, SlackInstallations, SlackInstalls } from "@armature/core"
import { Fixtures, MemoryStore } from "@armature/core/testing"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { SlackInstall } from "../src/index.js"
import { json, layerWith, RecorderTag, type Respond } from "./support/recorder.js"

/** Slack's `oauth.v2.access` and `auth.test`, granting `xoxb-granted` for code `ok`. */
const slackApi: Respond = (r) => {
  if (r.path === "/api/auth.test")
    return json(200, { ok: true, bot_id: "B1", user_id: "U0BOT", team_id: "T1" })
  if (r.path !== "/api/oauth.v2.access") return json(404, { ok: false, error: "unknown_method" })
  if (new URLSearchParams(r.body).get("code") !== "ok") return json(200, { ok: false, error: "invalid_code" })
  return json(200, {
    ok: true,
    access_token: "xoxb-granted",
    scope: SlackInstall.botScopes.join(","),
    bot_user_id: "U0BOT",
    token_type: "bot",
    team: { id: "T1", name: "Team <One>" },
    app_id: "A1",
    authed_user: { id: "U0ADA" }
  })
}

const services = Layer.merge(MemoryStore.layer, IdsLayer.layer)

const TestLayer = layerWith(slackApi, (recorder) =>
  SlackInstall.layer({
    clientId: "1.2",
    clientSecret: Redacted.make("client-secret"),
    stateSecret: Redacted.make("state-secret"),
    redirectUri: "https://armature.test/slack/oauth_redirect",
    slackApiUrl: `${recorder.url}/api`
  }).pipe(Layer.provideMerge(services))
)

/** An organization with an install link of an admin; returns the link's secret. */
const linkOfNewOrg = Effect.gen(function* () {
  const org = Fixtures.organization()
  yield* Effect.flatMap(OrgStore, (s) => s.createOrganization(org))
  const admin = { orgId: org.id, actor: { keyId: "k1", memberId: null, role: "admin" as const } }
  const { secret } = yield* SlackInstalls.createLink(admin)
  return { orgId: org.id, secret }
})

layer(TestLayer)("SlackInstall", (it) => {
  describe("the install path", () => {
    it.effect("an unknown link gets a 400 page and no state cookie", () =>
      Effect.gen(function* () {
        const install = yield* SlackInstall.SlackInstall
        const response = yield* install.installPath({ url: "/slack/install?link=nope" })
        expect(response.status).toBe(400)
        expect(response.setCookies).toEqual([])
        expect(response.body).toContain("not valid")
      })
    )

    it.effect("a valid link sets the state cookie and redirects to Slack with the bot scopes", () =>
      Effect.gen(function* () {
        const install = yield* SlackInstall.SlackInstall
        const { secret } = yield* linkOfNewOrg
        const response = yield* install.installPath({ url: `/slack/install?link=${secret}` })
        expect(response.status).toBe(302)
        const location = new URL(response.headers.location!)
        expect(location.searchParams.get("scope")).toBe("chat:write,chat:write.public,channels:read,commands")
        expect(location.searchParams.get("state")).toBeTruthy()
        expect(response.setCookies[0]).toMatch(/^slack-app-oauth-state=[^;]+;/)
        expect(response.headers["referrer-policy"]).toBe("no-referrer")
      })
    )
  })

  describe("the callback", () => {
    it.effect("saves the grant for the link's organization once; the page names the workspace, escaped", () =>
      Effect.gen(function* () {
        const install = yield* SlackInstall.SlackInstall
        const { orgId, secret } = yield* linkOfNewOrg
        const started = yield* install.installPath({ url: `/slack/install?link=${secret}` })
        const state = new URL(started.headers.location!).searchParams.get("state")!
        const cookie = started.setCookies[0]!.split(";")[0]!
        const url = `/slack/oauth_redirect?code=ok&state=${encodeURIComponent(state)}`

        const done = yield* install.callback({ url, cookie })
        expect(done.status).toBe(200)
        expect(done.body).toContain("Team &lt;One&gt;")
        const saved = Option.getOrThrow(yield* Effect.flatMap(SlackInstallations, (s) => s.get(orgId)))
        expect(saved).toMatchObject({ teamId: "T1", botUserId: "U0BOT", slackUserId: "U0ADA" })
        const token = yield* Effect.flatMap(SlackInstallations, (s) => s.botToken(orgId))
        expect(Option.map(token, Redacted.value)).toEqual(Option.some("xoxb-granted"))

        const again = yield* install.callback({ url, cookie })
        expect(again.status).toBe(400)
        expect(again.body).toContain("already used")
      })
    )

    it.effect("a state without its cookie is refused before Slack is asked anything", () =>
      Effect.gen(function* () {
        const install = yield* SlackInstall.SlackInstall
        const recorder = yield* RecorderTag
        const { secret } = yield* linkOfNewOrg
        const started = yield* install.installPath({ url: `/slack/install?link=${secret}` })
        const state = new URL(started.headers.location!).searchParams.get("state")!
        const before = recorder.requests().length
        const refused = yield* install.callback({
          url: `/slack/oauth_redirect?code=ok&state=${encodeURIComponent(state)}`
        })
        expect(refused.status).toBe(400)
        expect(recorder.requests().length).toBe(before)
      })
    )
  })

  describe("botToken", () => {
    it.effect("is the installation's token, else the fallback, else none", () =>
      Effect.gen(function* () {
        const installed = Fixtures.slackInstallation((yield* linkOfNewOrg).orgId)
        yield* Effect.flatMap(SlackInstallations, (s) => s.save(installed, Redacted.make("xoxb-org")))
        const withFallback = yield* SlackInstall.botToken(Option.some(Redacted.make("xoxb-shared")))
        const without = yield* SlackInstall.botToken()
        const value = (token: Option.Option<Redacted.Redacted<string>>) => Option.map(token, Redacted.value)
        expect(value(yield* withFallback(installed.orgId))).toEqual(Option.some("xoxb-org"))
        expect(value(yield* withFallback("other-org"))).toEqual(Option.some("xoxb-shared"))
        expect(Option.isNone(yield* without("other-org"))).toBe(true)
      })
    )
  })
})
