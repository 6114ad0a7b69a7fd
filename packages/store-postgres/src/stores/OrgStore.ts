import {
  type ApiKey,
  type Invitation,
  InvitationRole,
  type Member,
  type Organization,
  OrgStore,
  Role,
  Subscription
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import * as Column from "../internal/columns.js"
import { date, dateOrNull, mapRows, orConflict, orStoreError, pageOf } from "../internal/sql.js"

/** A row of `organizations` as the drivers return it. */
const OrganizationRow = Schema.Struct({
  id: Column.text,
  name: Column.text,
  slug: Column.text,
  created_at: Column.timestamptz
})
type OrganizationRow = typeof OrganizationRow.Type

/** A row of `members` as the drivers return it. */
const MemberRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  email: Column.text,
  name: Column.text,
  role: Role,
  slack_user_id: Column.nullable(Column.text),
  created_at: Column.timestamptz
})
type MemberRow = typeof MemberRow.Type

/** A row of `api_keys` as the drivers return it. */
const ApiKeyRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  name: Column.text,
  role: Role,
  created_by: Column.nullable(Column.text),
  secret_hash: Column.text,
  created_at: Column.timestamptz,
  last_used_at: Column.nullable(Column.timestamptz)
})
type ApiKeyRow = typeof ApiKeyRow.Type

/** A row of `invitations` as the drivers return it. */
const InvitationRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  email: Column.nullable(Column.text),
  role: InvitationRole,
  token_hash: Column.text,
  invited_by: Column.nullable(Column.text),
  created_at: Column.timestamptz,
  expires_at: Column.timestamptz,
  accepted_at: Column.nullable(Column.timestamptz),
  revoked_at: Column.nullable(Column.timestamptz)
})
type InvitationRow = typeof InvitationRow.Type

/** A row of `subscriptions` as the drivers return it (`customer_id` since 0016). */
const SubscriptionRow = Schema.Struct({
  org_id: Column.text,
  plan_id: Column.text,
  status: Subscription.fields.status,
  current_period_end: Column.nullable(Column.timestamptz),
  customer_id: Column.nullable(Column.text)
})
type SubscriptionRow = typeof SubscriptionRow.Type

const toOrganization = (r: OrganizationRow): Organization => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  createdAt: date(r.created_at)
})

const toMember = (r: MemberRow): Member => ({
  id: r.id,
  orgId: r.org_id,
  email: r.email,
  name: r.name,
  role: r.role,
  slackUserId: r.slack_user_id,
  createdAt: date(r.created_at)
})

const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  role: r.role,
  createdBy: r.created_by,
  secretHash: r.secret_hash,
  createdAt: date(r.created_at),
  lastUsedAt: dateOrNull(r.last_used_at)
})

const toInvitation = (r: InvitationRow): Invitation => ({
  id: r.id,
  orgId: r.org_id,
  email: r.email,
  role: r.role,
  tokenHash: r.token_hash,
  invitedBy: r.invited_by,
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
  acceptedAt: dateOrNull(r.accepted_at),
  revokedAt: dateOrNull(r.revoked_at)
})

const toSubscription = (r: SubscriptionRow): Subscription => ({
  orgId: r.org_id,
  planId: r.plan_id,
  status: r.status,
  currentPeriodEnd: dateOrNull(r.current_period_end),
  ...(r.customer_id === null || r.customer_id === undefined ? {} : { customerId: r.customer_id })
})

const invitationRow = (i: Invitation): InvitationRow => ({
  id: i.id,
  org_id: i.orgId,
  email: i.email,
  role: i.role,
  token_hash: i.tokenHash,
  invited_by: i.invitedBy,
  created_at: i.createdAt,
  expires_at: i.expiresAt,
  accepted_at: i.acceptedAt,
  revoked_at: i.revokedAt
})

