/**
 * The Slack bot: Bolt's `App` answering `/armature` at `POST /slack/events`, for every workspace
 * that installed the app, with Bolt's own check of Slack's request signature (a request without
 * a valid signature, or more than five minutes old, is refused with 401 before anything runs).
 * A Slack user acts as the Armature member they linked (`/armature link`), with the member's
 * current role, through core's use cases; every command is written to the audit log. Bolt runs
 * behind a receiver of ours, so the request passes the server's own HTTP stack (access log,
 * limits) like any other. Without `SLACK_SIGNING_SECRET` the routes do not exist (404).
 */
import {
  Audit,
  type Caller,
  type Ids,
  Runs,
  SlackInstallations,
  SlackInstalls,
  type StorePorts,
  toApiErrorBody
} from "@armature/core"
import { HttpApiBuilder, HttpIncomingMessage, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { App, isValidSlackRequest, LogLevel, type Receiver, type RespondArguments } from "@slack/bolt"
import { Clock, Effect, Option, Redacted, Runtime } from "effect"
import { ServerConfigTag } from "../config/ServerConfig.js"
import * as Commands from "./Commands.js"
import { LinkTokens } from "./LinkTokens.js"

/** What the commands read and write with. */
type Services = StorePorts | Ids | LinkTokens

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

const ephemeral = (text: string): RespondArguments => ({ response_type: "ephemeral", text })

const notLinked =
  "You are not linked to an Armature member yet, so nothing was done. Type `/armature link` to link your Slack user."

export const routes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const config = yield* ServerConfigTag
    const secret = Option.getOrUndefined(config.slackSigningSecret ?? Option.none())
    if (secret === undefined) return
    const signingSecret = Redacted.value(secret)
    const publicUrl = config.publicUrl.replace(/\/+$/, "")
    const fallbackToken = config.alerts === undefined ? Option.none() : config.alerts.slackBotToken
    const runtime = yield* Effect.runtime<Services>()
    const run = <A, E>(effect: Effect.Effect<A, E, Services>) =>
      Runtime.runPromise(runtime)(Effect.either(effect))
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
        const token = teamId === undefined ? undefined : await run(botToken(teamId))
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

    /** Runs a command's use case as `caller`, audited; a refusal becomes its message. */
    const act = async <A>(
      caller: Caller,
      subcommand: string,
      text: string,
      effect: Effect.Effect<A, unknown, Services>
    ): Promise<{ ok: true; value: A } | { ok: false; message: string }> => {
      const result = await run(effect)
      const outcome = result._tag === "Right" ? "ok" : toApiErrorBody(result.left).code
      await run(
        Audit.record(caller.orgId, caller.actor, {
          action: `slack.${subcommand}`,
          outcome,
          arguments: { text }
        })
      )
      return result._tag === "Right"
        ? { ok: true, value: result.right }
        : { ok: false, message: toApiErrorBody(result.left).message }
    }

    app.command("/armature", async ({ command, ack, client }) => {
      const [subcommand = "help", ...rest] = command.text.trim().split(/\s+/)
      const argument = rest.join(" ")
      const sub = subcommand.toLowerCase()
      if (sub === "help" || sub === "") return ack(ephemeral(Commands.help))
      if (sub === "link") {
        const token = links.sign({ teamId: command.team_id, slackUserId: command.user_id }, Date.now())
        return ack(
          ephemeral(
            `Open <${publicUrl}/slack/link?token=${token}|this link> within 15 minutes and sign in to the Armature dashboard: your Slack user then acts as your Armature member, with your role.`
          )
        )
      }
      const found = await run(SlackInstalls.callerOf(command.team_id, command.user_id))
      if (found._tag === "Left") return ack(ephemeral("Armature cannot answer right now; try again shortly."))
      if (Option.isNone(found.right)) return ack(ephemeral(notLinked))
      const caller = found.right.value
      switch (sub) {
        case "status":
        case "runs":
        case "coverage": {
          if (sub === "coverage" && argument === "")
            return ack(ephemeral("Which server? `/armature coverage <server>`"))
          const answered = await act(
            caller,
            sub,
            command.text,
            sub === "status"
              ? Commands.status(caller)
              : sub === "runs"
                ? Commands.runs(caller, argument)
                : Commands.coverage(caller, argument)
          )
          return ack(ephemeral(answered.ok ? answered.value : answered.message))
        }
        case "run": {
          if (argument === "") return ack(ephemeral("Which workflow? `/armature run <workflow>`"))
          const named = await run(Commands.workflowNamed(caller, argument))
          if (named._tag === "Left") return ack(ephemeral(toApiErrorBody(named.left).message))
          if (typeof named.right === "string") return ack(ephemeral(named.right))
          const workflow = named.right
          const started = await act(caller, "run", command.text, Commands.run(caller, workflow.id))
          if (!started.ok) return ack(ephemeral(started.message))
          const runId = started.value.id
          await ack(ephemeral(`Started a run of *${workflow.name}*.`))
          // The channel sees the run start, and the same message turns into its verdict.
          const posted = await client.chat.postMessage({
            channel: command.channel_id,
            text: `Running *${workflow.name}* (asked by <@${command.user_id}>)… <${publicUrl}/runs/${runId}|run ${runId.slice(0, 8)}>`
          })
          const ended = await run(Runs.waitForTerminal(caller, runId, 600))
          const verdict =
            ended._tag === "Right"
              ? `*${workflow.name}*: *${ended.right.status}* <${publicUrl}/runs/${runId}|run ${runId.slice(0, 8)}>`
              : `*${workflow.name}*: still running after 10 minutes <${publicUrl}/runs/${runId}|run ${runId.slice(0, 8)}>`
          if (posted.ok && posted.channel !== undefined && posted.ts !== undefined) {
            await client.chat.update({ channel: posted.channel, ts: posted.ts, text: verdict })
          }
          return
        }
        default:
          return ack(ephemeral(`I don't know \`${subcommand}\`.\n${Commands.help}`))
      }
    })

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
