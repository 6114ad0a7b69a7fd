/**
 * The server's configuration module is the one place that names environment variables: the
 * model endpoint, the worker's concurrency, retention and the database pool are read here and
 * handed to the libraries as options; a bad value names its variable.
 */
import { ConfigProvider, Duration, Effect, Either, Option, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import * as ServerConfig from "../src/config/ServerConfig.js"

const load = (settings: Record<string, string>) =>
  Effect.runSync(
    Effect.either(
      Effect.withConfigProvider(
        ServerConfig.config,
        ConfigProvider.fromMap(new Map(Object.entries(settings)))
      )
    )
  )

describe("server settings handed to the libraries", () => {
  it("defaults: no model endpoint, worker 4 / 64 / monitors on, retention 30 / 90 / 7 days, pool of 10", () => {
    const config = Either.getOrThrow(load({}))
    expect(Option.isNone(config.openai!)).toBe(true)
    expect(config.worker).toEqual({ concurrency: 4, monitorConcurrency: 64, monitors: true })
    expect(Duration.toMillis(config.retention!.checks)).toBe(Duration.toMillis(Duration.days(30)))
    expect(Duration.toMillis(config.retention!.runs)).toBe(Duration.toMillis(Duration.days(90)))
    expect(config.databasePoolMax).toBe(10)
  })

  it("reads the OpenAI endpoint with its extra models, the worker, retention and the pool", () => {
    const config = Either.getOrThrow(
      load({
        OPENAI_API_KEY: "sk-test",
        OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
        ARMATURE_OPENAI_MODELS: '[{"id":"llama3","inputPricePerMTok":0.1}]',
        ARMATURE_WORKER_CONCURRENCY: "2",
        ARMATURE_WORKER_MONITORS: "false",
        ARMATURE_RETENTION_RUNS_DAYS: "5",
        DATABASE_POOL_MAX: "20"
      })
    )
    const openai = Option.getOrThrow(config.openai!)
    expect(openai.baseURL).toBe("http://127.0.0.1:11434/v1")
    expect(openai.models).toEqual([
      {
        id: "openai:llama3",
        displayName: "llama3",
        provider: "openai",
        inputPricePerMTok: 0.1,
        outputPricePerMTok: 0
      }
    ])
    expect(config.worker).toMatchObject({ concurrency: 2, monitors: false })
    expect(Duration.toMillis(config.retention!.runs)).toBe(Duration.toMillis(Duration.days(5)))
    expect(config.databasePoolMax).toBe(20)
  })

  it("a bad value names its variable", () => {
    for (const [name, value] of [
      ["ARMATURE_OPENAI_MODELS", "not json"],
      ["ARMATURE_WORKER_CONCURRENCY", "many"],
      ["ARMATURE_RETENTION_CHECKS_DAYS", "x"],
      ["DATABASE_POOL_MAX", "0"]
    ] as const) {
      const failed = load({ OPENAI_API_KEY: "sk-test", [name]: value })
      expect(Either.isLeft(failed)).toBe(true)
      expect(String(Either.flip(failed).pipe(Either.getOrThrow))).toContain(name)
    }
  })
})

describe("OpenTelemetry export settings (the standard OTEL_ variables)", () => {
  it("no OTEL_EXPORTER_OTLP_ENDPOINT: no tracing, whatever else is set", () => {
    const config = Either.getOrThrow(load({ OTEL_SERVICE_NAME: "api" }))
    expect(Option.isNone(config.tracing!)).toBe(true)
    expect(Option.isNone(Either.getOrThrow(load({ OTEL_EXPORTER_OTLP_ENDPOINT: " " })).tracing!)).toBe(true)
  })

  it("reads the endpoint without its trailing slash, the service name (default armature) and the headers", () => {
    const defaults = Option.getOrThrow(
      Either.getOrThrow(load({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318/" })).tracing!
    )
    expect(defaults).toEqual({ endpoint: "http://127.0.0.1:4318", serviceName: "armature", headers: {} })
    const tracing = Option.getOrThrow(
      Either.getOrThrow(
        load({
          OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com/collector",
          OTEL_SERVICE_NAME: "armature-eu",
          OTEL_EXPORTER_OTLP_HEADERS: "x-honeycomb-team=abc%3D123, X-Scope=eu ,"
        })
      ).tracing!
    )
    expect(tracing.endpoint).toBe("https://otlp.example.com/collector")
    expect(tracing.serviceName).toBe("armature-eu")
    expect(Object.keys(tracing.headers)).toEqual(["x-honeycomb-team", "x-scope"])
    expect(Redacted.value(tracing.headers["x-honeycomb-team"]!)).toBe("abc=123")
    expect(Redacted.value(tracing.headers["x-scope"]!)).toBe("eu")
    // Header values are secrets: they print as <redacted>.
    expect(String(tracing.headers["x-honeycomb-team"])).not.toContain("abc")
  })

  it("an endpoint that is not an http(s) URL names OTEL_EXPORTER_OTLP_ENDPOINT", () => {
    for (const endpoint of ["127.0.0.1:4318", "grpc://collector:4317", "not a url"]) {
      const failed = load({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
      expect(Either.isLeft(failed)).toBe(true)
      expect(String(Either.flip(failed).pipe(Either.getOrThrow))).toContain("OTEL_EXPORTER_OTLP_ENDPOINT")
    }
  })

  it("malformed headers name OTEL_EXPORTER_OTLP_HEADERS and the entry, never a value", () => {
    for (const headers of ["api-key", "=secret-value-1", "bad name=secret-value-1", "k=%E0%A4%A"]) {
      const failed = load({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
        OTEL_EXPORTER_OTLP_HEADERS: headers
      })
      expect(Either.isLeft(failed)).toBe(true)
      const message = String(Either.flip(failed).pipe(Either.getOrThrow))
      expect(message).toContain("OTEL_EXPORTER_OTLP_HEADERS")
      expect(message).toContain("entry 1")
      expect(message).not.toContain("secret-value")
    }
  })
})
