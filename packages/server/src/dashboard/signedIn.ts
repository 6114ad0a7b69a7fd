/**
 * What every signed-in page and form goes through: the session cookie opened, its API key
 * checked exactly as the REST API checks one (revocation, the member's current role, the key's
 * request budget), and for a form its CSRF token compared in constant time with the session's
 * and the read-only workspace's write refusal. A visitor without a session is sent to the
 * sign-in page; a session whose key stopped working is ended there with the reason.
 */
import { timingSafeEqual } from "node:crypto"
import { Plans, toApiErrorBody } from "@armature/core"
import { HttpIncomingMessage, HttpServerRequest, type HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Option } from "effect"
import { type Requirements, verify } from "../http/Authentication.js"
import { errorPage, seeOther } from "./respond.js"
import { cookieName, Sessions, signOut } from "./Session.js"
import type { View } from "./ui/Layout.js"

/** Form bodies are small. */
const maxFormBytes = 64 * 1024

/**
 * Where the sign-in page sends a visitor back to: a path of this site only (never another host,
 * never `//host`), percent-encoded so it is a valid `Location`.
 */
export const safeNext = (next: string | null | undefined) => {
  if (next === null || next === undefined || !next.startsWith("/") || /^\/[/\\]/.test(next)) return "/"
  try {
    const url = new URL(next, "http://armature.invalid")
    return url.origin === "http://armature.invalid" ? `${url.pathname}${url.search}${url.hash}` : "/"
  } catch {
    return "/"
  }
}

/** Why the sign-in page was shown, as codes: the page says only what this site wrote. */
export const reasons = {
  revoked: "Your session's API key was revoked or is no longer valid; sign in again.",
  expired: "Your session expired; sign in again."
} as const

const signInAgain = (path: string, reason?: keyof typeof reasons) => {
  const query = new URLSearchParams({ next: path, ...(reason === undefined ? {} : { reason }) })
  return seeOther(`/sign-in?${query}`)
}

/** Whether a form's CSRF token is the expected one: never when either is empty; constant time. */
export const csrfMatches = (expected: string, form: URLSearchParams) => {
  const x = Buffer.from(expected)
  const y = Buffer.from(form.get("csrf") ?? "")
  return x.length > 0 && x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The fields of a posted form (`application/x-www-form-urlencoded`), at most 64 KiB however it
 * is sent (a larger one reads as empty, and so fails its CSRF check).
 */
export const formOf = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.map(
    Effect.orElseSucceed(
      HttpIncomingMessage.withMaxBodySize(request.text, Option.some(maxFormBytes)),
      () => ""
    ),
    (text) => new URLSearchParams(text)
  )

/** The refusal of a form without this session's CSRF token. */
export const forged = {
  code: "origin_not_allowed",
  message:
    "This form was not sent from this dashboard session (missing or stale CSRF token), so nothing was done. " +
    "Reload the page and try again."
}

/**
 * Runs `handle` for a signed-in visitor. For a POST, the form is read and its `csrf` field must
 * match the session's, or nothing runs (403), and a read-only workspace refuses it (every form
 * here changes something; signing out has its own route). Failures of `handle` become the error page.
 */
export const signedIn = <E, R>(
  handle: (view: View, form: URLSearchParams) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | Requirements | Sessions> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, "http://localhost")
    const path = url.pathname
    const back = request.method === "GET" ? `${path}${url.search}` : "/"
    const sessions = yield* Sessions
    const session = sessions.open(request.cookies[cookieName] ?? "", yield* Clock.currentTimeMillis)
    if (Option.isNone(session)) {
      return signOut(signInAgain(back, request.cookies[cookieName] === undefined ? undefined : "expired"))
    }
    const checked = yield* Effect.either(verify(session.value.token))
    if (checked._tag === "Left") {
      const error = checked.left.error
      // Ended here, so the next page does not count another failed key check for the address.
      if (error.code === "unauthenticated") return signOut(signInAgain(back, "revoked"))
      return errorPage(error, null)
    }
    const view: View = { caller: checked.right, csrf: session.value.csrf, path }
    let form = new URLSearchParams()
    if (request.method !== "GET" && request.method !== "HEAD") {
      form = yield* formOf(request)
      if (!csrfMatches(session.value.csrf, form)) return errorPage(forged, view)
      const writable = yield* Effect.either(Plans.ensureWritable(view.caller, "write"))
      if (writable._tag === "Left") return errorPage(toApiErrorBody(writable.left), view)
    }
    return yield* handle(view, form).pipe(
      Effect.catchAll((error) => Effect.succeed(errorPage(toApiErrorBody(error), view)))
    )
  })
