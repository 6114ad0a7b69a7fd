/**
 * What every signed-in page and form goes through: the session cookie opened, its API key
 * checked exactly as the REST API checks one (revocation, the member's current role, the key's
 * request budget), and for a form its CSRF token compared in constant time with the session's
 * and the read-only workspace's write refusal. A visitor without a session is sent to the
 * sign-in page; a session whose key stopped working is ended there with the reason.
 */
import { timingSafeEqual } from "node:crypto"
import { Plans } from "@armature/core"
import { HttpServerRequest, type HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Option } from "effect"
import { type Requirements, verify } from "../http/Authentication.js"
import { errorPage, seeOther } from "./respond.js"
import { cookieName, Sessions } from "./Session.js"
import type { View } from "./ui/Layout.js"

/** Form bodies are small; anything larger is read as an empty form (and so fails its CSRF check). */
const maxFormBytes = 64 * 1024

/** Where the sign-in page sends a visitor back to: a path of this site only. */
export const safeNext = (next: string | null | undefined) =>
  next !== null && next !== undefined && /^\/(?![/\\])[^\s]*$/.test(next) ? next : "/"

const signInAgain = (path: string, reason?: string) => {
  const query = new URLSearchParams({ next: path, ...(reason === undefined ? {} : { reason }) })
  return seeOther(`/sign-in?${query}`)
}

/** Two tokens compared in constant time. */
export const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The fields of a posted form (`application/x-www-form-urlencoded`), at most 64 KiB. */
export const formOf = (request: HttpServerRequest.HttpServerRequest) =>
  Number(request.headers["content-length"] ?? 0) > maxFormBytes
    ? Effect.succeed(new URLSearchParams())
    : Effect.map(
        Effect.orElseSucceed(request.text, () => ""),
        (text) => new URLSearchParams(text.length > maxFormBytes ? "" : text)
      )

const forged = {
  code: "origin_not_allowed",
  message:
    "This form was not sent from this dashboard session (missing or stale CSRF token), so nothing was done. " +
    "Reload the page and try again."
}

/**
 * Runs `handle` for a signed-in visitor. For a POST, the form is read and its `csrf` field must
 * match the session's, or nothing runs (403); unless `write: false`, a read-only workspace
 * refuses it too. Failures of `handle` become the error page.
 */
export const signedIn = <E, R>(
  handle: (view: View, form: URLSearchParams) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  options: { readonly write?: boolean } = {}
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | Requirements | Sessions> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, "http://localhost")
    const path = url.pathname
    const back = request.method === "GET" ? `${path}${url.search}` : "/"
    const sessions = yield* Sessions
    const session = sessions.open(request.cookies[cookieName] ?? "", yield* Clock.currentTimeMillis)
    if (Option.isNone(session)) return signInAgain(back)
    const checked = yield* Effect.either(verify(session.value.token))
    if (checked._tag === "Left") {
      const error = checked.left.error
      if (error.code === "unauthenticated") {
        return signInAgain(back, "Your session's API key was revoked or is no longer valid; sign in again.")
      }
      return errorPage(error, null)
    }
    const view: View = { caller: checked.right, csrf: session.value.csrf, path }
    let form = new URLSearchParams()
    if (request.method !== "GET" && request.method !== "HEAD") {
      form = yield* formOf(request)
      if (!sameToken(form.get("csrf") ?? "", session.value.csrf)) return errorPage(forged, view)
      if (options.write !== false) {
        const writable = yield* Effect.either(Plans.ensureWritable(view.caller, "write"))
        if (writable._tag === "Left") return errorPage(writable.left, view)
      }
    }
    return yield* handle(view, form).pipe(Effect.catchAll((error) => Effect.succeed(errorPage(error, view))))
  })
