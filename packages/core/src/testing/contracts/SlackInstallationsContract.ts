import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { SecretStore } from "../../ports/SecretStore.js"
import { SlackInstallations } from "../../ports/SlackInstallations.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { Transactor } from "../../ports/Transactor.js"
import { at, era, newOrg, plus, slackInstallation, slackInstallLink, uid } from "./fixtures.js"

const token = () => Redacted.make(`xoxb-${uid()}`)

/** Whether the organization keeps `value` as a secret (the bot token's only home). */
const storedAsSecret = (orgId: string, value: Redacted.Redacted<string>) =>
  Effect.map(
    Effect.flatMap(SecretStore, (s) => s.matching(orgId, [Redacted.value(value)])),
    (found) => found.size === 1
  )

/** Registers the `SlackInstallations` contract tests. */
export const slackInstallationsSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("installations", () => {
    it.effect("a saved installation reads back, its token only through botToken and kept as a secret", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const installation = slackInstallation(orgA)
        const bot = token()
        yield* store.save(installation, bot)
        expect(yield* store.get(orgA)).toEqual(Option.some(installation))
        expect(JSON.stringify(Option.getOrThrow(yield* store.get(orgA)))).not.toContain(Redacted.value(bot))
        expect(Option.map(yield* store.botToken(orgA), Redacted.value)).toEqual(
          Option.some(Redacted.value(bot))
        )
        expect(yield* storedAsSecret(orgA, bot)).toBe(true)
        // Another organization sees nothing of it.
        expect(Option.isNone(yield* store.get(orgB))).toBe(true)
        expect(Option.isNone(yield* store.botToken(orgB))).toBe(true)
        // Found by its Slack workspace, beside another organization's installation there.
        const shared = slackInstallation(orgB, { teamId: installation.teamId })
        yield* store.save(shared, token())
        expect(yield* store.listByTeam(installation.teamId)).toEqual(
          [installation, shared].sort((a, b) => (a.orgId < b.orgId ? -1 : 1))
        )
        expect(yield* store.listByTeam(`T${uid()}`)).toEqual([])
      })
    )

    it.effect("a re-install replaces the installation and deletes the old token's secret", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const orgId = yield* newOrg
        const [oldToken, newToken] = [token(), token()]
        yield* store.save(slackInstallation(orgId, { teamName: "Old" }), oldToken)
        const replacement = slackInstallation(orgId, { teamName: "New", installedAt: at(60) })
        yield* store.save(replacement, newToken)
        expect(yield* store.get(orgId)).toEqual(Option.some(replacement))
        expect(Option.map(yield* store.botToken(orgId), Redacted.value)).toEqual(
          Option.some(Redacted.value(newToken))
        )
        expect(yield* storedAsSecret(orgId, oldToken)).toBe(false)
        expect(yield* storedAsSecret(orgId, newToken)).toBe(true)
      })
    )

    it.effect("the proposals channel is set and cleared on the installation, and kept by a re-install", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const orgId = yield* newOrg
        expect(yield* store.setProposalsChannel(orgId, "C0PROPOSALS")).toBe(false)
        const installation = slackInstallation(orgId)
        yield* store.save(installation, token())
        expect(yield* store.setProposalsChannel(orgId, "C0PROPOSALS")).toBe(true)
        expect(Option.getOrThrow(yield* store.get(orgId)).proposalsChannel).toBe("C0PROPOSALS")
        yield* store.save({ ...installation, proposalsChannel: "C0PROPOSALS", teamName: "Renamed" }, token())
        expect(Option.getOrThrow(yield* store.get(orgId)).proposalsChannel).toBe("C0PROPOSALS")
        expect(yield* store.setProposalsChannel(orgId, null)).toBe(true)
        expect(Option.getOrThrow(yield* store.get(orgId)).proposalsChannel).toBeNull()
      })
    )

    it.effect("remove deletes the installation and its token; a second remove finds nothing", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const orgId = yield* newOrg
        const bot = token()
        yield* store.save(slackInstallation(orgId), bot)
        expect(yield* store.remove(orgId)).toBe(true)
        expect(Option.isNone(yield* store.get(orgId))).toBe(true)
        expect(Option.isNone(yield* store.botToken(orgId))).toBe(true)
        expect(yield* storedAsSecret(orgId, bot)).toBe(false)
        expect(yield* store.remove(orgId)).toBe(false)
      })
    )

    it.effect("a save in a failed transaction leaves neither the installation nor its token", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const { withTransaction } = yield* Transactor
        const orgId = yield* newOrg
        const bot = token()
        const failed = yield* Effect.flip(
          withTransaction(
            Effect.zipRight(store.save(slackInstallation(orgId), bot), Effect.fail("boom" as const))
          )
        )
        expect(failed).toBe("boom")
        expect(Option.isNone(yield* store.get(orgId))).toBe(true)
        expect(yield* storedAsSecret(orgId, bot)).toBe(false)
      })
    )
  })

  describe("install links", () => {
    it.effect("are found by the hash of their secret; an unknown hash finds nothing", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const orgId = yield* newOrg
        const link = slackInstallLink(orgId)
        yield* store.createLink(link)
        expect(yield* store.getLinkBySecretHash(link.secretHash)).toEqual(Option.some(link))
        expect(Option.isNone(yield* store.getLinkBySecretHash(uid()))).toBe(true)
      })
    )

    it.effect("a link is consumed once: the second consume, and any after, get nothing", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const orgId = yield* newOrg
        const link = slackInstallLink(orgId)
        yield* store.createLink(link)
        const when = plus(link.createdAt, 10)
        expect(yield* store.consumeLink(link.id, when)).toEqual(Option.some({ ...link, usedAt: when }))
        expect(Option.isNone(yield* store.consumeLink(link.id, plus(when, 1)))).toBe(true)
        expect(Option.getOrThrow(yield* store.getLinkBySecretHash(link.secretHash)).usedAt).toEqual(when)
        expect(Option.isNone(yield* store.consumeLink(uid(), when))).toBe(true)
      })
    )

    it.effect("an expired link is refused and stays unused", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const orgId = yield* newOrg
        const link = slackInstallLink(orgId)
        yield* store.createLink(link)
        expect(Option.isNone(yield* store.consumeLink(link.id, link.expiresAt))).toBe(true)
        expect(Option.isNone(yield* store.consumeLink(link.id, plus(link.expiresAt, 60)))).toBe(true)
        expect(Option.getOrThrow(yield* store.getLinkBySecretHash(link.secretHash)).usedAt).toBeNull()
      })
    )

    it.effect("pruneLinks deletes links that expired before the cutoff, used or not", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const orgId = yield* newOrg
        const t = era()
        const gone = slackInstallLink(orgId, { createdAt: plus(t, -120), expiresAt: plus(t, -60) })
        const used = slackInstallLink(orgId, {
          createdAt: plus(t, -120),
          expiresAt: plus(t, -1),
          usedAt: plus(t, -100)
        })
        const live = slackInstallLink(orgId, { createdAt: plus(t, -120), expiresAt: plus(t, 60) })
        for (const link of [gone, used, live]) yield* store.createLink(link)
        // Acts across organizations: at least these two, whatever other suites left before `t`.
        expect(yield* store.pruneLinks(t)).toBeGreaterThanOrEqual(2)
        expect(Option.isNone(yield* store.getLinkBySecretHash(gone.secretHash))).toBe(true)
        expect(Option.isNone(yield* store.getLinkBySecretHash(used.secretHash))).toBe(true)
        expect(Option.isSome(yield* store.getLinkBySecretHash(live.secretHash))).toBe(true)
      })
    )

    it.effect("of concurrent consumes of one link, exactly one gets it", () =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const orgId = yield* newOrg
        const link = slackInstallLink(orgId)
        yield* store.createLink(link)
        const results = yield* Effect.all(
          Array.from({ length: 6 }, (_, i) => store.consumeLink(link.id, plus(link.createdAt, i + 1))),
          { concurrency: "unbounded" }
        )
        expect(results.filter(Option.isSome).length).toBe(1)
      })
    )
  })
}
