import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, TestClock } from "effect"
import * as ApiKeys from "../src/ApiKeys.js"
import type { Caller } from "../src/domain/Audit.js"
import type { ValidationFailed } from "../src/Errors.js"
import * as Team from "../src/Team.js"
import { callerOf, type TestServices, testLayer } from "./useCaseSupport.js"

const run = <A, E>(effect: Effect.Effect<A, E, TestServices<never>>) =>
  effect.pipe(Effect.provide(testLayer(Layer.empty)))

const failureOf = <A>(exit: Exit.Exit<A, unknown>): any => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a failure")
  return exit.cause.error
}
const fields = <A>(exit: Exit.Exit<A, unknown>) => {
  const error = failureOf(exit) as ValidationFailed
  expect(error._tag).toBe("ValidationFailed")
  return error.fieldErrors.map((f) => f.field)
}

/** An organization and an admin caller in it. */
const org = Effect.gen(function* () {
  const created = yield* Team.createOrganization({
    name: "Acme",
    ownerEmail: "owner@acme.io",
    ownerName: "Olive"
  })
  const owner: Caller = {
    orgId: created.organization.id,
    actor: { keyId: null, memberId: created.owner.id, role: "owner" }
  }
  const admin: Caller = { ...owner, actor: { ...owner.actor, role: "admin" } }
  return { ...created, ownerCaller: owner, admin }
})

describe("Team.bootstrap", () => {
  it.effect("creates the first organization, owner and owner key, and returns the token only once", () =>
    run(
      Effect.gen(function* () {
        const first = yield* Team.bootstrap({
          orgName: "Acme Corp",
          ownerEmail: "Owner@Acme.io",
          ownerName: "Olive"
        })
        if (!first.created) throw new Error("expected creation")
        expect(first.organization.slug).toBe("acme-corp")
        expect(first.owner).toMatchObject({ role: "owner", email: "owner@acme.io" })
        expect(first.token).toMatch(/^amt_[a-z0-9]{12}_/)
        const auth = yield* ApiKeys.authenticate(first.token)
        expect(auth).toMatchObject({
          orgId: first.organization.id,
          actor: { role: "owner", memberId: first.owner.id }
        })
        const second = yield* Team.bootstrap({ orgName: "Other", ownerEmail: "x@y.io", ownerName: "X" })
        expect(second).toEqual({ organization: first.organization, created: false })
        expect("token" in second).toBe(false)
      })
    )
  )
})

describe("Team.createOrganization", () => {
  it("derives slugs from names", () => {
    expect(Team.slugify("Acme Corp")).toBe("acme-corp")
    expect(Team.slugify("  Ünïcôdé -- Team!! ")).toBe("unicode-team")
    expect(Team.slugify("!!!")).toBe("org")
    expect(Team.slugify("a".repeat(80))).toHaveLength(63)
  })

  it.effect(
    "appends -2, -3… to a derived slug that is taken; a chosen slug is validated and never renamed",
    () =>
      run(
        Effect.gen(function* () {
          const input = { name: "Acme", ownerEmail: "o@acme.io", ownerName: "O" }
          const slugs = []
          for (let i = 0; i < 3; i++) slugs.push((yield* Team.createOrganization(input)).organization.slug)
          expect(slugs).toEqual(["acme", "acme-2", "acme-3"])
          expect(fields(yield* Effect.exit(Team.createOrganization({ ...input, slug: "Bad Slug" })))).toEqual(
            ["slug"]
          )
          const taken = failureOf(yield* Effect.exit(Team.createOrganization({ ...input, slug: "acme" })))
          expect(taken._tag).toBe("Conflict")
          expect(taken.fieldErrors).toEqual([{ field: "slug", message: "is taken" }])
          expect(
            fields(
              yield* Effect.exit(Team.createOrganization({ name: "", ownerEmail: "nope", ownerName: "O" }))
            ).sort()
          ).toEqual(["name", "ownerEmail"])
        })
      )
  )
})

