import { ApiErrorBody, statusOf, toApiErrorBody } from "@armature/core"
import { HttpApiSchema, HttpServerResponse } from "@effect/platform"
import { Effect, Schema } from "effect"

/**
 * REST error responses: `{ error: { code, message, details? } }` (SPEC §10). One class per
 * HTTP status, so HttpApi picks the status by class and documents each in OpenAPI; the code
 * inside comes from core's one error vocabulary.
 */
const body = { error: ApiErrorBody }

export class BadRequest extends Schema.Class<BadRequest>("BadRequest")(
  body,
  HttpApiSchema.annotations({ status: 400 })
) {}
export class Unauthorized extends Schema.Class<Unauthorized>("Unauthorized")(
  body,
  HttpApiSchema.annotations({ status: 401 })
) {}
export class Forbidden extends Schema.Class<Forbidden>("Forbidden")(
  body,
  HttpApiSchema.annotations({ status: 403 })
) {}
export class NotFoundResponse extends Schema.Class<NotFoundResponse>("NotFound")(
  body,
  HttpApiSchema.annotations({ status: 404 })
) {}
export class Timeout extends Schema.Class<Timeout>("Timeout")(
  body,
  HttpApiSchema.annotations({ status: 408 })
) {}
export class ConflictResponse extends Schema.Class<ConflictResponse>("Conflict")(
  body,
  HttpApiSchema.annotations({ status: 409 })
) {}
export class PayloadTooLarge extends Schema.Class<PayloadTooLarge>("PayloadTooLarge")(
  body,
  HttpApiSchema.annotations({ status: 413 })
) {}
export class UnsupportedMediaType extends Schema.Class<UnsupportedMediaType>("UnsupportedMediaType")(
  body,
  HttpApiSchema.annotations({ status: 415 })
) {}
export class TooManyRequests extends Schema.Class<TooManyRequests>("TooManyRequests")(
  body,
  HttpApiSchema.annotations({ status: 429 })
) {}
export class ServerError extends Schema.Class<ServerError>("ServerError")(
  body,
  HttpApiSchema.annotations({ status: 500 })
) {}
export class BadGateway extends Schema.Class<BadGateway>("BadGateway")(
  body,
  HttpApiSchema.annotations({ status: 502 })
) {}
export class ServiceUnavailable extends Schema.Class<ServiceUnavailable>("ServiceUnavailable")(
  body,
  HttpApiSchema.annotations({ status: 503 })
) {}

export type HttpFailure =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFoundResponse
  | Timeout
  | ConflictResponse
  | PayloadTooLarge
  | UnsupportedMediaType
  | TooManyRequests
  | ServerError
  | BadGateway
  | ServiceUnavailable

/** Translates any failure of a use case into its HTTP response (unexpected ones become a bare 500). */
export const fromError = (error: unknown): HttpFailure => {
  const body = { error: toApiErrorBody(error) }
  switch (statusOf(body.error).http) {
    case 400:
      return new BadRequest(body)
    case 401:
      return new Unauthorized(body)
    case 403:
      return new Forbidden(body)
    case 404:
      return new NotFoundResponse(body)
    case 408:
      return new Timeout(body)
    case 409:
      return new ConflictResponse(body)
    case 413:
      return new PayloadTooLarge(body)
    case 415:
      return new UnsupportedMediaType(body)
    case 429:
      return new TooManyRequests(body)
    case 502:
      return new BadGateway(body)
    case 503:
      return new ServiceUnavailable(body)
    default:
      return new ServerError(body)
  }
}

const classes = [
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFoundResponse,
  Timeout,
  ConflictResponse,
  PayloadTooLarge,
  UnsupportedMediaType,
  TooManyRequests,
  ServerError,
  BadGateway,
  ServiceUnavailable
] as const

/** Whether `u` is one of the error responses above. */
export const isHttpFailure = (u: unknown): u is HttpFailure => classes.some((c) => u instanceof c)

/**
 * The HTTP status of an error response. The classes share one body shape, so HttpApi's error
 * union cannot tell them apart when encoding (the first member, 400, would win); responses are
 * therefore rendered from the code's status in core's table (see `ErrorMiddleware`).
 */
export const statusOfFailure = (failure: HttpFailure): number => statusOf(failure.error).http

/**
 * The response of an error: its body with the status of its code, `WWW-Authenticate` on a 401
 * and `Retry-After` when the error says when to retry.
 */
export const toResponse = (
  failure: HttpFailure,
  headers: Readonly<Record<string, string>> = {}
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const status = statusOfFailure(failure)
  const retryAfter = failure.error.details?.retryAfterSeconds
  return HttpServerResponse.json(
    { error: failure.error },
    {
      status,
      headers: {
        ...(status === 401 ? { "www-authenticate": "Bearer" } : {}),
        ...(retryAfter === undefined ? {} : { "retry-after": String(Math.ceil(retryAfter)) }),
        ...headers
      }
    }
  ).pipe(Effect.orDie)
}
