/**
 * Renders every failure of the REST API as `{ error: { code, message, details? } }` with the
 * status of its code in core's error table: the handlers' errors, and those raised before a
 * handler runs — a body that is not JSON or does not match the endpoint's schema (400
 * `validation_failed` naming the fields), an unknown path under the API prefix (404
 * `not_found`), a missing or bad API key (401 `unauthenticated`, with `WWW-Authenticate: Bearer`),
 * a database out of reach (503 `store_unavailable`) — and anything unexpected, as a bare
 * `internal_error`, so every error under the prefix has the API's shape.
 */
import { isStoreError, Validation, validationFailed } from "@armature/core"
import { HttpApiBuilder, HttpApiError, HttpServerError, HttpServerRequest } from "@effect/platform"
import { Cause, Effect, FiberRef } from "effect"
import { redactUrl } from "./AccessLog.js"
import { ArmatureApi } from "./Api.js"
import * as HttpErrors from "./HttpErrors.js"
import { replying } from "./handlers/caller.js"

/** Where the REST API is mounted. */
export const prefix = "/api/armature/v1"

/** Where the MCP API is mounted (`@armature/mcp-api`, see `app/McpRoutes`). */
export const mcpPath = "/api/mcp"

/** Whether a request URL is the MCP API's. */
export const isMcpPath = (url: string) => url.split("?")[0] === mcpPath

/** Whether a request URL is under the API prefix. */
export const isUnderPrefix = (url: string) => {
  const path = url.split("?")[0]!
  return path === prefix || path.startsWith(`${prefix}/`)
}

/** The API's error response for a failure, or `null` for failures it does not own. */
const toFailure = (
  error: unknown,
  request: HttpServerRequest.HttpServerRequest,
  replied: boolean
): HttpErrors.HttpFailure | null => {
  if (HttpErrors.isHttpFailure(error)) return error
  // After the handler replied, a schema failure is its result's: an internal error, logged.
  if (error instanceof HttpApiError.HttpApiDecodeError && !replied) {
    // Only path and query parameters are decoded by HttpApi (bodies are core's): all strings, so
    // the library's wording (`Expected string, actual [...]`) means a parameter given twice.
    const fieldErrors = new Map<string, string>()
    for (const issue of error.issues) {
      const field = Validation.fieldPath("", issue.path)
      const message = issue.message.startsWith("Expected ") ? "must be given once, as text" : issue.message
      if (!fieldErrors.has(field)) fieldErrors.set(field, message)
    }
    return HttpErrors.fromError(
      validationFailed([...fieldErrors].map(([field, message]) => ({ field, message })))
    )
  }
  // A store failure a use case did not expect still says whether the database is out of reach.
  if (isStoreError(error)) return HttpErrors.fromError(error)
  if (!HttpServerError.isServerError(error)) return null
  if (error._tag === "RequestError" && error.reason === "Decode" && isUnderPrefix(request.url)) {
    return HttpErrors.fromError(
      validationFailed([{ field: "(body)", message: "The request body is not valid JSON" }])
    )
  }
  if (error._tag === "RouteNotFound" && isUnderPrefix(request.url)) {
    const path = request.url.split("?")[0]!
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path
    return new HttpErrors.NotFoundResponse({
      error: { code: "not_found", message: `No endpoint ${request.method} ${shown}` }
    })
  }
  return null
}

/** The API-level middleware: renders the failures above, passes everything else through. */
export const layer = HttpApiBuilder.middleware(ArmatureApi, (app) =>
  Effect.catchAllCause(app, (cause) =>
    Effect.gen(function* () {
      if (Cause.isInterruptedOnly(cause)) return yield* Effect.failCause(cause)
      const request = yield* HttpServerRequest.HttpServerRequest
      const failure = toFailure(Cause.squash(cause), request, yield* FiberRef.get(replying))
      if (failure !== null) return yield* HttpErrors.toResponse(failure)
      if (!isUnderPrefix(request.url)) return yield* Effect.failCause(cause)
      // The URL may carry credentials in its query: the log gets it redacted, like the access log.
      yield* Effect.logError(
        `Unexpected failure of ${request.method} ${redactUrl(request.url)}`,
        Cause.pretty(cause).replaceAll(request.url, redactUrl(request.url))
      )
      return yield* HttpErrors.toResponse(
        new HttpErrors.ServerError({
          error: { code: "internal_error", message: "An unexpected error occurred." }
        })
      )
    })
  )
)
