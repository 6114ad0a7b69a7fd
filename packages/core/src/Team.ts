/**
 * Organizations, members and invitations (SPEC §1, §11), and the first-start bootstrap that
 * creates the first organization with its owner and an owner API key. Exactly one owner per
 * organization: ownership is never granted by invitation or role change, and the owner can be
 * neither demoted nor removed.
 */
import { createHash } from "node:crypto"
import { Effect, Option, Schema } from "effect"
import { type ApiKeyView, mintForBootstrap } from "./ApiKeys.js"
import type { Caller } from "./domain/Audit.js"
import type { Invitation, Member, Organization } from "./domain/Organization.js"
import {
  Conflict,
  ForbiddenRole,
  type NotFound,
  type QuotaExceeded,
  type StoreError,
  type ValidationFailed,
  validationFailed
} from "./Errors.js"
import { now } from "./internal/clock.js"
import { newId } from "./internal/ids.js"
import { notFound, orNotFound } from "./internal/notFound.js"
import { candidate, maxSlugLength, slugify, slugPattern } from "./internal/teamSlug.js"
import * as Pages from "./Pages.js"
import * as Plans from "./Plans.js"
import { EmailSender } from "./ports/EmailSender.js"
import { Ids } from "./ports/Ids.js"
import { OrgStore } from "./ports/OrgStore.js"
import { Transactor } from "./ports/Transactor.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

export { slugify } from "./internal/teamSlug.js"

const Email = Schema.Trim.pipe(
  Schema.pattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: () => "must be an email address" })
)
const Name = Schema.Trim.pipe(Schema.minLength(1, { message: () => "is required" }), Schema.maxLength(200))
const Slug = Schema.String.pipe(
  Schema.pattern(slugPattern, { message: () => "must be lower-case letters, digits and single dashes" }),
  Schema.maxLength(maxSlugLength)
)
/** Invitable roles; the message says why `owner` is refused. */
const grantable = ["viewer", "editor", "admin"] as const
const GrantableRole = Schema.Unknown.pipe(
  Schema.filter((u) => (grantable as ReadonlyArray<unknown>).includes(u), {
    message: () => "must be viewer, editor or admin (ownership cannot be granted)"
  }),
  Schema.compose(Schema.Literal(...grantable), { strict: false })
)

/** What `createOrganization` accepts; `slug` is derived from `name` when absent, and fixed afterwards. */
export const CreateOrganizationInput = Schema.Struct({
  name: Name,
  slug: Schema.optional(Slug),
  ownerEmail: Email,
  ownerName: Name
})

/** The result of creating an organization: the owner's API key token is shown this once. */
export interface CreatedOrganization {
  readonly organization: Organization
  readonly owner: Member
  readonly key: ApiKeyView
  readonly token: string
}

type OrgEnv = OrgStore | Ids | Transactor

/** Inserts the organization under the first free slug candidate (a chosen slug gets no suffix). */
const insertOrganization = (name: string, slug: string, chosen: boolean) =>
  Effect.gen(function* () {
    const store = yield* OrgStore
    const id = yield* newId
    const createdAt = yield* now
    for (let n = 1; ; n++) {
      const organization: Organization = { id, name, slug: candidate(slug, n), createdAt }
      const result = yield* Effect.either(store.createOrganization(organization))
      if (result._tag === "Right") return organization
      if (result.left._tag !== "Conflict") return yield* Effect.fail(result.left)
      if (chosen || n >= 100) {
        return yield* Effect.fail(
          new Conflict({
            message: `The slug ${organization.slug} is taken`,
            fieldErrors: [{ field: "slug", message: "is taken" }]
          })
        )
      }
    }
  })

