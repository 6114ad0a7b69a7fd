import type { JobQueue } from "@armature/core"
import { HttpApiBuilder, HttpMiddleware, HttpServerResponse } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import * as Metrics from "./Metrics.js"

/** Probes and scrapes arrive every few seconds: they stay out of the access log. */
const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>) => HttpMiddleware.withLoggerDisabled(effect)

/**
 * `/healthz` (the process serves), `/readyz` (it can reach its database) and `/metrics`
 * (Prometheus text), beside the REST API on the same router.
 */
export const routes = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const metrics = yield* Effect.context<Metrics.Metrics | JobQueue>()
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
    yield* router.get(
      "/metrics",
      quiet(Metrics.render).pipe(
        Effect.map(({ contentType, body }) => HttpServerResponse.text(body, { contentType })),
        Effect.provide(metrics)
      )
    )
  })
)
