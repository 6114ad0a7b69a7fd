/**
 * OpenTelemetry traces of the whole server — HTTP requests, use cases, worker jobs, monitor
 * checks, MCP connects and tool calls — sent as OTLP/HTTP JSON to `<endpoint>/v1/traces` by
 * `@effect/opentelemetry`'s OTLP tracer over the platform HTTP client (no OpenTelemetry SDK at
 * runtime). Only traces: metrics stay on `/metrics` and logs on stdout, where they are today.
 *
 * Spans leave the process scrubbed: a failure is recorded as its error's tag and code, never its
 * message (messages may quote input, or what an MCP server echoed back, credentials included),
 * and credential-like query parameters and headers of HTTP spans are replaced by `***`.
 */
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import { FetchHttpClient, HttpMiddleware } from "@effect/platform"
import { Cause, Effect, Exit, Layer, Option, Redacted, Tracer } from "effect"
import { ServerConfigTag, type TracingSettings } from "../config/ServerConfig.js"
import { redactUrl } from "../http/AccessLog.js"

/** Header names whose values are never exported (the platform already hides `authorization` and cookies). */
const credentialHeader = /key|token|secret|passw|auth|signature|credential|session|cookie/i

/** Polled by orchestrators and scrapers: a span each would bury the requests of users. */
const probes = new Set(["/healthz", "/readyz", "/metrics"])

/** An attribute's value as it may leave the process. */
const scrubAttribute = (key: string, value: unknown): unknown => {
  if (typeof value !== "string") return value
  if (key === "url.full") return redactUrl(value)
  if (key === "url.query") return redactUrl(`?${value}`).slice(1)
  const header = /^http\.(?:request|response)\.header\.(.+)$/.exec(key)
  return header !== null && credentialHeader.test(header[1]!) ? "***" : value
}

/** What a failure value says without its message: its tag or name, and its code, kind or reason. */
const summary = (error: unknown, defect: boolean): Error => {
  const fields = typeof error === "object" && error !== null ? (error as Record<string, unknown>) : {}
  const name =
    typeof fields._tag === "string" ? fields._tag : error instanceof Error ? error.name : "UnknownError"
  const detail = [fields.code, fields.kind, fields.reason].filter((v) => typeof v === "string").join(" ")
  const out = new Error(detail !== "" ? detail : defect ? "defect" : name)
  out.name = name
  // The stack would only point here; the span's own `code.stacktrace` says where it started.
  out.stack = `${name}: ${out.message}`
  return out
}

/** The exit a span ends with, its failure reduced to `summary` (the OTLP tracer records the first). */
const scrubExit = (exit: Exit.Exit<unknown, unknown>): Exit.Exit<unknown, unknown> => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return exit
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) return Exit.fail(summary(failure.value, false))
  return Exit.fail(summary(Option.getOrUndefined(Cause.dieOption(exit.cause)), true))
}

/**
 * `tracer`, with each span's attributes and end scrubbed on their way in. SQL outside any traced
 * work — the background loops' polls, several a second, and migrations — is not exported: a root
 * span each would drown the traces of the work itself.
 */
const scrubbing = (tracer: Tracer.Tracer): Tracer.Tracer => {
  const unexported = new WeakSet<Tracer.AnySpan>()
  return Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = tracer.span(name, parent, context, links, startTime, kind, options)
      const untraced = Option.isNone(parent) ? name.startsWith("sql.") : unexported.has(parent.value)
      if (untraced) {
        unexported.add(span)
        span.end = () => {}
        return span
      }
      const attribute = span.attribute.bind(span)
      const end = span.end.bind(span)
      span.attribute = (key, value) => attribute(key, scrubAttribute(key, value))
      span.end = (endTime, exit) => end(endTime, scrubExit(exit))
      return span
    },
    context: (f, fiber) => tracer.context(f, fiber)
  })
}

/** Exports the spans of everything built under this layer; closing it sends what is left. */
export const layer = (settings: TracingSettings): Layer.Layer<never> =>
  Layer.unwrapScoped(
    Effect.map(
      OtlpTracer.make({
        url: `${settings.endpoint}/v1/traces`,
        resource: { serviceName: settings.serviceName },
        headers: Object.fromEntries(
          Object.entries(settings.headers).map(([name, value]) => [name, Redacted.value(value)])
        )
      }),
      (tracer) =>
        Layer.merge(
          Layer.setTracer(scrubbing(tracer)),
          Layer.locallyScoped(HttpMiddleware.currentTracerDisabledWhen, (request) =>
            probes.has(request.url.split("?")[0]!)
          )
        )
    )
  ).pipe(
    Layer.provide(OtlpSerialization.layerJson),
    // Node's own fetch: no HTTP client library added to the server's bundle for this.
    Layer.provide(FetchHttpClient.layer)
  )

/**
 * No spans at all: with nowhere to send them, the span of every request, use case and query
 * would be made, annotated and dropped — measured, a tenth of a REST read's CPU.
 */
export const off: Layer.Layer<never> = Layer.merge(
  Layer.setTracerEnabled(false),
  Layer.locallyScoped(HttpMiddleware.currentTracerDisabledWhen, () => true)
)

/**
 * Tracing as the server's configuration says. Without `OTEL_EXPORTER_OTLP_ENDPOINT`, `orElse`:
 * `off` where the server owns the process, nothing where it is embedded (an application's own
 * tracer keeps seeing Armature's spans).
 */
export const fromConfig = (
  orElse: Layer.Layer<never> = Layer.empty
): Layer.Layer<never, never, ServerConfigTag> =>
  Layer.unwrapEffect(
    Effect.map(ServerConfigTag, (config) =>
      Option.match(config.tracing ?? Option.none(), { onNone: () => orElse, onSome: layer })
    )
  )
