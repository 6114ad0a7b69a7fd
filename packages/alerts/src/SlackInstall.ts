/**
 * The Armature Slack app's OAuth v2 install, per organization (SPEC §7), through `@slack/oauth`'s
 * `InstallProvider`. An admin creates a one-time install link (core's `SlackInstalls`); opening it
 * checks the link, sets the state cookie and sends the browser to Slack with the link's id in the
 * signed `state`. Slack sends the browser back with a code; the provider verifies state and
 * cookie, exchanges the code (`oauth.v2.access`, `auth.test`) and hands the installation to the
 * store here, which saves it for the link's organization and uses the link up in one transaction.
 * So a link installs once, and a callback without a valid state, cookie and unused link writes
 * nothing. Bot tokens are kept by core's `SlackInstallations` (in the `SecretStore`).
 */
import {
  type AuditLog,
  type Ids,
  SlackInstallations,
  SlackInstalls,
  type StoreError,
  type Transactor
} from "@armature/core"
import type { CodedError, ErrorCode, Installation, Logger, LogLevel } from "@slack/oauth"
import { WebAPIPlatformError } from "@slack/web-api"
import {
  Cause,
  Config,
  type ConfigError,
  Context,
  Effect,
  Exit,
  Layer,
  Option,
  Redacted,
  Runtime
} from "effect"
import { type BrowserRequest, type BrowserResponse, exchange } from "./internal/browserExchange.js"
import * as Pages from "./internal/installPages.js"
import type * as SlackSink from "./SlackSink.js"

export type { BrowserRequest, BrowserResponse }

/** Bot scopes the app asks for: post (also to public channels it was not invited to), read channels, commands. */
export const botScopes: ReadonlyArray<string> = [
  "chat:write",
  "chat:write.public",
  "channels:read",
  "commands"
]

export interface Options {
  /** The app's client id (Basic Information of the app at api.slack.com/apps). */
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** Signs the OAuth `state`; every replica must have the same one. */
  readonly stateSecret: Redacted.Redacted<string>
  /** Where Slack sends the browser back (`<public URL>/slack/oauth_redirect`), as set in the app. */
  readonly redirectUri: string
  /** The Web API base for `oauth.v2.access` and `auth.test`, `https://slack.com/api/` by default. */
  readonly slackApiUrl?: string | undefined
  /** Per Web API request; 10 s by default. */
  readonly timeoutMs?: number | undefined
}

/** What the install flow needs from the store. */
export type Requirements = SlackInstallations | Transactor | AuditLog | Ids

/** The browser side of the install: the two routes a server mounts. */
export class SlackInstall extends Context.Tag("@armature/alerts/SlackInstall")<
  SlackInstall,
  {
    /**
     * `GET /slack/install?link=…`: checks the link, sets the state cookie and redirects to Slack's
     * consent page; a link that is unknown, used or expired gets a 400 page saying which.
     */
    readonly installPath: (request: BrowserRequest) => Effect.Effect<BrowserResponse, StoreError>
    /** `GET /slack/oauth_redirect`: completes the install; a page names the workspace, or why not (400). */
    readonly callback: (request: BrowserRequest) => Effect.Effect<BrowserResponse>
  }
>() {}

/** Why the store refused an installation; the provider passes it on to the failure page. */
class Refused extends Error {
  readonly code = "armature_install_refused"
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
  }
}

// The provider logs errors with their objects; the outcome is logged here instead, in words
// that never carry a token or secret.
const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => "error" as LogLevel,
  setName: () => {}
}

type Outcome = { readonly teamName: string } | { readonly status: number; readonly reason: string }

/** The provider's error codes this module tells apart (checked against its `ErrorCode`). */
const oauthErrors = {
  invalidState: "slack_oauth_invalid_state",
  missingState: "slack_oauth_missing_state",
  missingCode: "slack_oauth_missing_code",
  authorization: "slack_oauth_installer_authorization_error"
} as const satisfies Record<string, `${ErrorCode}`>

/** The words and status of a failed callback. */
const failureOf = (error: CodedError): { readonly status: number; readonly reason: string } => {
  if (error instanceof Refused) return { status: error.status, reason: error.message }
  if (error instanceof WebAPIPlatformError) {
    return {
      status: 400,
      reason: `Slack refused the authorization (${error.data.error}). Open the install link again.`
    }
  }
  switch (error.code) {
    case oauthErrors.invalidState:
    case oauthErrors.missingState:
      return {
        status: 400,
        reason:
          "This authorization could not be verified: it was started in another browser, or too long ago. Open the install link again."
      }
    case oauthErrors.missingCode:
      return { status: 400, reason: "Slack sent no authorization code." }
    case oauthErrors.authorization:
      return { status: 400, reason: "The installation was cancelled in Slack." }
    default:
      return { status: 400, reason: "The Slack installation failed. Open the install link again." }
  }
}

const htmlHeaders = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  // The install URL carries the link's secret: it must not travel on to Slack as a Referer.
  "referrer-policy": "no-referrer"
}

const html = (status: number, body: string, setCookies: ReadonlyArray<string> = []): BrowserResponse => ({
  status,
  headers: htmlHeaders,
  setCookies,
  body
})

/** The grant Slack made, or why it cannot become an installation. */
const grantOf = (installation: Installation): SlackInstalls.Grant | Refused => {
  if (installation.isEnterpriseInstall === true || installation.team === undefined) {
    return new Refused(
      "Armature installs into one Slack workspace; organization-wide installs are not supported.",
      400
    )
  }
  const bot = installation.bot
  if (bot === undefined) return new Refused("Slack granted no bot token; the app needs its bot scopes.", 400)
  return {
    teamId: installation.team.id,
    teamName: installation.team.name ?? installation.team.id,
    botUserId: bot.userId,
    scopes: bot.scopes,
    slackUserId: installation.user.id ?? null,
    botToken: Redacted.make(bot.token)
  }
}

