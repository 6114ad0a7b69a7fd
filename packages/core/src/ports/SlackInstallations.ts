import { Context, type Effect, type Option, type Redacted } from "effect"
import type { SlackInstallation, SlackInstallLink } from "../domain/Slack.js"
import type { StoreError } from "../Errors.js"

/**
 * Installations of the Slack app, one per organization, and the one-time links that start them.
 * Bot tokens are credentials: an adapter keeps them in the `SecretStore` (encrypted at rest) and
 * only their reference beside the installation.
 */
export class SlackInstallations extends Context.Tag("@armature/core/SlackInstallations")<
  SlackInstallations,
  {
    /**
     * Saves the organization's installation with its bot token, replacing any earlier one (a
     * re-install): the earlier token is deleted from the `SecretStore`.
     */
    readonly save: (
      installation: SlackInstallation,
      botToken: Redacted.Redacted<string>
    ) => Effect.Effect<void, StoreError>
    readonly get: (orgId: string) => Effect.Effect<Option.Option<SlackInstallation>, StoreError>
    /** The installations in a Slack workspace (several organizations may share one), by org id. */
    readonly listByTeam: (teamId: string) => Effect.Effect<ReadonlyArray<SlackInstallation>, StoreError>
    /** The bot token of the organization's installation; none without an installation. */
    readonly botToken: (orgId: string) => Effect.Effect<Option.Option<Redacted.Redacted<string>>, StoreError>
    /** Sets (or with null clears) the installation's proposals channel; false without an installation. */
    readonly setProposalsChannel: (
      orgId: string,
      channel: string | null
    ) => Effect.Effect<boolean, StoreError>
    /** Removes the installation and deletes its token; returns whether there was one. */
    readonly remove: (orgId: string) => Effect.Effect<boolean, StoreError>

    readonly createLink: (link: SlackInstallLink) => Effect.Effect<void, StoreError>
    /** Looked up by the hash of its secret alone: a browser brings only the secret. */
    readonly getLinkBySecretHash: (
      secretHash: string
    ) => Effect.Effect<Option.Option<SlackInstallLink>, StoreError>
    /**
     * Marks the link used at `at` and returns it, if at that instant it is neither used nor
     * expired; none otherwise (an unknown id too). Atomic: of concurrent calls, one gets the link.
     */
    readonly consumeLink: (id: string, at: Date) => Effect.Effect<Option.Option<SlackInstallLink>, StoreError>
    /** Deletes links (used or not) that expired before `before`; returns how many. */
    readonly pruneLinks: (before: Date) => Effect.Effect<number, StoreError>
  }
>() {}
