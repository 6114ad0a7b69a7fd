/**
 * The access log: one line per request (method, URL, status, and its duration as the `http` log
 * span), with the values of
 * query parameters that may hold credentials replaced by `***`. A request that ends in a 4xx
 * — a 404 for a path nothing serves, say — is one line; only a 5xx logs its cause as well.
 * Requests run with `HttpMiddleware.withLoggerDisabled` (health probes) are not logged.
 */
import {
  type HttpApp,
  HttpMiddleware,
  HttpServerError,
  HttpServerRequest,
  type HttpServerResponse
} from "@effect/platform"
import { Cause, Context, Effect, Exit, Option } from "effect"

/**
 * Parameter names whose values are never written down (`api_key`, `access_token`, `password`…,
 * and the secret of a Slack install `link`).
 */
const credential = /key|token|secret|passw|pwd|auth|signature|sig$|credential|session|cookie|code$|^link$/i

/** The URL with the values of credential-like query parameters replaced by `***`. */
export const redactUrl = (url: string): string => {
  const at = url.indexOf("?")
  if (at < 0) return url
  const query = url
    .slice(at + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=")
      const rawName = eq < 0 ? pair : pair.slice(0, eq)
      let name = rawName
      try {
        name = decodeURIComponent(rawName.replaceAll("+", " "))
      } catch {
        // A name that does not decode is judged as written.
      }
      return eq >= 0 && credential.test(name) ? `${rawName}=***` : pair
    })
    .join("&")
  return `${url.slice(0, at)}?${query}`
}

/** Status of a finished request, and the cause worth logging for a 5xx. */
const outcome = <E>(
  exit: Exit.Exit<HttpServerResponse.HttpServerResponse, E>
): { readonly status: number; readonly cause: Cause.Cause<unknown> | undefined } => {
  if (Exit.isSuccess(exit)) return { status: exit.value.status, cause: undefined }
  const [response, cause] = HttpServerError.causeResponseStripped(exit.cause)
  return { status: response.status, cause: Option.getOrUndefined(cause) }
}

/** The access-log middleware, for `HttpApiBuilder.serve` or `HttpServer.serve`. */
export const middleware = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    return Effect.flatMap(Effect.exit(app), (exit) => {
      if (fiber.getFiberRef(HttpMiddleware.loggerDisabled)) return exit
      const url = redactUrl(request.url)
      const { status, cause } = outcome(exit)
      const line =
        status >= 500 && cause !== undefined
          ? Effect.logError("HTTP request failed", Cause.pretty(cause).replaceAll(request.url, url))
          : Effect.log("Sent HTTP response")
      return Effect.zipRight(
        Effect.annotateLogs(line, { "http.method": request.method, "http.url": url, "http.status": status }),
        exit
      )
    }).pipe(Effect.withLogSpan("http"))
  })
