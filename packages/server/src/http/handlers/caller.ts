import { type Caller, type ValidationFailed, validationFailed } from "@armature/core"
import { type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, FiberRef, type Schema } from "effect"
import { CurrentCaller } from "../Api.js"
import * as HttpErrors from "../HttpErrors.js"
import * as ResponseEncoder from "../ResponseEncoder.js"

/**
 * Runs a use case as the authenticated caller and translates its failures into HTTP responses
 * (`{ error: { code, message, details? } }` with the status of core's error table). Role checks
 * happen inside the use case, against core's one permission table.
 */
export const asCaller = <A, E, R>(
  useCase: (caller: Caller) => Effect.Effect<A, E, R>
): Effect.Effect<A, HttpErrors.HttpFailure, R | CurrentCaller> =>
  reply(Effect.flatMap(CurrentCaller, useCase))

/**
 * Whether the request's handler has its result. HttpApi reports a result that fails the
 * endpoint's declared success schema with the same `HttpApiDecodeError` as a bad path or query
 * parameter; this flag tells them apart, so the former is a 500 (the server's fault) instead of a
 * 400 that blames the caller. Each request runs in its own fiber, so it starts `false`.
 */
export const replying = FiberRef.unsafeMake(false)

/** A handler's result with its failures as HTTP responses, marking the request as `replying`. */
export const reply = <A, E, R>(result: Effect.Effect<A, E, R>): Effect.Effect<A, HttpErrors.HttpFailure, R> =>
  result.pipe(
    Effect.mapError(HttpErrors.fromError),
    Effect.tap(() => FiberRef.set(replying, true))
  )

/**
 * The request's JSON body, not yet validated (`undefined` when there is none): the API declares
 * each body's schema for clients, and core decodes it, naming the fields (see `Api.body`).
 * `RequestGuard` has already bounded its size, media type and depth.
 */
export const jsonBody = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<unknown, ValidationFailed> =>
  Effect.flatMap(Effect.orDie(request.text), (text) => {
    if (text.trim() === "") return Effect.succeed(undefined)
    return Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => validationFailed([{ field: "(body)", message: "The request body is not valid JSON" }])
    })
  })

/** `asCaller` for a use case that takes the request's body. */
export const withBody = <A, E, R>(
  request: HttpServerRequest.HttpServerRequest,
  useCase: (caller: Caller, body: unknown) => Effect.Effect<A, E, R>
): Effect.Effect<A, HttpErrors.HttpFailure, R | CurrentCaller> =>
  asCaller((caller) => Effect.flatMap(jsonBody(request), (body) => useCase(caller, body)))

/**
 * A handler's result as its endpoint's 200 JSON response, encoded by `ResponseEncoder` (compiled
 * once) instead of HttpApi's `Schema.encode` on every request: for the hot reads, lists and
 * single records. `schema` is the endpoint's own success schema (one named constant in
 * `ApiSchemas` for both); `ResponseEncoder.test.ts` checks these endpoints' output.
 */
export const respondWith = <A, I>(
  schema: Schema.Schema<A, I, never>
): ((value: A) => HttpServerResponse.HttpServerResponse) => {
  const encode = ResponseEncoder.make(schema)
  return (value) => HttpServerResponse.unsafeJson(encode(value))
}
