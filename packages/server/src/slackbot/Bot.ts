/**
 * The Slack bot: Bolt's `App` answering `/armature` and the buttons of Armature's messages
 * (proposals, alerts) at `POST /slack/events`, for every workspace
 * that installed the app, with Bolt's own check of Slack's request signature (a request without
 * a valid signature, or more than five minutes old, is refused with 401 before anything runs).
 * A Slack user acts as the Armature member they linked (`/armature link`), with the member's
 * current role, through core's use cases; every command is written to the audit log. Bolt runs
 * behind a receiver of ours, so the request passes the server's own HTTP stack (access log,
 * limits) like any other. Without `SLACK_SIGNING_SECRET` the routes do not exist (404).
 */
import { SlackInstallations } from "@armature/core"
import { HttpApiBuilder, HttpIncomingMessage, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { App, isValidSlackRequest, LogLevel, type Receiver } from "@slack/bolt"
import { Clock, Effect, Option, Redacted } from "effect"
import { ServerConfigTag } from "../config/ServerConfig.js"
import * as Buttons from "./Buttons.js"
import * as Kit from "./Kit.js"
import { LinkTokens } from "./LinkTokens.js"
import * as SlashCommand from "./SlashCommand.js"

/** Bolt hands events to its receiver's app; this one is fed by the route below. */
class RouteReceiver implements Receiver {
  app: App | undefined
  init(app: App) {
    this.app = app
  }
  start() {
    return Promise.resolve()
  }
  stop() {
    return Promise.resolve()
  }
}

/** A slash command's or an interaction's body, as Slack posts it. */
const parse = (body: string, contentType: string | undefined): Record<string, unknown> => {
  if (contentType?.startsWith("application/json")) return JSON.parse(body)
  const form = new URLSearchParams(body)
  const payload = form.get("payload")
  return payload === null ? Object.fromEntries(form) : JSON.parse(payload)
}

export const routes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const config = yield* ServerConfigTag
    const secret = Option.getOrUndefined(config.slackSigningSecret ?? Option.none())
    if (secret === undefined) return
    const signingSecret = Redacted.value(secret)
    const publicUrl = config.publicUrl.replace(/\/+$/, "")
    const fallbackToken = config.alerts === undefined ? Option.none() : config.alerts.slackBotToken
    const runtime = yield* Effect.runtime<Kit.Services>()
    const kit = Kit.make(runtime, publicUrl)
    const links = yield* LinkTokens

    /** The bot token for a workspace: an installation's there, else the single configured one. */
    const botToken = (teamId: string) =>
      Effect.gen(function* () {
        const store = yield* SlackInstallations
        for (const installation of yield* store.listByTeam(teamId)) {
          const token = yield* store.botToken(installation.orgId)
          if (Option.isSome(token)) return Option.some(Redacted.value(token.value))
        }
        return Option.map(fallbackToken, Redacted.value)
      })

    const receiver = new RouteReceiver()
    const app = new App({
      receiver,
      authorize: async ({ teamId }) => {
        const token = teamId === undefined ? undefined : await kit.run(botToken(teamId))
        const found = token?._tag === "Right" ? Option.getOrUndefined(token.right) : undefined
        return found === undefined ? {} : { botToken: found }
      },
      clientOptions: {
        ...(config.alerts === undefined
          ? {}
          : { slackApiUrl: Option.getOrUndefined(config.alerts.slackApiUrl) }),
        retryConfig: { retries: 0 }
      },
      logLevel: LogLevel.ERROR
    })

    SlashCommand.register(app, kit, links)
    Buttons.register(app, kit)

    yield* router.post(
      "/slack/events",
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const body = yield* Effect.orElseSucceed(
          HttpIncomingMessage.withMaxBodySize(request.text, Option.some(1024 * 1024)),
          () => ""
        )
        const valid = isValidSlackRequest({
          signingSecret,
          body,
          headers: {
            "x-slack-signature": request.headers["x-slack-signature"] ?? "",
            "x-slack-request-timestamp": Number(request.headers["x-slack-request-timestamp"] ?? 0)
          },
          nowMilliseconds: yield* Clock.currentTimeMillis
        })
        if (!valid) return HttpServerResponse.text("invalid or stale Slack signature", { status: 401 })
        const event = yield* Effect.try(() => parse(body, request.headers["content-type"])).pipe(
          Effect.orElseSucceed(() => null)
        )
        if (event === null) return HttpServerResponse.text("unreadable body", { status: 400 })
        if (event.type === "url_verification")
          return yield* HttpServerResponse.json({ challenge: event.challenge })
        // Answers as soon as the listener acknowledges; it may go on (a run's verdict) after.
        const answer = yield* Effect.promise(
          () =>
            new Promise<unknown>((resolve) => {
              receiver.app!.processEvent({ body: event, ack: async (response) => resolve(response) }).then(
                () => resolve(undefined),
                () => resolve(undefined)
              )
            })
        )
        if (answer === undefined || answer === "") return HttpServerResponse.empty({ status: 200 })
        return typeof answer === "string"
          ? HttpServerResponse.text(answer)
          : yield* HttpServerResponse.json(answer)
      })
    )
  })
)
