import { Schema } from "effect"
import { Actor } from "./Audit.js"
import { Id, Timestamp } from "./Common.js"

/**
 * An organization's installation of the Armature Slack app (SPEC §7): the workspace it connected.
 * Its bot token is not part of it: the `SecretStore` keeps the token, the store a reference.
 */
export const SlackInstallation = Schema.Struct({
  orgId: Id,
  /** The Slack workspace (`T…`). */
  teamId: Schema.String,
  teamName: Schema.String,
  /** The app's bot user in that workspace (`U…`). */
  botUserId: Schema.String,
  /** Bot scopes Slack granted. */
  scopes: Schema.Array(Schema.String),
  installedAt: Timestamp,
  /** Who created the install link the installation came through. */
  installedBy: Actor,
  /** The Slack user who approved the installation, when Slack said. */
  slackUserId: Schema.NullOr(Schema.String),
  /** Where agents' staged workflow changes are posted for a person to approve (`C…`); none: not posted. */
  proposalsChannel: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
})
export type SlackInstallation = typeof SlackInstallation.Type

/**
 * A one-time link that lets whoever holds it connect a Slack workspace to the organization.
 * Only a sha256 of its secret is stored; the secret is shown once, in the link.
 */
export const SlackInstallLink = Schema.Struct({
  id: Id,
  orgId: Id,
  secretHash: Schema.String,
  createdBy: Actor,
  createdAt: Timestamp,
  expiresAt: Timestamp,
  /** When an installation consumed it; a link is used once. */
  usedAt: Schema.NullOr(Timestamp)
})
export type SlackInstallLink = typeof SlackInstallLink.Type
