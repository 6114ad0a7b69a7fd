/**
 * The REST API as a contract (`@armature/server/api`): its `HttpApi` definition, the wire schemas
 * and a typed client. It imports only `@armature/core` and `@effect/platform`, so an application
 * calling a deployment gets checked request and response types without the server's runtime:
 *
 * ```ts
 * const api = yield* ArmatureClient.make({ baseUrl: "https://armature.example.com", apiKey })
 * const { items } = yield* api.monitors.list({ urlParams: {} })
 * ```
 *
 * A refusal fails with the declared error of its status (`Forbidden`, `BadRequest`, …), whose
 * `error` is the API's `{ code, message, details? }`.
 */
import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { type Effect, Redacted } from "effect"
import { ArmatureApi } from "./http/Api.js"

export { ArmatureApi } from "./http/Api.js"
export * as ApiSchemas from "./http/ApiSchemas.js"
export * as HttpErrors from "./http/HttpErrors.js"

export interface ClientOptions {
  /** The deployment's base URL, such as `http://127.0.0.1:4100` (the API lives under `/api/armature/v1`). */
  readonly baseUrl: string
  /** An API key (`amt_…`), sent as a bearer token. */
  readonly apiKey: Redacted.Redacted<string> | string
}

/** The typed client of the deployment at `baseUrl`; needs an `HttpClient` (e.g. `FetchHttpClient.layer`). */
export const make = (options: ClientOptions) => {
  const key = typeof options.apiKey === "string" ? options.apiKey : Redacted.value(options.apiKey)
  return HttpApiClient.make(ArmatureApi, {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(key.trim()))
  })
}

/** The client `make` gives. */
export type Client = Effect.Effect.Success<ReturnType<typeof make>>
