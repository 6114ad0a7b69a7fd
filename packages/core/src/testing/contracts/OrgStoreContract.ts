import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { OrgStore } from "../../ports/OrgStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { apiKey, at, invitation, member, newOrg, organization, uid } from "./fixtures.js"

/** Registers the `OrgStore` contract tests. */
export const orgStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("organizations", () => {
    it.effect("a taken slug fails with Conflict on field slug", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const org = organization()
        yield* store.createOrganization(org)
        const error = yield* Effect.flip(store.createOrganization(organization({ slug: org.slug })))
        expect(error._tag).toBe("Conflict")
        expect(error._tag === "Conflict" && error.fieldErrors.map((f) => f.field)).toEqual(["slug"])
        expect(Option.getOrThrow(yield* store.getOrganizationBySlug(org.slug)).id).toBe(org.id)
        expect(Option.getOrThrow(yield* store.getOrganization(org.id))).toEqual(org)
        expect((yield* store.listOrganizations).map((o) => o.id)).toContain(org.id)
      })
    )

    it.effect("unknown ids and slugs find nothing", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        expect(Option.isNone(yield* store.getOrganization(organization().id))).toBe(true)
        expect(Option.isNone(yield* store.getOrganizationBySlug(organization().slug))).toBe(true)
      })
    )
  })

  describe("members", () => {
    it.effect("an email is unique per organization, case-insensitively", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const ada = member(orgA)
        yield* store.addMember(ada)
        const error = yield* Effect.flip(store.addMember(member(orgA, { email: ada.email.toUpperCase() })))
        expect(error._tag).toBe("Conflict")
        expect(error._tag === "Conflict" && error.fieldErrors.map((f) => f.field)).toEqual(["email"])
        // The same person may belong to another organization.
        yield* store.addMember(member(orgB, { email: ada.email }))
        expect((yield* store.listMembers(orgA)).map((m) => m.id)).toEqual([ada.id])
      })
    )

    it.effect("reads, updates and removals never cross organizations", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const slackUserId = `U${uid()}`
        const ada = member(orgA, { slackUserId })
        yield* store.addMember(ada)
        expect(Option.getOrThrow(yield* store.getMember(orgA, ada.id))).toEqual(ada)
        expect(Option.isNone(yield* store.getMember(orgB, ada.id))).toBe(true)
        expect(Option.getOrThrow(yield* store.getMemberBySlackUser(orgA, slackUserId)).id).toBe(ada.id)
        expect(Option.isNone(yield* store.getMemberBySlackUser(orgB, slackUserId))).toBe(true)
        expect(yield* store.listMembers(orgB)).toEqual([])

        yield* store.updateMember({ ...ada, role: "admin" })
        expect(Option.getOrThrow(yield* store.getMember(orgA, ada.id)).role).toBe("admin")

        expect(yield* store.removeMember(orgB, ada.id)).toBe(false)
        expect(yield* store.removeMember(orgA, ada.id)).toBe(true)
        expect(Option.isNone(yield* store.getMember(orgA, ada.id))).toBe(true)
        expect(yield* store.removeMember(orgA, ada.id)).toBe(false)
      })
    )
  })

  describe("API keys", () => {
    it.effect("are found by key id alone, listed and deleted per organization", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const key = apiKey(orgA)
        yield* store.createApiKey(key)
        expect(Option.getOrThrow(yield* store.getApiKey(key.id))).toEqual(key)
        expect((yield* store.listApiKeys(orgA)).map((k) => k.id)).toEqual([key.id])
        expect(yield* store.listApiKeys(orgB)).toEqual([])

        yield* store.touchApiKey(key.id, at(60))
        expect(Option.getOrThrow(yield* store.getApiKey(key.id)).lastUsedAt).toEqual(at(60))

        expect(yield* store.deleteApiKey(orgB, key.id)).toBe(false)
        expect(Option.isSome(yield* store.getApiKey(key.id))).toBe(true)
        expect(yield* store.deleteApiKey(orgA, key.id)).toBe(true)
        expect(Option.isNone(yield* store.getApiKey(key.id))).toBe(true)
      })
    )

    it.effect("come with their creator's current role, none once the creator left", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const ada = member(orgA, { role: "admin" })
        yield* store.addMember(ada)
        const byAda = apiKey(orgA, { createdBy: ada.id })
        const byNobody = apiKey(orgA)
        // A creator id of another organization's member is not that member.
        const stranger = member(orgB, { role: "owner" })
        yield* store.addMember(stranger)
        const crossed = apiKey(orgA, { createdBy: stranger.id })
        for (const key of [byAda, byNobody, crossed]) yield* store.createApiKey(key)

        const read = (id: string) => Effect.map(store.getApiKeyWithCreatorRole(id), Option.getOrThrow)
        expect(yield* read(byAda.id)).toEqual({ key: byAda, creatorRole: "admin" })
        expect(yield* read(byNobody.id)).toEqual({ key: byNobody, creatorRole: null })
        expect((yield* read(crossed.id)).creatorRole).toBeNull()

        yield* store.updateMember({ ...ada, role: "viewer" })
        expect((yield* read(byAda.id)).creatorRole).toBe("viewer")
        yield* store.removeMember(orgA, ada.id)
        const afterRemoval = yield* store.getApiKeyWithCreatorRole(byAda.id)
        // A store may delete the departed member's keys with them, or keep them without a role.
        expect(Option.isNone(afterRemoval) || afterRemoval.value.creatorRole === null).toBe(true)
        expect(Option.isNone(yield* store.getApiKeyWithCreatorRole(apiKey(orgA).id))).toBe(true)
      })
    )
  })

  describe("invitations", () => {
    it.effect("pendingAt keeps those neither accepted, revoked nor expired at that time", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const orgId = yield* newOrg
        const pending = invitation(orgId, { createdAt: at(1) })
        const rows = [
          pending,
          invitation(orgId, { createdAt: at(2), acceptedAt: at(3) }),
          invitation(orgId, { createdAt: at(4), revokedAt: at(5) }),
          invitation(orgId, { createdAt: at(6), expiresAt: at(100) })
        ]
        for (const row of rows) yield* store.createInvitation(row)
        expect((yield* store.listInvitations(orgId)).length).toBe(4)
        const found = yield* store.listInvitations(orgId, undefined, { pendingAt: at(100) })
        expect(found.map((i) => i.id)).toEqual([pending.id])
        expect((yield* store.listInvitations(orgId, { limit: 2 }, { pendingAt: at(50) })).length).toBe(2)
      })
    )

    it.effect("are found by token hash, listed per organization and updated", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const invite = invitation(orgA, { email: "new@example.com" })
        yield* store.createInvitation(invite)
        expect(Option.getOrThrow(yield* store.getInvitationByTokenHash(invite.tokenHash))).toEqual(invite)
        expect((yield* store.listInvitations(orgA)).map((i) => i.id)).toEqual([invite.id])
        expect(yield* store.listInvitations(orgB)).toEqual([])

        yield* store.updateInvitation({ ...invite, acceptedAt: at(120) })
        expect(Option.getOrThrow(yield* store.getInvitationByTokenHash(invite.tokenHash)).acceptedAt).toEqual(
          at(120)
        )
      })
    )
  })

  describe("subscriptions", () => {
    it.effect("put replaces the organization's subscription", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const orgId = yield* newOrg
        expect(Option.isNone(yield* store.getSubscription(orgId))).toBe(true)
        yield* store.putSubscription({ orgId, planId: "free", status: "active", currentPeriodEnd: null })
        yield* store.putSubscription({
          orgId,
          planId: "team",
          status: "past_due",
          currentPeriodEnd: at(3600)
        })
        expect(Option.getOrThrow(yield* store.getSubscription(orgId))).toEqual({
          orgId,
          planId: "team",
          status: "past_due",
          currentPeriodEnd: at(3600)
        })
      })
    )

    it.effect("keeps the payment provider's customer id when given", () =>
      Effect.gen(function* () {
        const store = yield* OrgStore
        const orgId = yield* newOrg
        yield* store.putSubscription({
          orgId,
          planId: "team",
          status: "active",
          currentPeriodEnd: null,
          customerId: "cus_123"
        })
        expect(Option.getOrThrow(yield* store.getSubscription(orgId)).customerId).toBe("cus_123")
      })
    )
  })
}
