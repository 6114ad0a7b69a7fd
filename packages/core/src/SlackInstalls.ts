/**
 * Connecting an organization to Slack through the Armature Slack app (SPEC §7): an admin creates
 * a one-time install link; whoever opens it goes through Slack's OAuth consent, and the grant that
 * comes back is saved as the organization's installation — in the same transaction that uses up
 * the link, so a link connects one workspace once. The OAuth exchange itself is an adapter's
 * (`@armature/alerts`); these use cases hold the rules.
 */
import { createHash } from "node:crypto"
import { Effect, Option, type Redacted, Schema } from "effect"
import * as Audit from "./Audit.js"
import type { Actor, Caller } from "./domain/Audit.js"
import type { SlackInstallation, SlackInstallLink } from "./domain/Slack.js"
import {
  type ForbiddenRole,
  NotFound,
  type StoreError,
  type ValidationFailed,
  validationFailed
} from "./Errors.js"
import { now } from "./internal/clock.js"
import * as Plans from "./Plans.js"
import type { AuditLog } from "./ports/AuditLog.js"
import { Ids } from "./ports/Ids.js"
import { OrgStore } from "./ports/OrgStore.js"
import { SlackInstallations } from "./ports/SlackInstallations.js"
import { Transactor } from "./ports/Transactor.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

/** sha256 (hex) of a link's secret: what the store keeps. The secret is 32 random bytes, so no salt or slow hash is needed. */
export const hashLinkSecret = (secret: string): string =>
  createHash("sha256").update(secret, "utf8").digest("hex")

/** What `createLink` accepts: how long the link stays usable (default one hour, at most a week). */
export const CreateLinkInput = Schema.Struct({
  expiresInMinutes: Schema.optionalWith(
    Schema.Int.pipe(
      Schema.between(5, 10_080, { message: () => "must be a whole number of minutes from 5 to 10080" })
    ),
    { default: () => 60 }
  )
})

/** A link as callers see it: never the hash of its secret. */
export type SlackInstallLinkView = Omit<SlackInstallLink, "secretHash">

const linkView = ({ secretHash: _, ...rest }: SlackInstallLink): SlackInstallLinkView => rest

const audit = (orgId: string, actor: Actor, action: string, targetId: string | null) =>
  Audit.record(orgId, actor, { action, targetId, outcome: "ok" })

/**
 * Creates a one-time install link for the caller's organization. The secret is returned this
 * once (the caller builds the URL from it); only its hash is stored.
 */
export const createLink = (
  caller: Caller,
  input: unknown = {}
): Effect.Effect<
  { readonly link: SlackInstallLinkView; readonly secret: string },
  ForbiddenRole | ValidationFailed | StoreError,
  SlackInstallations | AuditLog | Ids | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "slack.write")
    const spec = yield* decode(CreateLinkInput)(input ?? {})
    const ids = yield* Ids
    const secret = yield* ids.token(32)
    const createdAt = yield* now
    const link: SlackInstallLink = {
      id: yield* ids.uuid,
      orgId: caller.orgId,
      secretHash: hashLinkSecret(secret),
      createdBy: caller.actor,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + spec.expiresInMinutes * 60_000),
      usedAt: null
    }
    yield* Effect.flatMap(Transactor, (tx) =>
      tx.withTransaction(
        Effect.zipRight(
          Effect.flatMap(SlackInstallations, (s) => s.createLink(link)),
          audit(caller.orgId, caller.actor, "slack.install_links.create", link.id)
        )
      )
    )
    return { link: linkView(link), secret }
  })

const linkError = (message: string) => validationFailed([{ field: "link", message }])

/**
 * The link a secret opens, if it can still be used; otherwise `validation_failed` on `link`
 * saying why (unknown, used, expired). Using it up happens only in `completeInstall`.
 */