describe("Team members", () => {
  it.effect("roles change, but never to or from owner; the owner cannot be removed", () =>
    run(
      Effect.gen(function* () {
        const { owner, admin, token } = yield* org
        const { token: invite } = yield* Team.invite(admin, { email: "ed@acme.io", role: "editor" })
        const { member } = yield* Team.acceptInvitation(invite, { email: "ed@acme.io", name: "Ed" })
        expect((yield* Team.changeRole(admin, member.id, "admin")).role).toBe("admin")
        expect(fields(yield* Effect.exit(Team.changeRole(admin, member.id, "owner")))).toEqual(["role"])
        expect(fields(yield* Effect.exit(Team.changeRole(admin, owner.id, "viewer")))).toEqual(["role"])
        expect(fields(yield* Effect.exit(Team.removeMember(admin, owner.id)))).toEqual(["memberId"])
        yield* Team.removeMember(admin, member.id)
        expect((yield* Team.listMembers(admin)).items.map((m) => m.role)).toEqual(["owner"])
        expect(token).toBeTruthy()
      })
    )
  )

  it.effect("removing a member revokes the keys they created", () =>
    run(
      Effect.gen(function* () {
        const { admin } = yield* org
        const { token: invite } = yield* Team.invite(admin, { role: "viewer" })
        const accepted = yield* Team.acceptInvitation(invite, { email: "v@acme.io", name: "Vi" })
        yield* Team.removeMember(admin, accepted.member.id)
        const exit = yield* Effect.exit(ApiKeys.authenticate(accepted.token))
        expect(failureOf(exit)._tag).toBe("Unauthenticated")
      })
    )
  )

  it.effect("member and invitation management needs the admin role", () =>
    run(
      Effect.gen(function* () {
        const { organization } = yield* org
        const editor = callerOf("editor", organization.id)
        expect(failureOf(yield* Effect.exit(Team.listMembers(editor)))._tag).toBe("ForbiddenRole")
        expect(failureOf(yield* Effect.exit(Team.invite(editor, { role: "viewer" })))._tag).toBe(
          "ForbiddenRole"
        )
      })
    )
  )
})

describe("Team invitations", () => {
  it.effect("an invitation cannot grant owner", () =>
    run(
      Effect.gen(function* () {
        const { admin } = yield* org
        const exit = yield* Effect.exit(Team.invite(admin, { email: "x@acme.io", role: "owner" }))
        const error = failureOf(exit) as ValidationFailed
        expect(error.fieldErrors).toEqual([
          { field: "role", message: "must be viewer, editor or admin (ownership cannot be granted)" }
        ])
      })
    )
  )

  it.effect("accepting creates the member and returns a personal key once; the link works once", () =>
    run(
      Effect.gen(function* () {
        const { admin, organization } = yield* org
        const { invitation, token } = yield* Team.invite(admin, { email: "Ed@Acme.io", role: "editor" })
        expect(JSON.stringify(invitation)).not.toContain("tokenHash")
        expect(invitation.expiresAt.getTime() - invitation.createdAt.getTime()).toBe(7 * 86_400_000)
        expect((yield* Team.listInvitations(admin)).items).toHaveLength(1)
        const wrongEmail = yield* Effect.exit(Team.acceptInvitation(token, { email: "x@acme.io", name: "X" }))
        expect(fields(wrongEmail)).toEqual(["email"])
        const accepted = yield* Team.acceptInvitation(token, { email: "ed@acme.io", name: "Ed" })
        expect(accepted.member).toMatchObject({ role: "editor", orgId: organization.id })
        const auth = yield* ApiKeys.authenticate(accepted.token)
        expect(auth.actor).toMatchObject({ role: "editor", memberId: accepted.member.id })
        const again = failureOf(
          yield* Effect.exit(Team.acceptInvitation(token, { email: "ed@acme.io", name: "Ed" }))
        )
        expect(again.fieldErrors).toEqual([{ field: "token", message: "This invitation was already used" }])
        expect((yield* Team.listInvitations(admin)).items).toHaveLength(0)
      })
    )
  )

  it.effect("expired and revoked invitations fail clearly and are not pending", () =>
    run(
      Effect.gen(function* () {
        const { admin } = yield* org
        const revoked = yield* Team.invite(admin, { role: "viewer" })
        const expiring = yield* Team.invite(admin, { role: "viewer", expiresInDays: 1 })
        yield* Team.revokeInvitation(admin, revoked.invitation.id)
        expect((yield* Team.listInvitations(admin)).items.map((i) => i.id)).toEqual([expiring.invitation.id])
        const r = failureOf(
          yield* Effect.exit(Team.acceptInvitation(revoked.token, { email: "a@b.io", name: "A" }))
        )
        expect(r.fieldErrors[0].message).toBe("This invitation was revoked")
        yield* TestClock.adjust(Duration.days(2))
        expect((yield* Team.listInvitations(admin)).items).toHaveLength(0)
        const e = failureOf(
          yield* Effect.exit(Team.acceptInvitation(expiring.token, { email: "a@b.io", name: "A" }))
        )
        expect(e.fieldErrors[0].message).toMatch(/^This invitation expired at /)
        const unknown = failureOf(
          yield* Effect.exit(Team.acceptInvitation("inv_nope", { email: "a@b.io", name: "A" }))
        )
        expect(unknown.fieldErrors[0]).toEqual({
          field: "token",
          message: "This invitation link is not valid"
        })
      })
    )
  )
})
