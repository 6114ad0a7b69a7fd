/**
 * The agent-facing MCP API (`@armature/mcp-api`) at `/api/mcp`, beside the REST API on the same
 * router: the request guard (body size, JSON depth) wraps it as it wraps the API, and failed key
 * checks count in the same `AuthFailureLimiter` as REST's, per client address.
 */
import { ApiKeys, validationFailed } from "@armature/core"
import { McpHttp } from "@armature/mcp-api"
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, Option } from "effect"
import { AuthFailureLimiter } from "../http/AuthFailureLimiter.js"
import { mcpPath } from "../http/ErrorMiddleware.js"
import * as HttpErrors from "../http/HttpErrors.js"

export interface Options {
  /** Origins from which browsers may call the API (`ServerConfig.mcpAllowedOrigins`). */
  readonly allowedOrigins: ReadonlyArray<string>
}

/** The route, on the router of `HttpApiBuilder`; every method, so GET and DELETE get their 405. */
export const routes = (options: Options) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const context = yield* Effect.context<McpHttp.HandlerRequirements | ApiKeys.VerifiedTokens>()
      const limiter = yield* AuthFailureLimiter
      yield* router.all(
        mcpPath,
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const address = Option.getOrElse(request.remoteAddress, () => "unknown")
          const handle = McpHttp.make({
            allowedOrigins: options.allowedOrigins,
            onAuthenticationFailure: () => limiter.fail(address)
          })
          const web = yield* HttpServerRequest.toWeb(request)
          return HttpServerResponse.fromWeb(yield* handle(web))
        }).pipe(
          // Only a URL the platform cannot rebuild ends here.
          Effect.catchTag("RequestError", () =>
            HttpErrors.toResponse(
              HttpErrors.fromError(validationFailed([{ field: "(url)", message: "is not a valid URL" }]))
            )
          ),
          Effect.provide(context)
        )
      )
    })
  ).pipe(Layer.provide(ApiKeys.verifiedTokensLayer()))
