import { type Context, Either, Option } from "effect"
import type { OrgStore } from "../../ports/OrgStore.js"
import { byCreation, conflict, type Db, duplicate, pageOf, rowOf, rowsOf } from "./Tables.js"

/** In-memory `OrgStore`. */
export const makeOrgStore = (db: Db): Context.Tag.Service<OrgStore> => ({
  createOrganization: (org) =>
    db.attempt((t) => {
      if (t.organizations.has(org.id)) return Either.left(conflict("id", "organization id already exists"))
      for (const other of t.organizations.values()) {
        if (other.slug === org.slug) return Either.left(conflict("slug", `slug "${org.slug}" is taken`))
      }
      t.organizations.set(org.id, org)
      return Either.void
    }),
  getOrganization: (id) => db.run((t) => Option.fromNullable(t.organizations.get(id))),
  getOrganizationBySlug: (slug) =>
    db.run((t) => Option.fromNullable(Array.from(t.organizations.values()).find((o) => o.slug === slug))),
  listOrganizations: db.run((t) => Array.from(t.organizations.values()).sort(byCreation)),

  addMember: (member) =>
    db.attempt((t) => {
      if (t.members.has(member.id)) return Either.left(conflict("id", "member id already exists"))
      const email = member.email.toLowerCase()
      if (rowsOf(t.members, member.orgId, (m) => m.email.toLowerCase() === email).length > 0) {
        return Either.left(conflict("email", `${member.email} is already a member`))
      }
      t.members.set(member.id, member)
      return Either.void
    }),
  getMember: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.members, orgId, id))),
  getMemberBySlackUser: (orgId, slackUserId) =>
    db.run((t) =>
      Option.fromNullable(rowsOf(t.members, orgId, (m) => m.slackUserId === slackUserId).sort(byCreation)[0])
    ),
  listMembers: (orgId, page) => db.run((t) => pageOf(rowsOf(t.members, orgId).sort(byCreation), page)),
  updateMember: (member) =>
    db.run((t) => {
      if (rowOf(t.members, member.orgId, member.id) !== undefined) t.members.set(member.id, member)
    }),
  removeMember: (orgId, id) =>
    db.run((t) => rowOf(t.members, orgId, id) !== undefined && t.members.delete(id)),

  createApiKey: (key) =>
    db.attempt((t) => {
      if (t.apiKeys.has(key.id)) return Either.left(duplicate("api key", key.id))
      t.apiKeys.set(key.id, key)
      return Either.void
    }),
  getApiKey: (keyId) => db.run((t) => Option.fromNullable(t.apiKeys.get(keyId))),
  getApiKeyWithCreatorRole: (keyId) =>
    db.run((t) =>
      Option.map(Option.fromNullable(t.apiKeys.get(keyId)), (key) => ({
        key,
        creatorRole:
          key.createdBy === null ? null : (rowOf(t.members, key.orgId, key.createdBy)?.role ?? null)
      }))
    ),
  listApiKeys: (orgId, page) => db.run((t) => pageOf(rowsOf(t.apiKeys, orgId).sort(byCreation), page)),
  touchApiKey: (keyId, at) =>
    db.run((t) => {
      const key = t.apiKeys.get(keyId)
      if (key !== undefined) t.apiKeys.set(keyId, { ...key, lastUsedAt: at })
    }),
  deleteApiKey: (orgId, keyId) =>
    db.run((t) => rowOf(t.apiKeys, orgId, keyId) !== undefined && t.apiKeys.delete(keyId)),

  createInvitation: (invitation) =>
    db.attempt((t) => {
      if (t.invitations.has(invitation.id)) return Either.left(duplicate("invitation", invitation.id))
      for (const other of t.invitations.values()) {
        if (other.tokenHash === invitation.tokenHash)
          return Either.left(duplicate("invitation token", invitation.id))
      }
      t.invitations.set(invitation.id, invitation)
      return Either.void
    }),
  getInvitationByTokenHash: (tokenHash) =>
    db.run((t) =>
      Option.fromNullable(Array.from(t.invitations.values()).find((i) => i.tokenHash === tokenHash))
    ),
  listInvitations: (orgId, page, filter) =>
    db.run((t) => {
      const at = filter?.pendingAt
      const rows = rowsOf(
        t.invitations,
        orgId,
        (i) =>
          at === undefined ||
          (i.acceptedAt === null && i.revokedAt === null && i.expiresAt.getTime() > at.getTime())
      )
      return pageOf(rows.sort(byCreation), page)
    }),
  updateInvitation: (invitation) =>
    db.run((t) => {
      if (rowOf(t.invitations, invitation.orgId, invitation.id) !== undefined)
        t.invitations.set(invitation.id, invitation)
    }),

  getSubscription: (orgId) => db.run((t) => Option.fromNullable(t.subscriptions.get(orgId))),
  putSubscription: (subscription) =>
    db.run((t) => {
      t.subscriptions.set(subscription.orgId, subscription)
    })
})