export const checkLink = (
  secret: string
): Effect.Effect<SlackInstallLinkView, ValidationFailed | StoreError, SlackInstallations> =>
  Effect.gen(function* () {
    if (typeof secret !== "string" || secret.trim() === "") return yield* linkError("is required")
    const found = Option.getOrNull(
      yield* Effect.flatMap(SlackInstallations, (s) => s.getLinkBySecretHash(hashLinkSecret(secret.trim())))
    )
    if (found === null) return yield* linkError("This install link is not valid")
    if (found.usedAt !== null) return yield* linkError("This install link was already used")
    if (found.expiresAt <= (yield* now)) {
      return yield* linkError(`This install link expired at ${found.expiresAt.toISOString()}`)
    }
    return linkView(found)
  })

/** What Slack granted in the OAuth exchange. */
export interface Grant {
  readonly teamId: string
  readonly teamName: string
  readonly botUserId: string
  readonly scopes: ReadonlyArray<string>
  readonly slackUserId: string | null
  readonly botToken: Redacted.Redacted<string>
}

/**
 * Saves a grant as the installation of the organization whose link `linkId` is, using the link
 * up in the same transaction: a used or expired link fails with `validation_failed` on `link`
 * and writes nothing. A re-install replaces the organization's earlier installation.
 */
export const completeInstall = (
  linkId: string,
  grant: Grant
): Effect.Effect<
  SlackInstallation,
  ValidationFailed | StoreError,
  SlackInstallations | AuditLog | Ids | Transactor
> =>
  Effect.flatMap(Transactor, (tx) =>
    tx.withTransaction(
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        const at = yield* now
        const link = Option.getOrNull(yield* store.consumeLink(linkId, at))
        if (link === null) return yield* linkError("This install link was already used or has expired")
        const earlier = Option.getOrNull(yield* store.get(link.orgId))
        const installation: SlackInstallation = {
          orgId: link.orgId,
          teamId: grant.teamId,
          teamName: grant.teamName,
          botUserId: grant.botUserId,
          scopes: [...grant.scopes],
          installedAt: at,
          installedBy: link.createdBy,
          slackUserId: grant.slackUserId,
          // A re-install is the same organization's Slack: where proposals go stays as it was set.
          proposalsChannel: earlier?.proposalsChannel ?? null
        }
        yield* store.save(installation, grant.botToken)
        yield* audit(link.orgId, link.createdBy, "slack.installation.create", grant.teamId)
        return installation
      })
    )
  )

/** The organization's installation (never its token), or none when Slack is not connected. */
export const getInstallation = (
  caller: Caller
): Effect.Effect<Option.Option<SlackInstallation>, ForbiddenRole | StoreError, SlackInstallations> =>
  Effect.zipRight(
    Roles.authorize(caller.actor, "slack.read"),
    Effect.flatMap(SlackInstallations, (s) => s.get(caller.orgId))
  )

/** What `setProposalsChannel` accepts: a channel id (`C…`, or `G…` for a private one), or null to stop posting. */
export const ProposalsChannelInput = Schema.Struct({
  channel: Schema.NullOr(
    Schema.String.pipe(
      Schema.pattern(/^[CG][A-Z0-9]{2,}$/, {
        message: () =>
          "must be a Slack channel id such as C0123ABCDEF (in Slack: `/armature config proposals #channel`), or null"
      })
    )
  )
})

const notConnected = (orgId: string) =>
  new NotFound({
    message: "Slack is not connected to this organization",
    entity: "slack_installation",
    id: orgId
  })

/**
 * Sets the channel where agents' staged workflow changes are posted with Approve and Dismiss
 * buttons (null stops posting); `not_found` while Slack is not connected. Admin and up.
 */
export const setProposalsChannel = (
  caller: Caller,
  input: unknown
): Effect.Effect<
  SlackInstallation,
  ForbiddenRole | ValidationFailed | NotFound | StoreError,
  SlackInstallations | AuditLog | Ids | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "slack.write")
    const { channel } = yield* decode(ProposalsChannelInput)(input)
    return yield* Effect.flatMap(Transactor, (tx) =>
      tx.withTransaction(
        Effect.gen(function* () {
          const store = yield* SlackInstallations
          if (!(yield* store.setProposalsChannel(caller.orgId, channel)))
            return yield* notConnected(caller.orgId)
          yield* audit(caller.orgId, caller.actor, "slack.proposals_channel.set", channel)
          return Option.getOrThrow(yield* store.get(caller.orgId))
        })
      )
    )
  })

