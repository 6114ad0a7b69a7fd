/**
 * The dashboard's routes, outside the API prefix: `/sign-in`, `/sign-out`, the pages of SPEC §10
 * and their forms, and the two static assets. Every page reads through core's use cases as the
 * signed-in key's caller, so the roles, limits and errors are the API's; every form is a POST
 * with the session's CSRF token and ends in a redirect (or, for a new key's secret, the page
 * that shows it once).
 */
import {
  ApiKeys,
  Monitors as CoreMonitors,
  Workflows as CoreWorkflows,
  type Ids,
  Runs,
  SlackInstalls,
  type StorePorts,
  statusOf,
  Team,
  toApiErrorBody
} from "@armature/core"
import { HttpApiBuilder, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Layer, Option } from "effect"
import type { VNode } from "preact"
import * as SlackApp from "../app/SlackApp.js"
import { ServerConfigTag } from "../config/ServerConfig.js"
import { verify } from "../http/Authentication.js"
import type { AuthFailureLimiter } from "../http/AuthFailureLimiter.js"
import { acceptUrl } from "../http/handlers/Team.js"
import { LinkTokens } from "../slackbot/LinkTokens.js"
import * as AlertsPage from "./pages/Alerts.js"
import * as Monitors from "./pages/Monitors.js"
import * as Overview from "./pages/Overview.js"
import * as RunsPage from "./pages/Runs.js"
import * as Servers from "./pages/Servers.js"
import * as Settings from "./pages/Settings.js"
import * as SignIn from "./pages/SignIn.js"
import * as SlackLink from "./pages/SlackLink.js"
import * as Workflows from "./pages/Workflows.js"
import { errorPage, html, seeOther } from "./respond.js"
import { cookieName, Sessions, signIn, signInCookie, signOut, withSignInToken } from "./Session.js"
import { csrfMatches, forged, formOf, reasons, safeNext, signedIn } from "./signedIn.js"
import { css, liveJs } from "./ui/assets.js"
import type { View } from "./ui/Layout.js"

/** What the pages read and write with. */
type Services = StorePorts | Ids | Sessions | AuthFailureLimiter | ApiKeys.VerifiedTokens | LinkTokens

/** A route's handler: the request and its path parameters, and the pages' services. */
type Handler<E> = Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  E,
  Services | HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext
>

const asset = (body: string, contentType: string) =>
  HttpServerResponse.text(body, {
    contentType,
    headers: { "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" }
  })

const query = Effect.map(
  HttpServerRequest.HttpServerRequest,
  (r) => new URL(r.url, "http://localhost").searchParams
)

/** A path parameter of the route (`:id`). */
const param = (name: string) => Effect.map(HttpRouter.params, (p) => p[name] ?? "")

/** A signed-in page: `render` gives its markup. */
const page = <E, R>(render: (view: View) => Effect.Effect<VNode, E, R>) =>
  signedIn((view) => Effect.map(render(view), (vnode) => html(vnode)))

/** A form that does `act` and then shows `to` (303). */
const action = <A, E, R>(
  act: (view: View, form: URLSearchParams) => Effect.Effect<A, E, R>,
  to: (result: A) => string
) => signedIn((view, form) => Effect.map(act(view, form), (result) => seeOther(to(result))))

const path = (...parts: ReadonlyArray<string>) => `/${parts.map(encodeURIComponent).join("/")}`