/** Creates an organization with its owner and mints the owner's API key (token returned once). */
export const createOrganization = (
  input: unknown
): Effect.Effect<CreatedOrganization, ValidationFailed | Conflict | StoreError, OrgEnv> =>
  Effect.gen(function* () {
    const spec = yield* decode(CreateOrganizationInput)(input)
    const tx = yield* Transactor
    return yield* tx.withTransaction(
      Effect.gen(function* () {
        const organization = yield* insertOrganization(
          spec.name,
          spec.slug ?? slugify(spec.name),
          spec.slug !== undefined
        )
        const owner: Member = {
          id: yield* newId,
          orgId: organization.id,
          email: spec.ownerEmail.toLowerCase(),
          name: spec.ownerName,
          role: "owner",
          slackUserId: null,
          createdAt: organization.createdAt
        }
        yield* Effect.flatMap(OrgStore, (s) => s.addMember(owner))
        const { key, token } = yield* mintForBootstrap(
          organization.id,
          `${spec.ownerName} (owner)`,
          "owner",
          owner.id
        )
        return { organization, owner, key, token }
      })
    )
  }).pipe(Effect.withSpan("Team.createOrganization"))

/**
 * First start: creates the first organization with its owner and an owner key when there is no
 * organization yet (`created: true`, the only time the token is returned); later calls return
 * the existing organization without a token.
 */
export const bootstrap = (input: {
  readonly orgName: string
  readonly ownerEmail: string
  readonly ownerName: string
}): Effect.Effect<
  | (CreatedOrganization & { readonly created: true })
  | { readonly organization: Organization; readonly created: false },
  ValidationFailed | Conflict | StoreError,
  OrgEnv
> =>
  Effect.gen(function* () {
    const existing = yield* Effect.flatMap(OrgStore, (s) => s.listOrganizations)
    const first = [...existing].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0]
    if (first !== undefined) return { organization: first, created: false as const }
    const created = yield* createOrganization({
      name: input.orgName,
      ownerEmail: input.ownerEmail,
      ownerName: input.ownerName
    })
    return { ...created, created: true as const }
  }).pipe(Effect.withSpan("Team.bootstrap"))

const loadMember = (orgId: string, id: string) =>
  Effect.flatMap(OrgStore, (s) => s.getMember(orgId, id)).pipe(orNotFound("member", id))

/** Members of the caller's organization. */
export const listMembers = (
  caller: Caller,
  page?: Pages.PageRequest
): Effect.Effect<Pages.Page<Member>, ForbiddenRole | ValidationFailed | StoreError, OrgStore> =>
  Effect.zipRight(
    Roles.authorize(caller.actor, "members.read"),
    Effect.flatMap(OrgStore, (s) =>
      Pages.read(
        page,
        (query) => s.listMembers(caller.orgId, query),
        (members) => members
      )
    )
  ).pipe(Effect.withSpan("Team.listMembers", { attributes: { "armature.org_id": caller.orgId } }))

/** Changes a member's role to viewer, editor or admin; the owner's role never changes. */
export const changeRole = (
  caller: Caller,
  memberId: string,
  role: unknown
): Effect.Effect<Member, ForbiddenRole | NotFound | ValidationFailed | StoreError, OrgStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "members.write")
    const { role: newRole } = yield* decode(Schema.Struct({ role: GrantableRole }))({ role })
    const member = yield* loadMember(caller.orgId, memberId)
    if (member.role === "owner") {
      return yield* Effect.fail(
        validationFailed([
          {
            field: "role",
            message: "The owner's role cannot be changed: an organization has exactly one owner"
          }
        ])
      )
    }
    const updated: Member = { ...member, role: newRole }
    yield* Effect.flatMap(OrgStore, (s) => s.updateMember(updated))
    return updated
  }).pipe(
    Effect.withSpan("Team.changeRole", {
      attributes: { "armature.org_id": caller.orgId, "armature.member_id": memberId }
    })
  )

/**
 * Hands the organization to another member (the owner only, SPEC §11): they become its owner
 * and the previous owner an admin, in one transaction, so there is always exactly one owner.
 * The previous owner's keys act as an admin from their next request (a key acts with the lower
 * of its own role and its member's).
 */
