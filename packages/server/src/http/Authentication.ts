/**
 * The `Authentication` middleware: resolves `Authorization: Bearer amt_<keyId>_<secret>` to the
 * calling organization and actor through core's `ApiKeys.authenticate` (scrypt check in constant
 * time, last-used time recorded). Tokens verified once are remembered (`ApiKeys.VerifiedTokens`),
 * so a client's later requests skip scrypt while the key exists. The token is never logged or
 * echoed: a failure says only that the key is invalid or revoked.
 */
import { ApiKeys, OrgStore, toApiErrorBody } from "@armature/core"
import { Effect, Layer, Redacted } from "effect"
import { Authentication, CurrentCaller } from "./Api.js"
import * as HttpErrors from "./HttpErrors.js"

/** The middleware over the organization store of the layer's context, with its own token cache. */
export const layer: Layer.Layer<Authentication, never, OrgStore> = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const store = yield* OrgStore
    const verified = yield* ApiKeys.VerifiedTokens
    return Authentication.of({
      apiKey: (token) =>
        ApiKeys.authenticate(Redacted.value(token)).pipe(
          Effect.map(({ orgId, actor }) => CurrentCaller.of({ orgId, actor })),
          Effect.provideService(OrgStore, store),
          Effect.provideService(ApiKeys.VerifiedTokens, verified),
          Effect.mapError((e) => {
            const body = { error: toApiErrorBody(e) }
            return e._tag === "Unauthenticated"
              ? new HttpErrors.Unauthorized(body)
              : new HttpErrors.ServerError(body)
          })
        )
    })
  })
).pipe(Layer.provide(ApiKeys.verifiedTokensLayer()))