export const routes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const config = yield* ServerConfigTag
    const sessions = yield* Sessions
    const services = yield* Effect.context<Services>()
    const links = yield* LinkTokens

    const get = <E>(route: HttpRouter.PathInput, handler: Handler<E>) =>
      router.get(route, Effect.provide(handler, services))
    const post = <E>(route: HttpRouter.PathInput, handler: Handler<E>) =>
      router.post(route, Effect.provide(handler, services))

    yield* router.get("/assets/dashboard.css", Effect.succeed(asset(css, "text/css; charset=utf-8")))
    yield* router.get("/assets/live.js", Effect.succeed(asset(liveJs, "text/javascript; charset=utf-8")))

    // Sign-in: the form with a fresh token in a cookie of its own; posting it checks the key as
    // the API does (failures count against the address) and opens the session.
    const signInForm = (next: string, status: number, extra: { reason?: string; error?: string } = {}) =>
      withSignInToken(sessions, (csrf) =>
        html(SignIn.page({ csrf, next, reason: extra.reason, error: extra.error }), status)
      )
    yield* get(
      "/sign-in",
      Effect.map(query, (q) => {
        const reason = q.get("reason")
        return signInForm(safeNext(q.get("next")), 200, {
          ...(reason !== null && Object.hasOwn(reasons, reason)
            ? { reason: reasons[reason as keyof typeof reasons] }
            : {})
        })
      })
    )
    yield* post(
      "/sign-in",
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const form = yield* formOf(request)
        const next = safeNext(form.get("next"))
        if (!csrfMatches(request.cookies[signInCookie] ?? "", form)) {
          return signInForm(next, 403, { error: "The sign-in form had expired; enter the key again." })
        }
        const key = (form.get("key") ?? "").trim()
        const checked = yield* Effect.either(verify(key))
        if (checked._tag === "Left") {
          const error = checked.left.error
          const message =
            error.code === "unauthenticated" ? "That API key is not valid or was revoked." : error.message
          return signInForm(next, statusOf(error).http, { error: message })
        }
        return signIn(seeOther(next), sessions, key, yield* Clock.currentTimeMillis)
      })
    )
    // Signing out needs only the session's own CSRF token, not a working key: it ends the
    // session even when the key was revoked, its budget is spent or the database is down.
    yield* post(
      "/sign-out",
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const session = sessions.open(request.cookies[cookieName] ?? "", yield* Clock.currentTimeMillis)
        const form = yield* formOf(request)
        if (Option.isSome(session) && !csrfMatches(session.value.csrf, form)) {
          return errorPage(forged, null)
        }
        return signOut(seeOther("/sign-in"))
      })
    )

    yield* get("/", page(Overview.page))

    yield* get(
      "/workflows",
      Effect.flatMap(query, (q) => page((view) => Workflows.list(view, q.get("cursor") ?? undefined)))
    )
    yield* get(
      "/workflows/:id",
      Effect.flatMap(Effect.all([param("id"), query]), ([id, q]) =>
        page((view) => Workflows.detail(view, id, { from: q.get("from"), to: q.get("to") }))
      )
    )
    yield* post(
      "/workflows/:id/run",
      Effect.flatMap(param("id"), (id) =>
        action(
          (view, form) => {
            const idempotencyKey = form.get("idempotencyKey")
            return Runs.dispatch(view.caller, {
              workflowId: id,
              ...(idempotencyKey ? { idempotencyKey } : {})
            })
          },
          (dispatched) => path("runs", dispatched.run.id)
        )
      )
    )
    for (const state of ["pause", "resume"] as const) {
      yield* post(
        `/workflows/:id/${state}`,
        Effect.flatMap(param("id"), (id) =>
          action(
            (view) => CoreWorkflows.setState(view.caller, id, state === "pause" ? "paused" : "active"),
            () => path("workflows", id)
          )
        )
      )
    }

    yield* get(
      "/runs/:id",
      Effect.flatMap(param("id"), (id) => page((view) => RunsPage.detail(view, id)))
    )
    yield* get(
      "/runs/:id/compare/:base",
      Effect.flatMap(Effect.all([param("id"), param("base")]), ([id, base]) =>
        page((view) => RunsPage.compare(view, id, base))
      )
    )

    yield* get(
      "/monitors",
      Effect.flatMap(query, (q) => page((view) => Monitors.list(view, q.get("cursor") ?? undefined)))
    )
    yield* get(
      "/monitors/:id",
      Effect.flatMap(Effect.all([param("id"), query]), ([id, q]) =>
        page((view) => Monitors.detail(view, id, Monitors.windowOf(q.get("window"))))
      )
    )
    const monitorActions = {
      pause: (view: View, id: string) => CoreMonitors.setState(view.caller, id, "paused"),
      resume: (view: View, id: string) => CoreMonitors.setState(view.caller, id, "active"),
      mute: (view: View, id: string) => CoreMonitors.setMuted(view.caller, id, true),
      unmute: (view: View, id: string) => CoreMonitors.setMuted(view.caller, id, false)
    }
    for (const [name, act] of Object.entries(monitorActions)) {
      yield* post(
        `/monitors/:id/${name}`,
        Effect.flatMap(param("id"), (id) =>
          action(
            (view) => act(view, id),
            () => path("monitors", id)
          )
        )
      )
    }

    yield* get(
      "/servers",
      Effect.flatMap(query, (q) => page((view) => Servers.list(view, q.get("cursor") ?? undefined)))
    )
    yield* get(
      "/servers/:id",
      Effect.flatMap(param("id"), (id) => page((view) => Servers.detail(view, id)))
    )
    yield* get("/alerts", page(AlertsPage.page))

    yield* get(
      "/settings",
      page((view) => Settings.page(view))
    )
    // A new key's secret is shown on the answer to this form, once: it is in no URL and no log.
    yield* post(
      "/settings/keys",
      signedIn((view, form) =>
        ApiKeys.create(view.caller, {
          name: form.get("name") ?? "",
          role: form.get("role") ?? undefined
        }).pipe(
          Effect.flatMap(({ key, token }) => Settings.page(view, { created: { name: key.name, token } })),
          Effect.map((vnode) => html(vnode, 201)),
          Effect.catchTag("ValidationFailed", (error) =>
            Effect.map(Settings.page(view, { error: toApiErrorBody(error) }), (vnode) => html(vnode, 400))
          )
        )
      )
    )
    yield* post(
      "/settings/keys/:id/revoke",
      Effect.flatMap(param("id"), (id) =>
        action(
          (view) => ApiKeys.revoke(view.caller, id),
          () => "/settings"
        )
      )
    )
    yield* post(
      "/settings/invitations",
      signedIn((view, form) => {
        const email = (form.get("email") ?? "").trim()
        return Team.inviteAndNotify(
          view.caller,
          { ...(email === "" ? {} : { email }), role: form.get("role") ?? "viewer" },
          acceptUrl(config.publicUrl)
        ).pipe(
          Effect.flatMap((sent) =>
            Settings.page(view, { invited: { email: sent.invitation.email, link: sent.link } })
          ),
          Effect.map((vnode) => html(vnode, 201))
        )
      })
    )
    // The install starts from a one-time link, as over the API, which the page offers as a link:
    // a redirect to Slack from the form would break the policy that forms post only here.
    yield* post(
      "/settings/slack/install",
      signedIn((view) =>
        SlackApp.createInstallLink(view.caller).pipe(
          Effect.flatMap((link) => Settings.page(view, { slackInstall: link.url })),
          Effect.map((vnode) => html(vnode))
        )
      )
    )
    yield* post(
      "/settings/slack/disconnect",
      action(
        (view) => SlackInstalls.removeInstallation(view.caller),
        () => "/settings"
      )
    )
    // `/armature link`: the token says which Slack user asked; the session says who answers.
    yield* get(
      "/slack/link",
      Effect.flatMap(query, (q) => {
        const token = q.get("token") ?? ""
        return page((view) =>
          Effect.map(Clock.currentTimeMillis, (now) =>
            Option.match(links.open(token, now), {
              onNone: () => SlackLink.invalid(view),
              onSome: (asked) => SlackLink.confirm(view, { token, slackUserId: asked.slackUserId })
            })
          )
        )
      })
    )
    yield* post(
      "/slack/link",
      signedIn((view, form) =>
        Effect.gen(function* () {
          const asked = links.open(form.get("token") ?? "", yield* Clock.currentTimeMillis)
          if (Option.isNone(asked)) return html(SlackLink.invalid(view), 400)
          yield* SlackInstalls.linkUser(view.caller, asked.value)
          return html(SlackLink.linked(view))
        })
      )
    )
    yield* post(
      "/settings/invitations/:id/revoke",
      Effect.flatMap(param("id"), (id) =>
        action(
          (view) => Team.revokeInvitation(view.caller, id),
          () => "/settings"
        )
      )
    )
  })
)

/** The dashboard's routes, with their own cache of verified keys (`Sessions` comes from the server). */
export const layer = routes.pipe(Layer.provide(ApiKeys.verifiedTokensLayer()))
