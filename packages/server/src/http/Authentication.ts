/**
 * The `Authentication` middleware: resolves `Authorization: Bearer amt_<keyId>_<secret>` to the
 * calling organization and actor through core's `ApiKeys.authenticate` (scrypt check in constant
 * time, last-used time recorded). Tokens verified once are remembered (`ApiKeys.VerifiedTokens`),
 * so a client's later requests skip scrypt while the key exists. The token is never logged or
 * echoed: a failure says only that the key is invalid or revoked. Repeated failures from one
 * address become 429 `rate_limited` (`AuthFailureLimiter`), and so do requests past the key's
 * budget (`RateLimits`).
 */
import {
  ApiKeys,
  type Caller,
  type OrgStore,
  Plans,
  RateLimited,
  RateLimits,
  toApiErrorBody
} from "@armature/core"
import { HttpServerRequest } from "@effect/platform"
import { Effect, Layer, Option, Redacted } from "effect"
import { Authentication, CurrentCaller } from "./Api.js"
import { AuthFailureLimiter } from "./AuthFailureLimiter.js"
import * as HttpErrors from "./HttpErrors.js"

/** How a key check fails: 401, 429, or a store failure (503 when unreachable, else 500). */
export type Failure =
  | HttpErrors.Unauthorized
  | HttpErrors.Forbidden
  | HttpErrors.TooManyRequests
  | HttpErrors.ServerError
  | HttpErrors.ServiceUnavailable

/** The services a key check reads. */
export type Requirements =
  | OrgStore
  | ApiKeys.VerifiedTokens
  | AuthFailureLimiter
  | HttpServerRequest.HttpServerRequest

/** The caller a bearer token stands for, or the error response refusing it. */
export const authenticate = (token: string): Effect.Effect<Caller, Failure, Requirements> =>
  verify(token).pipe(
    // A lapsed subscription leaves the workspace read-only (SPEC §11). Refused here, where every
    // REST request passes once, by method: no write route can forget it. The owner's `/billing`
    // routes stay open, so the workspace can be paid for again.
    Effect.tap((caller) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        writes(request) ? Effect.mapError(Plans.ensureWritable(caller, "write"), failure) : Effect.void
      )
    )
  )

/**
 * The key check alone: the key, its member's current role, the key's request budget and the
 * address's failure budget — without the read-only workspace's write refusal, which the
 * dashboard applies per form (signing in and out are not writes).
 */
export const verify = (token: string): Effect.Effect<Caller, Failure, Requirements> =>
  ApiKeys.authenticate(token).pipe(
    Effect.map(({ orgId, actor, readOnly }): Caller => ({ orgId, actor, readOnly })),
    // The key's request budget, shared with the MCP API (`RateLimits`).
    Effect.tap(RateLimits.take),
    Effect.catchTag("Unauthenticated", (e) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const address = Option.getOrElse(request.remoteAddress, () => "unknown")
        const wait = yield* Effect.flatMap(AuthFailureLimiter, (limiter) => limiter.fail(address))
        return yield* Effect.fail(
          wait === 0
            ? e
            : new RateLimited({
                message: `Too many failed API-key checks from this address; retry in ${wait} s.`,
                retryAfterSeconds: wait
              })
        )
      })
    ),
    Effect.mapError(failure)
  )

/** A refusal as the error response the API answers with. */
const failure = (e: { readonly _tag: string }): Failure => {
  const body = { error: toApiErrorBody(e) }
  if (e._tag === "Unauthenticated") return new HttpErrors.Unauthorized(body)
  if (e._tag === "RateLimited") return new HttpErrors.TooManyRequests(body)
  if (e._tag === "ReadOnlyWorkspace") return new HttpErrors.Forbidden(body)
  return body.error.code === "store_unavailable"
    ? new HttpErrors.ServiceUnavailable(body)
    : new HttpErrors.ServerError(body)
}

/** Whether a request may change the workspace: any method but a read, outside the billing routes. */
const writes = (request: HttpServerRequest.HttpServerRequest): boolean => {
  if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return false
  const path = request.url.split("?")[0] ?? ""
  return !/\/api\/armature\/v1\/billing(\/|$)/.test(path)
}

/** The bearer token of a request's `Authorization` header, or `""` without one. */
export const bearerToken = (request: HttpServerRequest.HttpServerRequest): string => {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")
  return match?.[1]?.trim() ?? ""
}

/** The middleware over the organization store of the layer's context, with its own token cache. */
export const layer: Layer.Layer<Authentication, never, OrgStore | AuthFailureLimiter> = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const context = yield* Effect.context<OrgStore | AuthFailureLimiter | ApiKeys.VerifiedTokens>()
    return Authentication.of({
      apiKey: (token) =>
        authenticate(Redacted.value(token)).pipe(
          Effect.map((caller) => CurrentCaller.of(caller)),
          Effect.provide(context)
        )
    })
  })
).pipe(Layer.provide(ApiKeys.verifiedTokensLayer()))
