import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted, TestClock } from "effect"
import type { Caller } from "../src/domain/Audit.js"
import { AuditLog } from "../src/ports/AuditLog.js"
import { OrgStore } from "../src/ports/OrgStore.js"
import { SlackInstallations } from "../src/ports/SlackInstallations.js"
import * as SlackInstalls from "../src/SlackInstalls.js"
import { Fixtures } from "../src/testing/index.js"
import { type TestServices, testLayer } from "./useCaseSupport.js"

const run = <A, E>(effect: Effect.Effect<A, E, TestServices<never>>) =>
  effect.pipe(Effect.provide(testLayer(Layer.empty)))

/** A fresh organization and callers of each role in it. */
const org = Effect.gen(function* () {
  const organization = Fixtures.organization()
  yield* Effect.flatMap(OrgStore, (s) => s.createOrganization(organization))
  const as = (role: Caller["actor"]["role"]): Caller => ({
    orgId: organization.id,
    actor: { keyId: `key-${role}`, memberId: null, role }
  })
  return { orgId: organization.id, admin: as("admin"), editor: as("editor"), viewer: as("viewer") }
})

const grant = (teamName = "Acme HQ"): SlackInstalls.Grant => ({
  teamId: "T0ACME",
  teamName,
  botUserId: "U0BOT",
  scopes: ["chat:write", "chat:write.public", "channels:read", "commands"],
  slackUserId: "U0ADA",
  botToken: Redacted.make(`xoxb-${teamName}`)
})

const linkField = (error: { readonly _tag: string }) =>
  error._tag === "ValidationFailed"
    ? (error as any).fieldErrors.map((f: { field: string }) => f.field)
    : error._tag

describe("install links", () => {
  it.effect("only admins and owners create them; the secret is returned once and only its hash stored", () =>
    run(
      Effect.gen(function* () {
        const { admin, editor } = yield* org
        const refused = yield* Effect.flip(SlackInstalls.createLink(editor))
        expect(refused._tag).toBe("ForbiddenRole")
        const { link, secret } = yield* SlackInstalls.createLink(admin, { expiresInMinutes: 30 })
        expect(link).not.toHaveProperty("secretHash")
        expect(link.expiresAt.getTime() - link.createdAt.getTime()).toBe(30 * 60_000)
        const stored = yield* Effect.flatMap(SlackInstallations, (s) =>
          s.getLinkBySecretHash(SlackInstalls.hashLinkSecret(secret))
        )
        expect(Option.getOrThrow(stored).secretHash).not.toContain(secret)
        const audit = yield* Effect.flatMap(AuditLog, (l) => l.list(admin.orgId, { limit: 5 }))
        expect(audit.map((e) => [e.action, e.targetId])).toEqual([["slack.install_links.create", link.id]])
      })
    )
  )

  it.effect("an expiry outside 5 minutes to a week is validation_failed", () =>
    run(
      Effect.gen(function* () {
        const { admin } = yield* org
        const error = yield* Effect.flip(SlackInstalls.createLink(admin, { expiresInMinutes: 1 }))
        expect(linkField(error)).toEqual(["expiresInMinutes"])
      })
    )
  )

  it.effect("checkLink says whether a secret is unknown, used or expired", () =>
    run(
      Effect.gen(function* () {
        const { admin } = yield* org
        expect(linkField(yield* Effect.flip(SlackInstalls.checkLink("nope")))).toEqual(["link"])
        const { link, secret } = yield* SlackInstalls.createLink(admin)
        expect((yield* SlackInstalls.checkLink(secret)).id).toBe(link.id)
        yield* TestClock.adjust(Duration.minutes(61))
        const expired = yield* Effect.flip(SlackInstalls.checkLink(secret))
        expect(expired.message).toContain("expired")
      })
    )
  )
})

describe("completing an install", () => {
  it.effect("saves the grant for the link's organization and uses the link up; a replay writes nothing", () =>
    run(
      Effect.gen(function* () {
        const { admin, viewer, orgId } = yield* org
        const { link, secret } = yield* SlackInstalls.createLink(admin)
        const installed = yield* SlackInstalls.completeInstall(link.id, grant())
        expect(installed).toMatchObject({
          orgId,
          teamId: "T0ACME",
          teamName: "Acme HQ",
          installedBy: admin.actor
        })
        expect(Option.getOrThrow(yield* SlackInstalls.getInstallation(viewer))).toEqual(installed)

        const replay = yield* Effect.flip(SlackInstalls.completeInstall(link.id, grant("Evil Corp")))
        expect(linkField(replay)).toEqual(["link"])
        expect(Option.getOrThrow(yield* SlackInstalls.getInstallation(viewer)).teamName).toBe("Acme HQ")
        const used = yield* Effect.flip(SlackInstalls.checkLink(secret))
        expect(used.message).toContain("already used")
        const token = yield* Effect.flatMap(SlackInstallations, (s) => s.botToken(orgId))
        expect(Option.map(token, Redacted.value)).toEqual(Option.some("xoxb-Acme HQ"))
      })
    )
  )

  it.effect("an expired link installs nothing", () =>
    run(
      Effect.gen(function* () {
        const { admin, viewer } = yield* org
        const { link } = yield* SlackInstalls.createLink(admin, { expiresInMinutes: 5 })
        yield* TestClock.adjust(Duration.minutes(6))
        expect(linkField(yield* Effect.flip(SlackInstalls.completeInstall(link.id, grant())))).toEqual([
          "link"
        ])
        expect(Option.isNone(yield* SlackInstalls.getInstallation(viewer))).toBe(true)
      })
    )
  )
})

