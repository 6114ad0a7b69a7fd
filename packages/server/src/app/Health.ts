import { ApiKeys, type JobQueue, type OrgStore, Roles } from "@armature/core"
import { HttpApiBuilder, HttpMiddleware, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import * as Authentication from "../http/Authentication.js"
import type { AuthFailureLimiter } from "../http/AuthFailureLimiter.js"
import * as HttpErrors from "../http/HttpErrors.js"
import * as Metrics from "./Metrics.js"

/** Probes and scrapes arrive every few seconds: they stay out of the access log. */
const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => HttpMiddleware.withLoggerDisabled(effect)

export interface Options {
  /**
   * `/metrics` answers only with an API key of an admin or owner (`metrics.read`): the figures
   * cover every organization of the deployment. Failed keys count towards the address's limit.
   */
  readonly metricsRequireKey?: boolean
}

/** With `metricsRequireKey`, the caller must hold a key allowed `metrics.read`. */
const metricsCaller = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const caller = yield* Authentication.authenticate(Authentication.bearerToken(request))
  yield* Effect.mapError(Roles.authorize(caller.actor, "metrics.read"), HttpErrors.fromError)
})

/**
 * `/healthz` (the process serves), `/readyz` (it can reach its database) and `/metrics`
 * (Prometheus text), beside the REST API on the same router.
 */
export const routes = (options: Options = {}) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const metrics = yield* Effect.context<Metrics.Metrics | JobQueue>()
      const keys = yield* Effect.context<OrgStore | AuthFailureLimiter | ApiKeys.VerifiedTokens>()
      yield* router.get("/healthz", quiet(HttpServerResponse.json({ status: "ok" })))
      yield* router.get(
        "/readyz",
        quiet(sql`SELECT 1`).pipe(
          Effect.as(HttpServerResponse.unsafeJson({ status: "ready" })),
          Effect.orElseSucceed(() =>
            HttpServerResponse.unsafeJson(
              { status: "unavailable", reason: "database unreachable" },
              { status: 503 }
            )
          )
        )
      )
      const scrape = quiet(Metrics.render).pipe(
        Effect.map(({ contentType, body }) => HttpServerResponse.text(body, { contentType })),
        Effect.provide(metrics)
      )
      yield* router.get(
        "/metrics",
        options.metricsRequireKey === true
          ? Effect.zipRight(metricsCaller, scrape).pipe(
              Effect.catchAll((failure: HttpErrors.HttpFailure) => HttpErrors.toResponse(failure)),
              Effect.provide(keys)
            )
          : scrape
      )
    })
  ).pipe(Layer.provide(ApiKeys.verifiedTokensLayer()))
