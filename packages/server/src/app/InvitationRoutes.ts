/**
 * The page an invitation email links to, outside the API prefix: `GET /invitations/accept?token=…`
 * asks for the invitee's email and name; posting the form accepts the invitation (no key and no
 * sign-in: the one-time token is the proof) and shows the new member's personal API key once.
 * A token that does not open counts as a failed credential check of the address
 * (`AuthFailureLimiter`), like a bad API key. The form carries nothing but the token the visitor
 * already holds, so a forged cross-site post can only accept an invitation its sender has.
 */
import { EmailMessage } from "@armature/alerts"
import { type Ids, type OrgStore, Team, type Transactor } from "@armature/core"
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { AuthFailureLimiter } from "../http/AuthFailureLimiter.js"
import { acceptPath } from "../http/handlers/Team.js"

const e = EmailMessage.escapeHtml

const page = (status: number, title: string, body: string) =>
  HttpServerResponse.text(
    [
      "<!doctype html>",
      '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
      `<title>${e(title)} · Armature</title>`,
      "<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}",
      "label{display:block;margin:1rem 0 .25rem}input{font:inherit;width:100%;padding:.4rem}",
      "code{display:block;padding:.75rem;background:#f3f3f3;word-break:break-all}",
      ".error{color:#a40000}button{font:inherit;margin-top:1rem;padding:.4rem 1rem}</style>",
      `</head><body><h1>${e(title)}</h1>${body}</body></html>`
    ].join(""),
    {
      status,
      contentType: "text/html; charset=utf-8",
      headers: { "cache-control": "no-store", "referrer-policy": "no-referrer" }
    }
  )

const form = (token: string, values: { email?: string; name?: string }, errors: ReadonlyArray<string>) =>
  [
    ...errors.map((message) => `<p class="error">${e(message)}</p>`),
    `<form method="post" action="${acceptPath}">`,
    `<input type="hidden" name="token" value="${e(token)}">`,
    '<label for="email">Your email (the invited address, when the invitation was sent by email)</label>',
    `<input id="email" name="email" type="email" required value="${e(values.email ?? "")}">`,
    '<label for="name">Your name</label>',
    `<input id="name" name="name" required maxlength="200" value="${e(values.name ?? "")}">`,
    "<button>Accept the invitation</button></form>"
  ].join("")

/** The accept page's two routes, on the router of `HttpApiBuilder`. */
export const routes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const limiter = yield* AuthFailureLimiter
    const services = yield* Effect.context<OrgStore | Ids | Transactor>()

    yield* router.get(
      acceptPath,
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const token = new URL(request.url, "http://localhost").searchParams.get("token") ?? ""
        if (token === "")
          return page(400, "Invitation", '<p class="error">This link has no invitation token.</p>')
        return page(200, "Join on Armature", form(token, {}, []))
      })
    )

    yield* router.post(
      acceptPath,
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const fields = new URLSearchParams(yield* Effect.orElseSucceed(request.text, () => ""))
        const token = fields.get("token") ?? ""
        const values = { email: fields.get("email") ?? "", name: fields.get("name") ?? "" }
        const accepted = yield* Effect.either(
          Team.acceptInvitation(token, values).pipe(Effect.provide(services))
        )
        if (accepted._tag === "Right") {
          const { member, token: key } = accepted.right
          return page(
            201,
            "Welcome to Armature",
            [
              `<p>You joined as <strong>${e(member.role)}</strong>. Your personal API key, shown this once:</p>`,
              `<code>${e(key)}</code>`,
              "<p>Store it now: use it as <code>Authorization: Bearer …</code> with the REST API, ",
              "<code>armature mcp --key …</code> for coding agents, or the dashboard sign-in.</p>"
            ].join("")
          )
        }
        const error = accepted.left
        if (error._tag === "StoreError") {
          return page(
            503,
            "Invitation",
            '<p class="error">Armature cannot accept invitations right now; try again shortly.</p>'
          )
        }
        const messages = error.fieldErrors.map((f) => `${f.field}: ${f.message}`)
        if (error.fieldErrors.some((f) => f.field === "token")) {
          const address = Option.getOrElse(request.remoteAddress, () => "unknown")
          const wait = yield* limiter.fail(address)
          if (wait > 0) {
            return page(
              429,
              "Invitation",
              `<p class="error">Too many failed invitation links; retry in ${wait} s.</p>`
            )
          }
          return page(400, "Invitation", messages.map((m) => `<p class="error">${e(m)}</p>`).join(""))
        }
        return page(
          400,
          "Join on Armature",
          form(token, values, messages.length > 0 ? messages : [error.message])
        )
      })
    )
  })
)