export const transferOwnership = (
  caller: Caller,
  memberId: string
): Effect.Effect<
  { readonly owner: Member; readonly previousOwner: Member },
  ForbiddenRole | NotFound | ValidationFailed | StoreError,
  OrgStore | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "members.transfer_ownership")
    const store = yield* OrgStore
    const tx = yield* Transactor
    return yield* tx.withTransaction(
      Effect.gen(function* () {
        const target = yield* loadMember(caller.orgId, memberId)
        // Read inside the transaction: two transfers at once cannot both see the old owner.
        const members = yield* store.listMembers(caller.orgId)
        const current = members.find((m) => m.role === "owner")
        if (current === undefined || current.id === target.id) {
          return yield* Effect.fail(
            validationFailed([{ field: "memberId", message: "is the owner already" }])
          )
        }
        if (caller.actor.memberId !== null && caller.actor.memberId !== current.id) {
          return yield* Effect.fail(
            new ForbiddenRole({
              message: "Only the organization's owner may transfer ownership.",
              required: "owner",
              actual: caller.actor.role
            })
          )
        }
        const previousOwner: Member = { ...current, role: "admin" }
        const owner: Member = { ...target, role: "owner" }
        yield* store.updateMember(previousOwner)
        yield* store.updateMember(owner)
        return { owner, previousOwner }
      })
    )
  }).pipe(
    Effect.withSpan("Team.transferOwnership", {
      attributes: { "armature.org_id": caller.orgId, "armature.member_id": memberId }
    })
  )

/** Removes a member (never the owner) and revokes the API keys they created, which act in their name. */
export const removeMember = (
  caller: Caller,
  memberId: string
): Effect.Effect<void, ForbiddenRole | NotFound | ValidationFailed | StoreError, OrgStore | Transactor> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "members.write")
    const member = yield* loadMember(caller.orgId, memberId)
    if (member.role === "owner") {
      return yield* Effect.fail(
        validationFailed([{ field: "memberId", message: "The owner cannot be removed" }])
      )
    }
    const store = yield* OrgStore
    const tx = yield* Transactor
    yield* tx.withTransaction(
      Effect.gen(function* () {
        for (const key of yield* store.listApiKeys(caller.orgId)) {
          if (key.createdBy === member.id) yield* store.deleteApiKey(caller.orgId, key.id)
        }
        yield* store.removeMember(caller.orgId, member.id)
      })
    )
  }).pipe(
    Effect.withSpan("Team.removeMember", {
      attributes: { "armature.org_id": caller.orgId, "armature.member_id": memberId }
    })
  )

/** An invitation as lists show it: never the token hash. */
export type InvitationView = Omit<Invitation, "tokenHash">

const invitationView = ({ tokenHash: _, ...rest }: Invitation): InvitationView => rest

/** sha256 (hex) of an invitation token: what the store keeps. */
export const hashInvitationToken = (token: string): string =>
  createHash("sha256").update(token, "utf8").digest("hex")

/** What `invite` accepts; `expiresInDays` defaults to 7. */
export const InviteInput = Schema.Struct({
  // `null` counts as absent (a shareable link); not a union, so a bad address is one error.
  email: Schema.optionalWith(Email, { nullable: true }),
  role: GrantableRole,
  expiresInDays: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 90)), { default: () => 7 })
})

