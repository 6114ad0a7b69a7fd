/**
 * The REST API of a running deployment from the command line: the typed client of `ArmatureApi`
 * with a bearer key, and its failures as the messages a terminal shows (the error's code and
 * message with its fields named; an unreachable server named by its URL).
 */
import { type ApiErrorBody, type FieldError, statusOf, ValidationFailed } from "@armature/core"
import { HttpClientError } from "@effect/platform"
import { Data, Effect, type Redacted } from "effect"
import * as ArmatureClient from "../api.js"

/** A failure of a remote command, as `exitOnError` reports it. */
export class RemoteFailure extends Data.TaggedError("RemoteFailure")<{
  readonly message: string
  readonly fieldErrors?: ReadonlyArray<FieldError>
  readonly exitCode?: number
}> {}

/** A base URL given with `--url`, without trailing slashes, or the reason it is not one. */
export const baseUrlOf = (input: string): string | { readonly error: string } => {
  let parsed: URL
  try {
    parsed = new URL(input.trim())
  } catch {
    return { error: "must be an http(s) URL such as http://127.0.0.1:4100" }
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return { error: `must be an http(s) URL such as http://127.0.0.1:4100 (got a ${parsed.protocol} URL)` }
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`
}

/** The typed REST client of the deployment at `baseUrl`, authenticated with `key`. */
export const client = (baseUrl: string, key: Redacted.Redacted<string>) =>
  ArmatureClient.make({ baseUrl, apiKey: key })

const isApiErrorBody = (value: unknown): value is ApiErrorBody =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as ApiErrorBody).code === "string" &&
  typeof (value as ApiErrorBody).message === "string"

/** What a network failure says: the system's code and message when it has one. */
const causeOf = (error: unknown): string => {
  const outer = (error as { cause?: unknown } | null)?.cause
  const inner = (outer as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
  for (const c of [inner, outer] as Array<{ code?: unknown; message?: unknown } | undefined>) {
    if (typeof c?.code === "string")
      return typeof c.message === "string" && c.message !== "" ? c.message : c.code
  }
  const message = (outer as { message?: unknown } | null)?.message
  return typeof message === "string" && message !== "" ? message : String(error)
}

/** The failure a terminal shows for any failure of a request to `baseUrl`. */
export const failureOf = (error: unknown, baseUrl: string): RemoteFailure => {
  // Input the command checked before sending anything.
  if (error instanceof ValidationFailed) {
    return new RemoteFailure({
      message: "validation_failed: Validation failed",
      fieldErrors: error.fieldErrors
    })
  }
  const body = (error as { error?: unknown } | null)?.error
  if (isApiErrorBody(body)) {
    const status = statusOf(body).http
    const fieldErrors = body.details?.fieldErrors ?? []
    // A validation message restates its fields, which are listed below it.
    const message = (
      fieldErrors.length > 0 && body.message.startsWith("Validation failed:")
        ? "Validation failed"
        : body.message
    ).replace(/\.$/, "")
    const hint =
      status === 401
        ? " Check the key given by --key or ARMATURE_API_KEY."
        : body.code === "forbidden_role"
          ? " Managing keys needs an admin or owner key."
          : ""
    return new RemoteFailure({
      message: `${body.code}: ${message} (HTTP ${status} from ${baseUrl}).${hint}`,
      ...(fieldErrors.length > 0 ? { fieldErrors } : {})
    })
  }
  if (HttpClientError.isHttpClientError(error)) {
    if (error._tag === "RequestError") {
      return new RemoteFailure({
        message: `Cannot reach Armature at ${baseUrl}: ${causeOf(error)}. Check --url and that the server is running.`
      })
    }
    return new RemoteFailure({
      message: `${baseUrl} answered HTTP ${error.response.status}, not as the Armature API does. Check --url.`
    })
  }
  // An answer the declared schemas do not decode (ParseError): not this API, or not this version.
  return new RemoteFailure({
    message: `${baseUrl} did not answer as the Armature API does. Check --url: the server's base URL, such as http://127.0.0.1:4100.`
  })
}

/** Runs a request effect, turning any failure into the `RemoteFailure` a terminal shows. */
export const reported =
  (baseUrl: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, RemoteFailure, R> =>
    Effect.mapError(effect, (error) => failureOf(error, baseUrl))