/** `OrgStore` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // A statement that may fail with Conflict runs in a savepoint inside a caller's transaction,
  // so the caller can handle the Conflict and go on (a failed statement aborts a transaction).
  const atomic = sql.withTransaction
  const one = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

  return OrgStore.of({
    createOrganization: (org) =>
      atomic(
        sql`INSERT INTO organizations ${sql.insert({
          id: org.id,
          name: org.name,
          slug: org.slug,
          created_at: org.createdAt
        } satisfies OrganizationRow)}`
      ).pipe(
        Effect.asVoid,
        orConflict("createOrganization", { organizations_slug_key: "slug", organizations_pkey: "id" })
      ),
    getOrganization: (id) =>
      sql<OrganizationRow>`SELECT * FROM organizations WHERE id = ${id}`.pipe(
        Effect.flatMap(mapRows(toOrganization)),
        Effect.map(one),
        orStoreError("getOrganization")
      ),
    getOrganizationBySlug: (slug) =>
      sql<OrganizationRow>`SELECT * FROM organizations WHERE slug = ${slug}`.pipe(
        Effect.flatMap(mapRows(toOrganization)),
        Effect.map(one),
        orStoreError("getOrganizationBySlug")
      ),
    listOrganizations: sql<OrganizationRow>`SELECT * FROM organizations ORDER BY created_at, id`.pipe(
      Effect.flatMap(mapRows(toOrganization)),
      orStoreError("listOrganizations")
    ),

    addMember: (m) =>
      atomic(
        sql`INSERT INTO members ${sql.insert({
          id: m.id,
          org_id: m.orgId,
          email: m.email,
          name: m.name,
          role: m.role,
          slack_user_id: m.slackUserId,
          created_at: m.createdAt
        } satisfies MemberRow)}`
      ).pipe(Effect.asVoid, orConflict("addMember", { members_org_email_key: "email", members_pkey: "id" })),
    getMember: (orgId, id) =>
      sql<MemberRow>`SELECT * FROM members WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.flatMap(mapRows(toMember)),
        Effect.map(one),
        orStoreError("getMember")
      ),
    getMemberBySlackUser: (orgId, slackUserId) =>
      sql<MemberRow>`SELECT * FROM members WHERE org_id = ${orgId} AND slack_user_id = ${slackUserId}
          ORDER BY created_at LIMIT 1`.pipe(
        Effect.flatMap(mapRows(toMember)),
        Effect.map(one),
        orStoreError("getMemberBySlackUser")
      ),
    listMembers: (orgId, query) => {
      const page = pageOf(sql, query)
      return sql<MemberRow>`SELECT * FROM members WHERE org_id = ${orgId} ${page.after}
          ORDER BY created_at, id ${page.limit}`.pipe(
        Effect.flatMap(mapRows(toMember)),
        orStoreError("listMembers")
      )
    },
    updateMember: (m) =>
      sql`UPDATE members SET email = ${m.email}, name = ${m.name}, role = ${m.role},
            slack_user_id = ${m.slackUserId}
          WHERE org_id = ${m.orgId} AND id = ${m.id}`.pipe(Effect.asVoid, orStoreError("updateMember")),
    removeMember: (orgId, id) =>
      sql`DELETE FROM members WHERE org_id = ${orgId} AND id = ${id} RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("removeMember")
      ),

    createApiKey: (k) =>
      sql`INSERT INTO api_keys ${sql.insert({
        id: k.id,
        org_id: k.orgId,
        name: k.name,
        role: k.role,
        created_by: k.createdBy,
        secret_hash: k.secretHash,
        created_at: k.createdAt,
        last_used_at: k.lastUsedAt
      } satisfies ApiKeyRow)}`.pipe(Effect.asVoid, orStoreError("createApiKey")),
    // Authentication looks keys up before the organization is known (documented by the port).
    getApiKey: (keyId) =>
      sql<ApiKeyRow>`SELECT * FROM api_keys WHERE id = ${keyId}`.pipe(
        Effect.flatMap(mapRows(toApiKey)),
        Effect.map(one),
        orStoreError("getApiKey")
      ),
    getApiKeyWithCreatorRole: (keyId) =>
      sql<ApiKeyRow & { readonly creator_role: Role | null }>`SELECT k.*, m.role AS creator_role
          FROM api_keys k LEFT JOIN members m ON m.org_id = k.org_id AND m.id = k.created_by
          WHERE k.id = ${keyId}`.pipe(
        Effect.flatMap(mapRows((r) => ({ key: toApiKey(r), creatorRole: r.creator_role }))),
        Effect.map(one),
        orStoreError("getApiKeyWithCreatorRole")
      ),
    listApiKeys: (orgId, query) => {
      const page = pageOf(sql, query)
      return sql<ApiKeyRow>`SELECT * FROM api_keys WHERE org_id = ${orgId} ${page.after}
          ORDER BY created_at, id ${page.limit}`.pipe(
        Effect.flatMap(mapRows(toApiKey)),
        orStoreError("listApiKeys")
      )
    },
    touchApiKey: (keyId, at) =>
      sql`UPDATE api_keys SET last_used_at = ${at} WHERE id = ${keyId}`.pipe(
        Effect.asVoid,
        orStoreError("touchApiKey")
      ),
    deleteApiKey: (orgId, keyId) =>
      sql`DELETE FROM api_keys WHERE org_id = ${orgId} AND id = ${keyId} RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("deleteApiKey")
      ),

    createInvitation: (i) =>
      sql`INSERT INTO invitations ${sql.insert(invitationRow(i))}`.pipe(
        Effect.asVoid,
        orStoreError("createInvitation")
      ),
    // Accepting an invitation starts from its token, before the organization is known.
    getInvitationByTokenHash: (tokenHash) =>
      sql<InvitationRow>`SELECT * FROM invitations WHERE token_hash = ${tokenHash}`.pipe(
        Effect.flatMap(mapRows(toInvitation)),
        Effect.map(one),
        orStoreError("getInvitationByTokenHash")
      ),
    listInvitations: (orgId, query, filter) => {
      const page = pageOf(sql, query)
      const pending =
        filter?.pendingAt === undefined
          ? sql``
          : sql`AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ${filter.pendingAt}`
      return sql<InvitationRow>`SELECT * FROM invitations WHERE org_id = ${orgId} ${pending} ${page.after}
          ORDER BY created_at, id ${page.limit}`.pipe(
        Effect.flatMap(mapRows(toInvitation)),
        orStoreError("listInvitations")
      )
    },
    updateInvitation: (i) =>
      sql`UPDATE invitations SET email = ${i.email}, role = ${i.role}, token_hash = ${i.tokenHash},
            expires_at = ${i.expiresAt}, accepted_at = ${i.acceptedAt}, revoked_at = ${i.revokedAt}
          WHERE org_id = ${i.orgId} AND id = ${i.id}`.pipe(Effect.asVoid, orStoreError("updateInvitation")),

    getSubscription: (orgId) =>
      sql<SubscriptionRow>`SELECT * FROM subscriptions WHERE org_id = ${orgId}`.pipe(
        Effect.flatMap(mapRows(toSubscription)),
        Effect.map(one),
        orStoreError("getSubscription")
      ),
    putSubscription: (s) =>
      sql`INSERT INTO subscriptions ${sql.insert({
        org_id: s.orgId,
        plan_id: s.planId,
        status: s.status,
        current_period_end: s.currentPeriodEnd,
        customer_id: s.customerId ?? null
      } satisfies SubscriptionRow)}
          ON CONFLICT (org_id) DO UPDATE SET plan_id = EXCLUDED.plan_id, status = EXCLUDED.status,
            current_period_end = EXCLUDED.current_period_end, customer_id = EXCLUDED.customer_id`.pipe(
        Effect.asVoid,
        orStoreError("putSubscription")
      )
  })
})

/** Provides `OrgStore` from a `SqlClient`. */
export const layer = Layer.effect(OrgStore, make)
