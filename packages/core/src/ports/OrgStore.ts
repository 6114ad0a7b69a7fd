import { Context, type Effect, type Option } from "effect"
import type { ApiKey, Invitation, Member, Organization, Role, Subscription } from "../domain/Organization.js"
import type { Conflict, StoreError } from "../Errors.js"
import type { PageQuery } from "./Page.js"

/** Organizations, members, invitations, API keys and subscriptions. */
export class OrgStore extends Context.Tag("@armature/core/OrgStore")<
  OrgStore,
  {
    /** Fails with `Conflict` (field `slug`) when the slug is taken. */
    readonly createOrganization: (org: Organization) => Effect.Effect<void, Conflict | StoreError>
    readonly getOrganization: (id: string) => Effect.Effect<Option.Option<Organization>, StoreError>
    readonly getOrganizationBySlug: (slug: string) => Effect.Effect<Option.Option<Organization>, StoreError>
    readonly listOrganizations: Effect.Effect<ReadonlyArray<Organization>, StoreError>

    /** Fails with `Conflict` (field `email`) when the organization already has that member (emails compare case-insensitively). */
    readonly addMember: (member: Member) => Effect.Effect<void, Conflict | StoreError>
    readonly getMember: (orgId: string, id: string) => Effect.Effect<Option.Option<Member>, StoreError>
    readonly getMemberBySlackUser: (
      orgId: string,
      slackUserId: string
    ) => Effect.Effect<Option.Option<Member>, StoreError>
    readonly listMembers: (
      orgId: string,
      page?: PageQuery
    ) => Effect.Effect<ReadonlyArray<Member>, StoreError>
    readonly updateMember: (member: Member) => Effect.Effect<void, StoreError>
    readonly removeMember: (orgId: string, id: string) => Effect.Effect<boolean, StoreError>

    readonly createApiKey: (key: ApiKey) => Effect.Effect<void, StoreError>
    /** Looked up by key id alone: authentication starts before the organization is known. */
    readonly getApiKey: (keyId: string) => Effect.Effect<Option.Option<ApiKey>, StoreError>
    /**
     * A key with the current role of the member who created it, in one read: what authenticating
     * a request needs, on every request. `creatorRole` is null when the key has no creator or its
     * creator is no longer a member of the key's organization.
     */
    readonly getApiKeyWithCreatorRole: (
      keyId: string
    ) => Effect.Effect<Option.Option<{ readonly key: ApiKey; readonly creatorRole: Role | null }>, StoreError>
    readonly listApiKeys: (
      orgId: string,
      page?: PageQuery
    ) => Effect.Effect<ReadonlyArray<ApiKey>, StoreError>
    readonly touchApiKey: (keyId: string, at: Date) => Effect.Effect<void, StoreError>
    /** Deletes the row; returns whether it existed in that organization. */
    readonly deleteApiKey: (orgId: string, keyId: string) => Effect.Effect<boolean, StoreError>

    readonly createInvitation: (invitation: Invitation) => Effect.Effect<void, StoreError>
    readonly getInvitationByTokenHash: (
      tokenHash: string
    ) => Effect.Effect<Option.Option<Invitation>, StoreError>
    /** With `pendingAt`, only those neither accepted nor revoked and not expired at that time. */
    readonly listInvitations: (
      orgId: string,
      page?: PageQuery,
      filter?: { readonly pendingAt?: Date }
    ) => Effect.Effect<ReadonlyArray<Invitation>, StoreError>
    readonly updateInvitation: (invitation: Invitation) => Effect.Effect<void, StoreError>

    readonly getSubscription: (orgId: string) => Effect.Effect<Option.Option<Subscription>, StoreError>
    readonly putSubscription: (subscription: Subscription) => Effect.Effect<void, StoreError>
  }
>() {}

export type { Role }
