/**
 * The browser side of the Slack app install, outside the API prefix and beside it on the same
 * router, so the request guard (body size) wraps them as it wraps the API:
 *
 * - `GET /slack/install?link=…` checks the one-time link, sets the OAuth state cookie and
 *   redirects to Slack; links that do not open count as failed credential checks of the address
 *   (`AuthFailureLimiter`), like bad API keys;
 * - `GET /slack/oauth_redirect` is where Slack sends the browser back: it completes the install
 *   and says which workspace was connected, or why not (400).
 *
 * Answers are plain pages. Without a configured Slack app both answer 404.
 */
import type { SlackInstall } from "@armature/alerts"
import { Cookies, HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { AuthFailureLimiter } from "../http/AuthFailureLimiter.js"
import { paths, SlackApp } from "./SlackApp.js"

const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(body, { status, headers: { "cache-control": "no-store", ...headers } })

const toResponse = ({ status, headers, setCookies, body }: SlackInstall.BrowserResponse) => {
  const { "content-type": contentType, ...rest } = headers
  return HttpServerResponse.text(body, {
    status,
    headers: rest,
    cookies: Cookies.fromSetCookie(setCookies),
    ...(contentType === undefined ? {} : { contentType })
  })
}

/** The flow's request from the platform's. */
const browserRequest = (request: HttpServerRequest.HttpServerRequest): SlackInstall.BrowserRequest => ({
  url: request.url,
  cookie: request.headers.cookie,
  host: request.headers.host
})

const storeDown = (e: { readonly unavailable: boolean }) =>
  Effect.succeed(
    text(e.unavailable ? 503 : 500, "Armature cannot check this link right now; try again shortly.")
  )

/** The two routes, on the router of `HttpApiBuilder`. */
export const routes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const app = yield* SlackApp
    const limiter = yield* AuthFailureLimiter
    const notConfigured = text(404, "This Armature server has no Slack app to install.")

    yield* router.get(
      paths.install,
      Effect.gen(function* () {
        if (Option.isNone(app)) return notConfigured
        const request = yield* HttpServerRequest.HttpServerRequest
        const response = yield* app.value.install.installPath(browserRequest(request))
        if (response.status !== 400) return toResponse(response)
        const address = Option.getOrElse(request.remoteAddress, () => "unknown")
        const wait = yield* limiter.fail(address)
        return wait === 0
          ? toResponse(response)
          : text(429, `Too many failed install links from this address; retry in ${wait} s.`, {
              "retry-after": String(wait)
            })
      }).pipe(Effect.catchTag("StoreError", storeDown))
    )
    yield* router.get(
      paths.redirect,
      Effect.gen(function* () {
        if (Option.isNone(app)) return notConfigured
        const request = yield* HttpServerRequest.HttpServerRequest
        return toResponse(yield* app.value.install.callback(browserRequest(request)))
      })
    )
  })
)