/** Disconnects Slack: removes the installation and deletes its token; `not_found` without one. */
export const removeInstallation = (
  caller: Caller
): Effect.Effect<
  void,
  ForbiddenRole | NotFound | StoreError,
  SlackInstallations | AuditLog | Ids | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "slack.write")
    yield* Effect.flatMap(Transactor, (tx) =>
      tx.withTransaction(
        Effect.gen(function* () {
          const store = yield* SlackInstallations
          const existing = Option.getOrNull(yield* store.get(caller.orgId))
          if (existing === null || !(yield* store.remove(caller.orgId))) {
            return yield* notConnected(caller.orgId)
          }
          yield* audit(caller.orgId, caller.actor, "slack.installation.delete", existing.teamId)
        })
      )
    )
  })

/**
 * The caller a Slack user acts as: the Armature member they linked (`linkUser`), with the
 * member's current role, in the organization of those that installed the app in their Slack
 * workspace where they are linked; none while they are not linked.
 */
export const callerOf = (
  teamId: string,
  slackUserId: string
): Effect.Effect<Option.Option<Caller>, StoreError, SlackInstallations | OrgStore> =>
  Effect.gen(function* () {
    const installations = yield* Effect.flatMap(SlackInstallations, (s) => s.listByTeam(teamId))
    const orgs = yield* OrgStore
    for (const installation of installations) {
      const member = yield* orgs.getMemberBySlackUser(installation.orgId, slackUserId)
      if (Option.isSome(member)) {
        return Option.some({
          orgId: installation.orgId,
          actor: { keyId: null, memberId: member.value.id, role: member.value.role },
          readOnly: yield* Plans.isReadOnly(installation.orgId)
        })
      }
    }
    return Option.none()
  })

/**
 * Links a Slack user of the workspace `teamId` to the calling member, who then acts from Slack
 * with their own role. The caller's organization must have the app installed in that workspace;
 * a Slack user is linked to one member of an organization at a time (an earlier link moves).
 */
export const linkUser = (
  caller: Caller,
  input: { readonly teamId: string; readonly slackUserId: string }
): Effect.Effect<
  void,
  ForbiddenRole | ValidationFailed | StoreError,
  SlackInstallations | OrgStore | AuditLog | Ids | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "slack.read")
    const memberId = caller.actor.memberId
    if (memberId === null) {
      return yield* Effect.fail(
        validationFailed([
          { field: "member", message: "Sign in with a member's own key (not the operator's) to link Slack" }
        ])
      )
    }
    const installation = yield* Effect.flatMap(SlackInstallations, (s) => s.get(caller.orgId))
    if (Option.isNone(installation) || installation.value.teamId !== input.teamId) {
      return yield* Effect.fail(
        validationFailed([
          { field: "teamId", message: "This Slack workspace is not connected to your organization" }
        ])
      )
    }
    const orgs = yield* OrgStore
    yield* Effect.flatMap(Transactor, (tx) =>
      tx.withTransaction(
        Effect.gen(function* () {
          const earlier = yield* orgs.getMemberBySlackUser(caller.orgId, input.slackUserId)
          if (Option.isSome(earlier) && earlier.value.id !== memberId) {
            yield* orgs.updateMember({ ...earlier.value, slackUserId: null })
          }
          const member = yield* orgs.getMember(caller.orgId, memberId)
          if (Option.isNone(member)) {
            return yield* Effect.fail(validationFailed([{ field: "member", message: "Member not found" }]))
          }
          yield* orgs.updateMember({ ...member.value, slackUserId: input.slackUserId })
          yield* Audit.record(caller.orgId, caller.actor, {
            action: "slack.user.link",
            targetId: input.slackUserId,
            outcome: "ok"
          })
        })
      )
    )
  })
