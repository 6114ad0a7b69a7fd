import { Schema } from "effect"
import { Id, Timestamp } from "./Common.js"

/** Roles are cumulative: each one may do everything the ones before it may. */
export const Role = Schema.Literal("viewer", "editor", "admin", "owner")
export type Role = typeof Role.Type

/** A tenant. Every other record belongs to exactly one organization. */
export const Organization = Schema.Struct({
  id: Id,
  name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
  slug: Schema.String.pipe(Schema.pattern(/^[a-z0-9]+(?:-[a-z0-9]+)*$/), Schema.maxLength(63)),
  createdAt: Timestamp
})
export type Organization = typeof Organization.Type

export const Member = Schema.Struct({
  id: Id,
  orgId: Id,
  email: Schema.String,
  name: Schema.String,
  role: Role,
  /** Slack user linked to this member, so bot actions run with the member's role. */
  slackUserId: Schema.NullOr(Schema.String),
  createdAt: Timestamp
})
export type Member = typeof Member.Type

/** Metadata of an API key. The secret itself is never stored: only its scrypt hash. */
export const ApiKey = Schema.Struct({
  id: Id,
  orgId: Id,
  name: Schema.String,
  role: Role,
  createdBy: Schema.NullOr(Id),
  /** `scrypt$<salt b64>$<hash b64>` of the secret part of the token. */
  secretHash: Schema.String,
  createdAt: Timestamp,
  lastUsedAt: Schema.NullOr(Timestamp)
})
export type ApiKey = typeof ApiKey.Type

export const InvitationRole = Schema.Literal("viewer", "editor", "admin")
export type InvitationRole = typeof InvitationRole.Type

export const Invitation = Schema.Struct({
  id: Id,
  orgId: Id,
  /** `null` for a shareable link. */
  email: Schema.NullOr(Schema.String),
  role: InvitationRole,
  /** sha256 of the invitation token; the token itself is shown once. */
  tokenHash: Schema.String,
  invitedBy: Schema.NullOr(Id),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  acceptedAt: Schema.NullOr(Timestamp),
  revokedAt: Schema.NullOr(Timestamp)
})
export type Invitation = typeof Invitation.Type

/** Limits of a hosted plan; `null` means unlimited (the self-hosted default). */
export const Plan = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  maxServers: Schema.NullOr(Schema.Int),
  maxWorkflows: Schema.NullOr(Schema.Int),
  maxMonitors: Schema.NullOr(Schema.Int),
  maxRunsPerMonth: Schema.NullOr(Schema.Int),
  /** How long runs and checks are kept, in days. */
  retentionDays: Schema.NullOr(Schema.Int),
  maxMembers: Schema.NullOr(Schema.Int)
})
export type Plan = typeof Plan.Type

export const Subscription = Schema.Struct({
  orgId: Id,
  planId: Schema.String,
  status: Schema.Literal("active", "past_due", "canceled"),
  currentPeriodEnd: Schema.NullOr(Timestamp),
  /** The payment provider's customer (Stripe `cus_…`), for its customer portal; absent under manual billing. */
  customerId: Schema.optional(Schema.String)
})
export type Subscription = typeof Subscription.Type