/** Invites by email or as a shareable link; the token is returned this once, only its hash is stored. */
export const invite = (
  caller: Caller,
  input: unknown
): Effect.Effect<
  { invitation: InvitationView; token: string },
  ForbiddenRole | ValidationFailed | QuotaExceeded | StoreError,
  OrgStore | Ids
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "invitations.write")
    yield* Plans.checkQuota(caller, "maxMembers")
    const spec = yield* decode(InviteInput)(input)
    const ids = yield* Ids
    const token = `inv_${yield* ids.token(32)}`
    const at = yield* now
    const invitation: Invitation = {
      id: yield* ids.uuid,
      orgId: caller.orgId,
      email: spec.email === undefined ? null : spec.email.toLowerCase(),
      role: spec.role,
      tokenHash: hashInvitationToken(token),
      invitedBy: caller.actor.memberId,
      createdAt: at,
      expiresAt: new Date(at.getTime() + spec.expiresInDays * 86_400_000),
      acceptedAt: null,
      revokedAt: null
    }
    yield* Effect.flatMap(OrgStore, (s) => s.createInvitation(invitation))
    return { invitation: invitationView(invitation), token }
  }).pipe(Effect.withSpan("Team.invite", { attributes: { "armature.org_id": caller.orgId } }))

/** What `inviteAndNotify` did besides storing the invitation: whether its email went out. */
export interface InvitationSent {
  readonly invitation: InvitationView
  /** The one-time token and the accept link built from it; shown to the inviter this once. */
  readonly token: string
  readonly link: string
  /** `null` for a shareable link; otherwise whether the email was sent, and why not. */
  readonly email: { readonly sent: true } | { readonly sent: false; readonly error: string } | null
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!
  )

/** The invitation email: who invites, to which organization, with which role, until when. */
const invitationEmail = (organization: string, invitation: InvitationView, link: string) => {
  const until = invitation.expiresAt.toISOString().slice(0, 10)
  const lines = [
    `You are invited to join ${organization} on Armature as ${invitation.role}.`,
    `Accept by ${until}: ${link}`,
    "The link works once. If you did not expect this invitation, ignore this email."
  ]
  return {
    subject: `Join ${organization} on Armature`,
    text: lines.join("\n\n"),
    html: [
      `<p>You are invited to join <strong>${escapeHtml(organization)}</strong> on Armature as ${invitation.role}.</p>`,
      `<p><a href="${escapeHtml(link)}">Accept the invitation</a> by ${until}.</p>`,
      "<p>The link works once. If you did not expect this invitation, ignore this email.</p>"
    ].join("\n")
  }
}

/**
 * `invite`, then mails the accept link (`acceptUrl` of the token) to the invited address through
 * the `EmailSender` in context. The invitation stands whatever the email does: without a sender,
 * or when sending fails, the result says so and the inviter can share the link instead.
 */
export const inviteAndNotify = (
  caller: Caller,
  input: unknown,
  acceptUrl: (token: string) => string
): Effect.Effect<
  InvitationSent,
  ForbiddenRole | ValidationFailed | QuotaExceeded | StoreError,
  OrgStore | Ids
> =>
  Effect.gen(function* () {
    const { invitation, token } = yield* invite(caller, input)
    const link = acceptUrl(token)
    if (invitation.email === null) return { invitation, token, link, email: null }
    const sender = yield* Effect.serviceOption(EmailSender)
    if (Option.isNone(sender)) {
      const error = "No email sender is configured on this deployment; share the link instead."
      return { invitation, token, link, email: { sent: false, error } }
    }
    const organization = yield* Effect.flatMap(OrgStore, (s) => s.getOrganization(caller.orgId))
    const name = Option.match(organization, { onNone: () => caller.orgId, onSome: (o) => o.name })
    const sent = yield* Effect.either(
      sender.value.send({
        to: [invitation.email],
        ...invitationEmail(name, invitation, link),
        idempotencyKey: `invitation-${invitation.id}`
      })
    )
    return {
      invitation,
      token,
      link,
      email:
        sent._tag === "Right" ? { sent: true as const } : { sent: false as const, error: sent.left.message }
    }
  }).pipe(Effect.withSpan("Team.inviteAndNotify", { attributes: { "armature.org_id": caller.orgId } }))

