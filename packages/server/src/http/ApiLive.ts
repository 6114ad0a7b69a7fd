/**
 * The REST API (SPEC §10) as a layer: every group's handlers, API-key authentication, the
 * API's error format for failures outside the handlers, the request guard (body size, media
 * type, JSON depth), and the OpenAPI document at `/api/armature/v1/openapi.json` (public, like
 * any API description). It needs the core ports and an `AuthFailureLimiter`; the worker that
 * executes dispatched runs is not part of it. Slack install links need the server's `SlackApp`
 * in context; without it they are refused as `slack_not_configured`.
 */
import type { AlertSink, Ids, LanguageModels, McpConnector, StorePorts } from "@armature/core"
import { type HttpApi, HttpApiBuilder, type HttpApp } from "@effect/platform"
import { Layer } from "effect"
import { ArmatureApi } from "./Api.js"
import * as Authentication from "./Authentication.js"
import * as AuthFailureLimiter from "./AuthFailureLimiter.js"
import * as ErrorMiddleware from "./ErrorMiddleware.js"
import * as Alerts from "./handlers/Alerts.js"
import * as Billing from "./handlers/Billing.js"
import * as Monitors from "./handlers/Monitors.js"
import * as Org from "./handlers/Org.js"
import * as Runs from "./handlers/Runs.js"
import * as Servers from "./handlers/Servers.js"
import * as Slack from "./handlers/Slack.js"
import * as Team from "./handlers/Team.js"
import * as Workflows from "./handlers/Workflows.js"
import * as RequestGuard from "./RequestGuard.js"

/**
 * The core services the handlers call (the store's ports, MCP connections, models, ids, and the
 * alert sinks that validate destinations and send test messages), and the limiter of failed key checks.
 */
export type Requirements =
  | StorePorts
  | AlertSink
  | McpConnector
  | LanguageModels
  | Ids
  | AuthFailureLimiter.AuthFailureLimiter

/** Limits of the API (each has a default), and the public URL invitation links point to. */
export interface Options extends RequestGuard.Options {
  /** The deployment's public URL, for invitation accept links (default: links relative to the host). */
  readonly publicUrl?: string
}

/** Path of the OpenAPI document. */
export const openApiPath = `${ErrorMiddleware.prefix}/openapi.json` as const

const groups = (publicUrl: string) =>
  Layer.mergeAll(
    Org.layer,
    Servers.layer,
    Workflows.layer,
    Runs.layer,
    Monitors.layer,
    Alerts.layer,
    Team.layer(publicUrl),
    Team.acceptLayer,
    Slack.layer,
    Billing.layer
  ).pipe(Layer.provide(Authentication.layer))

/** `HttpApi.Api` for `HttpApiBuilder.serve`, plus the OpenAPI route, the request guard and the error middleware. */
export const layer = (options: Options = {}): Layer.Layer<HttpApi.Api, never, Requirements> =>
  Layer.mergeAll(
    HttpApiBuilder.middlewareOpenApi({ path: openApiPath }),
    ErrorMiddleware.layer,
    RequestGuard.layer(options)
  ).pipe(
    Layer.provideMerge(HttpApiBuilder.api(ArmatureApi).pipe(Layer.provide(groups(options.publicUrl ?? ""))))
  )

/**
 * Serves the REST API on the `HttpServer` in context, with a limiter of its own; `middleware`
 * wraps the whole app (the access log, for example). Other routes (health, metrics) join through
 * `HttpApiBuilder.Router`.
 */
export const serve = <R = never>(
  options: Options & { readonly authFailures?: AuthFailureLimiter.Options } = {},
  middleware?: (app: HttpApp.Default) => HttpApp.Default<never, R>
) =>
  HttpApiBuilder.serve(middleware).pipe(
    Layer.provide(layer(options)),
    Layer.provide(AuthFailureLimiter.layer(options.authFailures))
  )
