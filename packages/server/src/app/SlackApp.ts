/**
 * The installable Slack app as this deployment configures it (`SLACK_CLIENT_ID`,
 * `SLACK_CLIENT_SECRET`, `SLACK_STATE_SECRET`, `ARMATURE_PUBLIC_URL`): the install flow of
 * `@armature/alerts` and the URLs of install links, or none when the app is not configured.
 * REST, the browser routes and the CLI all create links through `createInstallLink`.
 */
import { createHmac } from "node:crypto"
import { SlackInstall } from "@armature/alerts"
import { type Caller, Roles, SlackInstalls, SlackNotConfigured } from "@armature/core"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { ServerConfigTag } from "../config/ServerConfig.js"

export interface Configured {
  readonly install: SlackInstall.SlackInstall["Type"]
  /** The browser URL of an install link with `secret`. */
  readonly linkUrl: (secret: string) => string
}

export class SlackApp extends Context.Tag("@armature/server/SlackApp")<
  SlackApp,
  Option.Option<Configured>
>() {}

/** Paths of the browser routes, outside the API prefix (the redirect URL is set in the Slack app). */
export const paths = { install: "/slack/install", redirect: "/slack/oauth_redirect" } as const

/** A state secret every replica derives alike, for deployments that set none of their own. */
const derivedStateSecret = (clientSecret: Redacted.Redacted<string>) =>
  Redacted.make(
    createHmac("sha256", Redacted.value(clientSecret))
      .update("armature slack oauth state")
      .digest("base64url")
  )

/** The Slack app from the server's configuration, over the store in context. */
export const layer: Layer.Layer<SlackApp, never, ServerConfigTag | SlackInstall.Requirements> = Layer.effect(
  SlackApp,
  Effect.gen(function* () {
    const config = yield* ServerConfigTag
    const settings = config.slackApp ?? Option.none()
    if (Option.isNone(settings)) return Option.none()
    const { clientId, clientSecret, stateSecret } = settings.value
    const publicUrl = config.publicUrl.replace(/\/+$/, "")
    const install = yield* SlackInstall.make({
      clientId,
      clientSecret,
      stateSecret: Option.getOrElse(stateSecret, () => derivedStateSecret(clientSecret)),
      redirectUri: `${publicUrl}${paths.redirect}`,
      slackApiUrl: config.alerts === undefined ? undefined : Option.getOrUndefined(config.alerts.slackApiUrl)
    })
    return Option.some({
      install,
      linkUrl: (secret: string) => `${publicUrl}${paths.install}?link=${encodeURIComponent(secret)}`
    })
  })
)

/** The configured app, if any: none also where no `SlackApp` is in context (an embedder's API). */
export const current: Effect.Effect<Option.Option<Configured>> = Effect.map(
  Effect.serviceOption(SlackApp),
  Option.flatten
)

/**
 * Creates a one-time install link for the caller's organization and returns its URL (shown
 * once) and expiry. Without a configured app, `slack_not_configured` — after the role check, so
 * a caller who may not create links learns nothing about the deployment.
 */
export const createInstallLink = (caller: Caller, input?: unknown) =>
  Effect.gen(function* () {
    const app = yield* current
    if (Option.isNone(app)) {
      yield* Roles.authorize(caller.actor, "slack.write")
      return yield* new SlackNotConfigured({
        message:
          "This Armature server has no Slack app to install: its operator sets SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (or SLACK_BOT_TOKEN for a single workspace)."
      })
    }
    const { link, secret } = yield* SlackInstalls.createLink(caller, input)
    return { url: app.value.linkUrl(secret), expiresAt: link.expiresAt }
  })