/** Pending invitations: not accepted, not revoked, not expired. */
export const listInvitations = (
  caller: Caller,
  page?: Pages.PageRequest
): Effect.Effect<Pages.Page<InvitationView>, ForbiddenRole | ValidationFailed | StoreError, OrgStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "invitations.write")
    const at = yield* now
    const store = yield* OrgStore
    return yield* Pages.read(
      page,
      (query) => store.listInvitations(caller.orgId, query, { pendingAt: at }),
      (invitations) => invitations.map(invitationView)
    )
  }).pipe(Effect.withSpan("Team.listInvitations", { attributes: { "armature.org_id": caller.orgId } }))

/** Revokes a pending invitation; its link stops working at once. */
export const revokeInvitation = (
  caller: Caller,
  invitationId: string
): Effect.Effect<InvitationView, ForbiddenRole | NotFound | ValidationFailed | StoreError, OrgStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "invitations.write")
    const store = yield* OrgStore
    const found = (yield* store.listInvitations(caller.orgId)).find((i) => i.id === invitationId)
    if (found === undefined) {
      return yield* notFound("invitation", invitationId)
    }
    if (found.acceptedAt !== null) {
      return yield* Effect.fail(
        validationFailed([{ field: "invitationId", message: "This invitation was already accepted" }])
      )
    }
    if (found.revokedAt !== null) return invitationView(found)
    const revoked: Invitation = { ...found, revokedAt: yield* now }
    yield* store.updateInvitation(revoked)
    return invitationView(revoked)
  }).pipe(
    Effect.withSpan("Team.revokeInvitation", {
      attributes: { "armature.org_id": caller.orgId, "armature.invitation_id": invitationId }
    })
  )

/**
 * Accepts an invitation: creates the member with the invited role and returns their personal
 * API key token (shown once). Unknown, expired, revoked or used tokens fail with a field error
 * on `token` saying which.
 */
export const acceptInvitation = (
  token: string,
  input: unknown
): Effect.Effect<
  { organizationId: string; member: Member; key: ApiKeyView; token: string },
  ValidationFailed | Conflict | QuotaExceeded | StoreError,
  OrgEnv
> =>
  Effect.gen(function* () {
    const spec = yield* decode(Schema.Struct({ email: Email, name: Name }))(input)
    const store = yield* OrgStore
    const tokenError = (message: string) => Effect.fail(validationFailed([{ field: "token", message }]))
    if (typeof token !== "string" || token.trim() === "") return yield* tokenError("is required")
    const found = Option.getOrNull(yield* store.getInvitationByTokenHash(hashInvitationToken(token.trim())))
    const at = yield* now
    if (found === null) return yield* tokenError("This invitation link is not valid")
    if (found.revokedAt !== null) return yield* tokenError("This invitation was revoked")
    if (found.acceptedAt !== null) return yield* tokenError("This invitation was already used")
    if (found.expiresAt <= at)
      return yield* tokenError(`This invitation expired at ${found.expiresAt.toISOString()}`)
    const email = spec.email.toLowerCase()
    if (found.email !== null && found.email !== email) {
      return yield* Effect.fail(
        validationFailed([{ field: "email", message: "This invitation was sent to another address" }])
      )
    }
    yield* Plans.checkQuota({ orgId: found.orgId }, "maxMembers")
    const tx = yield* Transactor
    return yield* tx.withTransaction(
      Effect.gen(function* () {
        const member: Member = {
          id: yield* newId,
          orgId: found.orgId,
          email,
          name: spec.name,
          role: found.role,
          slackUserId: null,
          createdAt: at
        }
        yield* store.addMember(member)
        yield* store.updateInvitation({ ...found, acceptedAt: at })
        const minted = yield* mintForBootstrap(found.orgId, `${spec.name} (personal)`, found.role, member.id)
        return { organizationId: found.orgId, member, key: minted.key, token: minted.token }
      })
    )
  }).pipe(Effect.withSpan("Team.acceptInvitation"))
