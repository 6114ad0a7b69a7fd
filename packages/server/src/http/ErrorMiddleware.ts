/**
 * Renders every failure of the REST API as `{ error: { code, message, details? } }` with the
 * status of its code in core's error table: the handlers' errors, and those raised before a
 * handler runs — a body that is not JSON or does not match the endpoint's schema (400
 * `validation_failed` naming the fields), an unknown path under the API prefix (404
 * `not_found`), a missing or bad API key (401 `unauthenticated`, with `WWW-Authenticate: Bearer`).
 */
import { Validation, validationFailed } from "@armature/core"
import {
  HttpApiBuilder,
  HttpApiError,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { Cause, Effect } from "effect"
import { ArmatureApi } from "./Api.js"
import * as HttpErrors from "./HttpErrors.js"

/** Where the REST API is mounted. */
export const prefix = "/api/armature/v1"

const isUnderPrefix = (url: string) => {
  const path = url.split("?")[0]!
  return path === prefix || path.startsWith(`${prefix}/`)
}

/** The API's error response for a failure, or `null` for failures it does not own. */
const toFailure = (
  error: unknown,
  request: HttpServerRequest.HttpServerRequest
): HttpErrors.HttpFailure | null => {
  if (HttpErrors.isHttpFailure(error)) return error
  if (error instanceof HttpApiError.HttpApiDecodeError) {
    return HttpErrors.fromError(
      validationFailed(
        error.issues.map((issue) => ({ field: Validation.fieldPath("", issue.path), message: issue.message }))
      )
    )
  }
  if (!HttpServerError.isServerError(error)) return null
  if (error._tag === "RequestError" && error.reason === "Decode" && isUnderPrefix(request.url)) {
    return HttpErrors.fromError(
      validationFailed([{ field: "(body)", message: "The request body is not valid JSON" }])
    )
  }
  if (error._tag === "RouteNotFound" && isUnderPrefix(request.url)) {
    const path = request.url.split("?")[0]
    return new HttpErrors.NotFoundResponse({
      error: { code: "not_found", message: `No endpoint ${request.method} ${path}` }
    })
  }
  return null
}

/** The API-level middleware: renders the failures above, passes everything else through. */
export const layer = HttpApiBuilder.middleware(ArmatureApi, (app) =>
  Effect.catchAllCause(app, (cause) =>
    Effect.gen(function* () {
      if (Cause.isInterruptedOnly(cause)) return yield* Effect.failCause(cause)
      const failure = toFailure(Cause.squash(cause), yield* HttpServerRequest.HttpServerRequest)
      if (failure === null) return yield* Effect.failCause(cause)
      const status = HttpErrors.statusOfFailure(failure)
      return yield* HttpServerResponse.json(
        { error: failure.error },
        { status, headers: status === 401 ? { "www-authenticate": "Bearer" } : {} }
      ).pipe(Effect.orDie)
    })
  )
)
