/**
 * The page an invitation email links to, outside the API prefix: `GET /invitations/accept?token=…`
 * asks for the invitee's email and name; posting the form accepts the invitation (no key and no
 * sign-in: the one-time token is the proof) and shows the new member's personal API key once,
 * with a button that signs in to the dashboard with it (the sign-in form, so its CSRF check holds).
 * A token that does not open counts as a failed credential check of the address
 * (`AuthFailureLimiter`), like a bad API key. The form carries nothing but the token the visitor
 * already holds, so a forged cross-site post can only accept an invitation its sender has.
 */
import { type Ids, type OrgStore, Team, type Transactor } from "@armature/core"
import { HttpApiBuilder, HttpServerRequest } from "@effect/platform"
import { Effect, Option } from "effect"
import * as Invitation from "../dashboard/pages/Invitation.js"
import { html } from "../dashboard/respond.js"
import { Sessions, withSignInToken } from "../dashboard/Session.js"
import { formOf } from "../dashboard/signedIn.js"
import { AuthFailureLimiter } from "../http/AuthFailureLimiter.js"
import { acceptPath } from "../http/handlers/Team.js"

/** The link carries the token: no page of it may pass its URL on. */
const page = (vnode: Parameters<typeof html>[0], status: number) =>
  html(vnode, status, { "referrer-policy": "no-referrer" })

/** Whether a browser says the request comes from another site (Fetch Metadata, else `Origin`). */
const crossSite = (request: HttpServerRequest.HttpServerRequest) => {
  const site = request.headers["sec-fetch-site"]
  if (site !== undefined) return site === "cross-site" || site === "same-site"
  const origin = request.headers.origin
  if (origin === undefined || origin === "null") return origin === "null"
  try {
    return new URL(origin).host !== request.headers.host
  } catch {
    return true
  }
}

/** The accept page's two routes, on the router of `HttpApiBuilder`. */
export const routes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const limiter = yield* AuthFailureLimiter
    const sessions = yield* Sessions
    const services = yield* Effect.context<OrgStore | Ids | Transactor>()

    yield* router.get(
      acceptPath,
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const token = new URL(request.url, "http://localhost").searchParams.get("token") ?? ""
        if (token === "")
          return page(Invitation.problem({ errors: ["This link has no invitation token."] }), 400)
        return page(Invitation.form({ action: acceptPath, token, errors: [] }), 200)
      })
    )

    yield* router.post(
      acceptPath,
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        // Its answer signs in with the new key at a click: another site may not post it for a
        // visitor (who would land, signed in, in the sender's workspace).
        if (crossSite(request)) {
          return page(Invitation.problem({ errors: ["Open the invitation link itself to accept it."] }), 403)
        }
        const fields = yield* formOf(request)
        const token = fields.get("token") ?? ""
        const values = { email: fields.get("email") ?? "", name: fields.get("name") ?? "" }
        const accepted = yield* Effect.either(
          Team.acceptInvitation(token, values).pipe(Effect.provide(services))
        )
        if (accepted._tag === "Right") {
          const { member, token: key } = accepted.right
          // The welcome page's button signs in with the new key through the sign-in form.
          return withSignInToken(sessions, (csrf) =>
            page(Invitation.welcome({ role: member.role, key, csrf }), 201)
          )
        }
        const error = accepted.left
        if (error._tag === "StoreError") {
          return page(
            Invitation.problem({
              errors: ["Armature cannot accept invitations right now; try again shortly."]
            }),
            503
          )
        }
        const messages = error.fieldErrors.map((f) => `${f.field}: ${f.message}`)
        if (error.fieldErrors.some((f) => f.field === "token")) {
          const address = Option.getOrElse(request.remoteAddress, () => "unknown")
          const wait = yield* limiter.fail(address)
          if (wait > 0) {
            return page(
              Invitation.problem({ errors: [`Too many failed invitation links; retry in ${wait} s.`] }),
              429
            )
          }
          return page(Invitation.problem({ errors: messages }), 400)
        }
        return page(
          Invitation.form({
            action: acceptPath,
            token,
            ...values,
            errors: messages.length > 0 ? messages : [error.message]
          }),
          400
        )
      })
    )
  })
)
