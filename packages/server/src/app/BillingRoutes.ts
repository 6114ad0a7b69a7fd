/**
 * `POST /api/armature/v1/billing/stripe/webhook`: Stripe's events about subscriptions. A plain
 * route beside the API rather than an API endpoint: the signature covers the raw bytes of the
 * body, which the API's JSON decoding would not keep, and Stripe sends no API key — the
 * `Stripe-Signature` header (HMAC with the endpoint's secret, at most 5 minutes old) is the
 * proof. Anything that does not verify is refused with 400 and writes nothing. Without Stripe
 * configured the route answers 404.
 */
import { OrgStore, toApiErrorBody } from "@armature/core"
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { StripeWebhook } from "../billing/StripeWebhook.js"

export const webhookPath = "/api/armature/v1/billing/stripe/webhook"

const error = (status: number, code: string, message: string) =>
  HttpServerResponse.unsafeJson({ error: { code, message } }, { status })

/** The webhook route, on the router of `HttpApiBuilder`. */
export const routes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const webhook = yield* Effect.serviceOption(StripeWebhook)
    const orgs = yield* OrgStore
    yield* router.post(
      webhookPath,
      Effect.gen(function* () {
        if (Option.isNone(webhook))
          return error(404, "not_found", "This deployment does not bill through Stripe.")
        const request = yield* HttpServerRequest.HttpServerRequest
        const raw = new Uint8Array(yield* Effect.orDie(request.arrayBuffer))
        const outcome = yield* webhook.value.handle(raw, request.headers["stripe-signature"])
        return HttpServerResponse.unsafeJson({
          received: true,
          type: outcome.type,
          applied: outcome.orgId !== null
        })
      }).pipe(
        Effect.provideService(OrgStore, orgs),
        Effect.catchTags({
          WebhookRefused: (e) => Effect.succeed(error(400, "validation_failed", e.message)),
          StoreError: (e) => {
            const body = toApiErrorBody(e)
            return Effect.succeed(
              error(body.code === "store_unavailable" ? 503 : 500, body.code, body.message)
            )
          }
        })
      )
    )
  })
)