/** The install flow over the store of the context. */
export const make = (options: Options): Effect.Effect<SlackInstall["Type"], never, Requirements> =>
  Effect.gen(function* () {
    // The provider calls the store back with a Promise; it runs on the services of this layer.
    const runtime = yield* Effect.runtime<Requirements>()
    const run = Runtime.runPromiseExit(runtime)
    // Loaded only where the app is configured: most deployments never need it at startup.
    const { InstallProvider } = yield* Effect.promise(() => import("@slack/oauth"))
    const base = options.slackApiUrl ?? "https://slack.com/api/"
    const installOptions = { scopes: [...botScopes], redirectUri: options.redirectUri }

    const provider = new InstallProvider({
      clientId: options.clientId,
      clientSecret: Redacted.value(options.clientSecret),
      stateSecret: Redacted.value(options.stateSecret),
      installUrlOptions: installOptions,
      // The link already is the page with the button; a second one would only add a click.
      directInstall: true,
      logger: silent,
      clientOptions: {
        slackApiUrl: base.endsWith("/") ? base : `${base}/`,
        // A code is good for one exchange: a retry after a lost answer could only fail.
        retryConfig: { retries: 0 },
        timeout: options.timeoutMs ?? 10_000
      },
      installationStore: {
        storeInstallation: async (installation) => {
          const linkId = installation.metadata
          if (linkId === undefined)
            throw new Refused("This authorization did not start from an install link.", 400)
          const grant = grantOf(installation)
          if (grant instanceof Refused) throw grant
          const exit = await run(SlackInstalls.completeInstall(linkId, grant))
          if (Exit.isSuccess(exit)) return
          const error = Cause.squash(exit.cause) as { _tag?: string; message?: string; unavailable?: boolean }
          if (error?._tag === "ValidationFailed") {
            throw new Refused(
              "This install link was already used or has expired. Ask an admin for a new one.",
              400
            )
          }
          throw new Refused(
            "Armature could not save the installation; try again shortly.",
            error?.unavailable === true ? 503 : 500
          )
        },
        // Armature looks installations up per organization (`botToken`), never by workspace.
        fetchInstallation: async () => {
          throw new Error("Armature looks Slack installations up per organization")
        }
      }
    })

    const installPath: SlackInstall["Type"]["installPath"] = (request) =>
      Effect.gen(function* () {
        const secret = new URL(request.url, "http://armature.invalid").searchParams.get("link") ?? ""
        const checked = yield* Effect.either(SlackInstalls.checkLink(secret))
        if (checked._tag === "Left") {
          if (checked.left._tag === "StoreError") return yield* checked.left
          const reason = checked.left.fieldErrors[0]?.message ?? "This install link is not valid"
          return html(
            400,
            Pages.failed(`${reason}. Ask an admin of your Armature organization for a new one.`)
          )
        }
        const metadata = { ...installOptions, metadata: checked.right.id }
        const response = yield* Effect.tryPromise(() =>
          exchange(request, (req, res) => provider.handleInstallPath(req, res, undefined, metadata))
        ).pipe(Effect.orElseSucceed(() => null))
        if (response === null) return html(500, Pages.failed("The Slack installation could not start."))
        return { ...response, headers: { ...response.headers, ...htmlHeaders } }
      }).pipe(Effect.provide(runtime.context))

    const callback: SlackInstall["Type"]["callback"] = (request) =>
      Effect.gen(function* () {
        // Set by the provider's success or failure callback, whichever it calls.
        const result: { outcome: Outcome } = {
          outcome: { status: 500, reason: "The Slack installation did not finish." }
        }
        const response = yield* Effect.promise(() =>
          exchange(request, (req, res) =>
            provider.handleCallback(req, res, {
              success: (installation) => {
                result.outcome = { teamName: installation.team?.name ?? installation.team?.id ?? "" }
              },
              failure: (error) => {
                result.outcome = failureOf(error)
              }
            })
          )
        )
        const cookies = response?.setCookies ?? []
        const outcome = result.outcome
        if ("teamName" in outcome) {
          yield* Effect.logInfo("Slack workspace connected").pipe(
            Effect.annotateLogs("slack.team", outcome.teamName)
          )
          return html(200, Pages.connected(outcome.teamName), cookies)
        }
        yield* Effect.logWarning(`Slack install refused: ${outcome.reason}`)
        return html(outcome.status, Pages.failed(outcome.reason), cookies)
      })

    return { installPath, callback }
  })

/** The install flow as a layer. */
export const layer = (options: Options): Layer.Layer<SlackInstall, never, Requirements> =>
  Layer.effect(SlackInstall, make(options))

/** `layer` with its options from configuration (a `Config.Wrap` of `Options`). */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<SlackInstall, ConfigError.ConfigError, Requirements> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))

/**
 * `SlackSink`'s `botToken` for the installable app: the token of the organization's installation,
 * else `fallback` (one deployment-wide bot token), else none.
 */
export const botToken = (
  fallback: Option.Option<Redacted.Redacted<string>> = Option.none()
): Effect.Effect<SlackSink.Options["botToken"], never, SlackInstallations> =>
  Effect.map(
    SlackInstallations,
    (store) => (orgId: string) =>
      Effect.map(store.botToken(orgId), (token) => Option.orElse(token, () => fallback))
  )