describe("removing the installation", () => {
  it.effect("is an admin's; it deletes the installation, and a second removal is not_found", () =>
    run(
      Effect.gen(function* () {
        const { admin, editor, viewer, orgId } = yield* org
        const { link } = yield* SlackInstalls.createLink(admin)
        yield* SlackInstalls.completeInstall(link.id, grant())
        expect((yield* Effect.flip(SlackInstalls.removeInstallation(editor)))._tag).toBe("ForbiddenRole")
        yield* SlackInstalls.removeInstallation(admin)
        expect(Option.isNone(yield* SlackInstalls.getInstallation(viewer))).toBe(true)
        expect((yield* Effect.flip(SlackInstalls.removeInstallation(admin))).code).toBe("not_found")
        const actions = (yield* Effect.flatMap(AuditLog, (l) => l.list(orgId, { limit: 10 }))).map(
          (e) => e.action
        )
        expect(actions).toEqual([
          "slack.installation.delete",
          "slack.installation.create",
          "slack.install_links.create"
        ])
      })
    )
  )
})

describe("linking Slack users to members", () => {
  it.effect("a member links their Slack user and then acts from Slack with their current role", () =>
    run(
      Effect.gen(function* () {
        const { orgId, admin } = yield* org
        const orgs = yield* OrgStore
        const ada = Fixtures.member(orgId, { role: "editor" })
        const grace = Fixtures.member(orgId, { role: "viewer" })
        yield* orgs.addMember(ada)
        yield* orgs.addMember(grace)
        const asMember = (m: typeof ada): Caller => ({
          orgId,
          actor: { keyId: null, memberId: m.id, role: m.role }
        })
        yield* Effect.flatMap(SlackInstallations, (s) =>
          s.save(Fixtures.slackInstallation(orgId, { teamId: "T0ACME" }), Redacted.make("xoxb-1"))
        )

        expect(Option.isNone(yield* SlackInstalls.callerOf("T0ACME", "U0ADA"))).toBe(true)
        yield* SlackInstalls.linkUser(asMember(ada), { teamId: "T0ACME", slackUserId: "U0ADA" })
        const caller = Option.getOrThrow(yield* SlackInstalls.callerOf("T0ACME", "U0ADA"))
        expect(caller).toMatchObject({ orgId, actor: { memberId: ada.id, role: "editor", keyId: null } })
        // Another workspace, or an unlinked user of this one: nobody.
        expect(Option.isNone(yield* SlackInstalls.callerOf("T0OTHER", "U0ADA"))).toBe(true)
        expect(Option.isNone(yield* SlackInstalls.callerOf("T0ACME", "U0NOBODY"))).toBe(true)
        // A demoted member acts with the new role.
        yield* orgs.updateMember({ ...ada, role: "viewer", slackUserId: "U0ADA" })
        expect(Option.getOrThrow(yield* SlackInstalls.callerOf("T0ACME", "U0ADA")).actor.role).toBe("viewer")

        // Linking the same Slack user as another member moves the link.
        yield* SlackInstalls.linkUser(asMember(grace), { teamId: "T0ACME", slackUserId: "U0ADA" })
        expect(Option.getOrThrow(yield* SlackInstalls.callerOf("T0ACME", "U0ADA")).actor.memberId).toBe(
          grace.id
        )
        expect(Option.getOrThrow(yield* orgs.getMember(orgId, ada.id)).slackUserId).toBeNull()

        // A workspace the organization did not connect, or the operator's key, is refused.
        const wrongTeam = yield* Effect.flip(
          SlackInstalls.linkUser(asMember(ada), { teamId: "T0OTHER", slackUserId: "U0X" })
        )
        expect(linkField(wrongTeam)).toEqual(["teamId"])
        const operator = yield* Effect.flip(
          SlackInstalls.linkUser(admin, { teamId: "T0ACME", slackUserId: "U0X" })
        )
        expect(linkField(operator)).toEqual(["member"])
        const audit = yield* Effect.flatMap(AuditLog, (log) => log.list(orgId, { limit: 10 }))
        expect(audit.filter((e) => e.action === "slack.user.link")).toHaveLength(2)
      })
    )
  )
})
