import { RateLimits } from "@armature/core"
import { Models, type Worker } from "@armature/runner"
import { Retention } from "@armature/store-postgres"
import { Config, ConfigError, Context, Duration, Either, Layer, Option, Redacted, Schema } from "effect"

/**
 * What the server reads from its environment, handed to the adapters as their layers' options:
 * the one place that names environment variables (the libraries take options or a `Config`).
 */
export interface ServerConfig {
  /** `None` → embedded PGlite in `dataDir`. */
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  /** Connections in the PostgreSQL pool (default 10). */
  readonly databasePoolMax?: number
  /** An OpenAI(-compatible) endpoint for tester and judge models; `None` → no `openai:` models. */
  readonly openai?: Option.Option<NonNullable<Models.Options["openai"]>>
  /** Workflow-run and monitor concurrency of this process's worker. */
  readonly worker?: Pick<Worker.Options, "concurrency" | "monitorConcurrency" | "monitors">
  /** How long checks, runs and jobs are kept. */
  readonly retention?: Retention.Options
  readonly dataDir: string
  /** Required with `databaseUrl`; embedded, `None` → generated once and kept in `dataDir` (mode 0600). */
  readonly secretKey: Option.Option<Redacted.Redacted<string>>
  /** Older keys, comma-separated: they decrypt what they encrypted until `armature secrets rotate`. */
  readonly secretKeysPrevious?: Option.Option<Redacted.Redacted<string>>
  readonly host: string
  readonly port: number
  readonly publicUrl: string
  /** Plain `http://` server URLs beyond loopback. */
  readonly allowInsecureHttp: boolean
  /** Outbound address guard exceptions (MCP servers, alert webhooks): loopback, private ranges. */
  readonly allowLoopback?: boolean
  readonly allowPrivateNetworks?: boolean
  /** Start stdio servers at all (default true; only those the operator approved). */
  readonly allowStdio?: boolean
  /** Default bound of an MCP `initialize` (default 15 000 ms). */
  readonly mcpConnectTimeoutMs?: number
  /** Alert delivery: where sinks send, how often the outbox is polled, how failures retry. */
  readonly alerts?: AlertSettings
  /** The installable Slack app (OAuth v2 install per organization); none unless configured. */
  readonly slackApp?: Option.Option<SlackAppSettings>
  /** The Slack app's signing secret: with it, `/slack/events` serves the `/armature` commands. */
  readonly slackSigningSecret?: Option.Option<Redacted.Redacted<string>>
  /**
   * Commands that owners may register as stdio servers over the API (the operator's opt-in;
   * empty: only the operator — config files, the CLI — sets stdio commands).
   */
  readonly apiStdioCommands: ReadonlyArray<string>
  /** Lease of a claimed workflow run (default 60): how soon a crashed process's run is recovered. */
  readonly workerLeaseSeconds?: number
  /** On SIGINT/SIGTERM, how long runs in flight may finish before they are interrupted (default 30). */
  readonly shutdownGraceSeconds?: number
  /** Largest request body in bytes (default 1 MiB): larger ones are refused with 413 unread. */
  readonly maxBodyBytes?: number
  /** Deepest nesting of arrays and objects in a JSON request body (default 64). */
  readonly maxJsonDepth?: number
  /** Failed API-key checks allowed per client address and window before 429 (default 10). */
  readonly authFailureLimit?: number
  /** The window of `authFailureLimit` (default 1 minute). */
  readonly authFailureWindow?: Duration.Duration
  /**
   * Requests per API key and minute, REST and MCP together, counted per replica (default 600;
   * 0: no limit). Past it, 429 / -32029 `rate_limited` with the seconds to wait.
   */
  readonly rateLimitPerMinute?: number
  /** Whether `/metrics` asks for an API key of an admin or owner (default false: open). */
  readonly metricsRequireKey?: boolean
  /**
   * Origins from which browsers may call the MCP API at `/api/mcp` (DNS-rebinding protection;
   * requests without `Origin` are not affected). Default: the origin of `publicUrl`.
   */
  readonly mcpAllowedOrigins?: ReadonlyArray<string>
  /**
   * Plans and billing of a hosted deployment (`ARMATURE_BILLING`); `None` (the default, a
   * self-hosted deployment): no plan limits, no read-only workspaces, no billing routes.
   */
  readonly billing?: Option.Option<BillingSettings>
  /** OpenTelemetry export of the server's spans (`OTEL_EXPORTER_OTLP_ENDPOINT`); `None`: no tracing. */
  readonly tracing?: Option.Option<TracingSettings>
}

/** Where and as what the server sends its spans (OTLP over HTTP, JSON). */
export interface TracingSettings {
  /** The collector's base URL, without a trailing slash: spans go to `<endpoint>/v1/traces`. */
  readonly endpoint: string
  /** The `service.name` resource attribute (default `armature`). */
  readonly serviceName: string
  /** Headers of every export request (a collector's API key, say). */
  readonly headers: Readonly<Record<string, Redacted.Redacted<string>>>
}

/** Plans enforced, with the operator setting them (`manual`) or Stripe. */
export type BillingSettings =
  | { readonly provider: "manual" }
  | { readonly provider: "stripe"; readonly stripe: StripeSettings }

/** The Stripe account of a `stripe` deployment. */
export interface StripeSettings {
  readonly secretKey: Redacted.Redacted<string>
  /** Signs the webhook events Stripe sends to `/api/armature/v1/billing/stripe/webhook`. */
  readonly webhookSecret: Redacted.Redacted<string>
  /** The Stripe price of each paid plan. */
  readonly prices: { readonly team: string; readonly business: string }
  /** Another Stripe API base (`http://127.0.0.1:12111`, for tests and mocks); Stripe's own by default. */
  readonly apiBase: Option.Option<string>
}

/** Settings of alert delivery (`@armature/alerts` sinks and the outbox dispatcher). */
export interface AlertSettings {
  /** One bot token for every organization of the deployment (a single-organization setup). */
  readonly slackBotToken: Option.Option<Redacted.Redacted<string>>
  /** The Slack Web API base (tests, proxies); Slack's own by default. */
  readonly slackApiUrl: Option.Option<string>
  readonly resendApiKey: Option.Option<Redacted.Redacted<string>>
  /** Sender of alert email; required with `resendApiKey`. */
  readonly emailFrom: Option.Option<string>
  readonly resendBaseUrl: Option.Option<string>
  /** How often each replica looks for due outbox messages. */
  readonly pollInterval: Duration.Duration
  /** First retry delay of a failed delivery; doubles per attempt, capped at one hour. */
  readonly retryBase: Duration.Duration
  /** Attempts after which a message is dead. */
  readonly maxAttempts: number
}

/** The deployment's Slack app, for installs per organization (`/slack/install`). */
export interface SlackAppSettings {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /**
   * Signs the OAuth `state` of installs in progress; replicas must share it. Unset, it is derived
   * from the client secret, which every replica has.
   */
  readonly stateSecret: Option.Option<Redacted.Redacted<string>>
}

/**
 * `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` together turn the install on; one without the other
 * is a mistake worth stopping for, not a silently disabled feature.
 */
/** An optional secret setting; an empty value counts as unset. */
const optionalSecret = (name: string) =>
  Config.option(Config.redacted(name)).pipe(
    Config.map(Option.filter((value) => Redacted.value(value).trim() !== ""))
  )

const slackApp: Config.Config<Option.Option<SlackAppSettings>> = Config.all({
  clientId: Config.option(Config.string("SLACK_CLIENT_ID")).pipe(
    Config.map(Option.filter((id) => id.trim() !== "")),
    Config.map(Option.map((id) => id.trim()))
  ),
  clientSecret: optionalSecret("SLACK_CLIENT_SECRET"),
  stateSecret: optionalSecret("SLACK_STATE_SECRET")
}).pipe(
  Config.mapOrFail(({ clientId, clientSecret, stateSecret }) => {
    if (Option.isSome(clientId) && Option.isSome(clientSecret)) {
      return Either.right(
        Option.some({ clientId: clientId.value, clientSecret: clientSecret.value, stateSecret })
      )
    }
    if (Option.isNone(clientId) && Option.isNone(clientSecret)) return Either.right(Option.none())
    const [set, missing] = Option.isSome(clientId)
      ? ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"]
      : ["SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID"]
    return Either.left(
      ConfigError.InvalidData(
        [missing],
        `${set} is set but ${missing} is not: the Slack app install needs both (from the app's Basic Information page), or neither to leave it off`
      )
    )
  })
)

const optionalString = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Config.map(Option.map((v) => v.trim())),
    Config.map(Option.filter((v) => v !== ""))
  )

/**
 * `ARMATURE_BILLING`: unset or `none` (self-hosted: no limits), `manual` (plans set by the
 * operator with `armature plan set`) or `stripe` (which then needs `STRIPE_SECRET_KEY`,
 * `STRIPE_WEBHOOK_SECRET`, `STRIPE_PRICE_TEAM` and `STRIPE_PRICE_BUSINESS`; `STRIPE_API_BASE`
 * points the SDK elsewhere, for tests).
 */
const billing: Config.Config<Option.Option<BillingSettings>> = Config.all({
  provider: Config.literal("none", "manual", "stripe")("ARMATURE_BILLING").pipe(Config.withDefault("none")),
  secretKey: optionalSecret("STRIPE_SECRET_KEY"),
  webhookSecret: optionalSecret("STRIPE_WEBHOOK_SECRET"),
  team: optionalString("STRIPE_PRICE_TEAM"),
  business: optionalString("STRIPE_PRICE_BUSINESS"),
  apiBase: optionalString("STRIPE_API_BASE")
}).pipe(
  Config.mapOrFail((c): Either.Either<Option.Option<BillingSettings>, ConfigError.ConfigError> => {
    if (c.provider === "none") return Either.right(Option.none())
    if (c.provider === "manual") return Either.right(Option.some({ provider: "manual" }))
    const missing = (
      [
        ["STRIPE_SECRET_KEY", Option.isSome(c.secretKey)],
        ["STRIPE_WEBHOOK_SECRET", Option.isSome(c.webhookSecret)],
        ["STRIPE_PRICE_TEAM", Option.isSome(c.team)],
        ["STRIPE_PRICE_BUSINESS", Option.isSome(c.business)]
      ] as const
    ).filter(([, set]) => !set)
    if (missing.length > 0) {
      const names = missing.map(([name]) => name)
      return Either.left(ConfigError.MissingData(names, `ARMATURE_BILLING=stripe needs ${names.join(", ")}`))
    }
    return Either.right(
      Option.some({
        provider: "stripe",
        stripe: {
          secretKey: Option.getOrThrow(c.secretKey),
          webhookSecret: Option.getOrThrow(c.webhookSecret),
          prices: { team: Option.getOrThrow(c.team), business: Option.getOrThrow(c.business) },
          apiBase: c.apiBase
        }
      })
    )
  })
)

/** An HTTP header name (RFC 9110 token). */
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`, the OpenTelemetry format: `name=value` pairs separated by commas,
 * values percent-encoded. The error names the variable and the entry, never a value.
 */
const otlpHeaders = (
  raw: Option.Option<Redacted.Redacted<string>>
): Either.Either<Record<string, Redacted.Redacted<string>>, ConfigError.ConfigError> => {
  const headers: Record<string, Redacted.Redacted<string>> = {}
  if (Option.isNone(raw)) return Either.right(headers)
  const entries = Redacted.value(raw.value).split(",")
  for (const [index, entry] of entries.entries()) {
    if (entry.trim() === "") continue
    const eq = entry.indexOf("=")
    const name = eq < 0 ? "" : entry.slice(0, eq).trim()
    let value: string | null = null
    try {
      value = decodeURIComponent(entry.slice(eq + 1).trim())
    } catch {
      // Reported below, without the value.
    }
    if (!headerName.test(name) || value === null) {
      return Either.left(
        ConfigError.InvalidData(
          ["OTEL_EXPORTER_OTLP_HEADERS"],
          `Expected comma-separated name=value pairs with percent-encoded values; entry ${index + 1} is not one`
        )
      )
    }
    headers[name.toLowerCase()] = Redacted.make(value)
  }
  return Either.right(headers)
}

/**
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (an http(s) base URL; unset: no tracing), `OTEL_SERVICE_NAME`
 * (default `armature`) and `OTEL_EXPORTER_OTLP_HEADERS`, the standard OpenTelemetry variables.
 */
const tracing: Config.Config<Option.Option<TracingSettings>> = Config.all({
  endpoint: optionalString("OTEL_EXPORTER_OTLP_ENDPOINT"),
  serviceName: optionalString("OTEL_SERVICE_NAME"),
  headers: optionalSecret("OTEL_EXPORTER_OTLP_HEADERS")
}).pipe(
  Config.mapOrFail(({ endpoint, serviceName, headers }) => {
    if (Option.isNone(endpoint)) return Either.right(Option.none())
    const url = URL.canParse(endpoint.value) ? new URL(endpoint.value) : null
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
      return Either.left(
        ConfigError.InvalidData(
          ["OTEL_EXPORTER_OTLP_ENDPOINT"],
          "Expected the http(s) base URL of an OTLP collector, such as http://127.0.0.1:4318"
        )
      )
    }
    return Either.map(otlpHeaders(headers), (parsed) =>
      Option.some({
        endpoint: endpoint.value.replace(/\/+$/, ""),
        serviceName: Option.getOrElse(serviceName, () => "armature"),
        headers: parsed
      })
    )
  })
)

export class ServerConfigTag extends Context.Tag("@armature/server/ServerConfig")<
  ServerConfigTag,
  ServerConfig
>() {}

/** The origin (`scheme://host[:port]`) of a URL, or `null` when it has none. */
const originOf = (url: string): string | null => {
  try {
    const origin = new URL(url).origin
    return origin === "null" ? null : origin
  } catch {
    return null
  }
}

/**
 * `OPENAI_API_KEY` (without it no `openai:` model is configured), `OPENAI_BASE_URL` (an
 * OpenAI-compatible endpoint), `ARMATURE_OPENAI_MODELS` (JSON array of `{ id, displayName?,
 * inputPricePerMTok?, outputPricePerMTok? }`, ids `openai:<model>`).
 */
const openai = Config.all({
  apiKey: Config.option(Config.redacted("OPENAI_API_KEY")),
  baseURL: Config.option(Config.string("OPENAI_BASE_URL")),
  models: Config.option(Config.string("ARMATURE_OPENAI_MODELS")).pipe(
    Config.mapOrFail((json) =>
      Option.isNone(json)
        ? Either.right([])
        : Either.mapBoth(Schema.decodeUnknownEither(Models.OpenAiModelsJson)(json.value), {
            onLeft: () =>
              ConfigError.InvalidData(
                ["ARMATURE_OPENAI_MODELS"],
                "Expected a JSON array of { id, displayName?, inputPricePerMTok?, outputPricePerMTok? }"
              ),
            onRight: Models.openAiEntries
          })
    )
  )
}).pipe(
  Config.map(({ apiKey, baseURL, models }) =>
    Option.map(apiKey, (key) => ({
      apiKey: key,
      ...(Option.isSome(baseURL) ? { baseURL: baseURL.value } : {}),
      models
    }))
  )
)

/** The configuration, from environment variables (names in SCREAMING_CASE). */
export const config: Config.Config<ServerConfig> = Config.all({
  databaseUrl: Config.option(Config.redacted("DATABASE_URL")),
  databasePoolMax: Config.integer("DATABASE_POOL_MAX").pipe(
    Config.validate({ message: "Expected a number of connections of at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(10)
  ),
  openai,
  worker: Config.all({
    concurrency: Config.integer("ARMATURE_WORKER_CONCURRENCY").pipe(Config.withDefault(4)),
    monitorConcurrency: Config.integer("ARMATURE_MONITOR_CONCURRENCY").pipe(Config.withDefault(64)),
    monitors: Config.boolean("ARMATURE_WORKER_MONITORS").pipe(Config.withDefault(true))
  }),
  retention: Config.all({
    checks: Config.integer("ARMATURE_RETENTION_CHECKS_DAYS").pipe(
      Config.withDefault(30),
      Config.map(Duration.days)
    ),
    runs: Config.integer("ARMATURE_RETENTION_RUNS_DAYS").pipe(
      Config.withDefault(90),
      Config.map(Duration.days)
    ),
    jobs: Config.integer("ARMATURE_RETENTION_JOBS_DAYS").pipe(
      Config.withDefault(7),
      Config.map(Duration.days)
    ),
    batchSize: Config.integer("ARMATURE_RETENTION_BATCH").pipe(Config.withDefault(5000))
  }).pipe(Config.map((c): Retention.Options => ({ ...Retention.defaults, ...c }))),
  dataDir: Config.string("ARMATURE_DATA_DIR").pipe(Config.withDefault("./.armature/data")),
  secretKey: Config.option(Config.redacted("ARMATURE_SECRET_KEY")),
  secretKeysPrevious: Config.option(Config.redacted("ARMATURE_SECRET_KEYS_PREVIOUS")),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
  // Platforms (Heroku, Render, Cloud Run…) announce the port in PORT.
  // 0 asks the OS for a free port (tests, several local servers).
  port: Config.integer("PORT").pipe(
    Config.validate({
      message: "Expected a port number between 0 and 65535",
      validation: (n) => n >= 0 && n <= 65535
    }),
    Config.withDefault(4100)
  ),
  publicUrl: Config.string("ARMATURE_PUBLIC_URL").pipe(Config.withDefault("")),
  allowInsecureHttp: Config.boolean("ARMATURE_ALLOW_INSECURE_HTTP").pipe(Config.withDefault(false)),
  allowLoopback: Config.boolean("ARMATURE_ALLOW_LOOPBACK").pipe(Config.withDefault(false)),
  allowPrivateNetworks: Config.boolean("ARMATURE_ALLOW_PRIVATE_NETWORKS").pipe(Config.withDefault(false)),
  allowStdio: Config.boolean("ARMATURE_ALLOW_STDIO").pipe(Config.withDefault(true)),
  mcpConnectTimeoutMs: Config.integer("ARMATURE_MCP_CONNECT_TIMEOUT_MS").pipe(
    Config.validate({ message: "Expected milliseconds of at least 100", validation: (n) => n >= 100 }),
    Config.withDefault(15_000)
  ),
  alerts: Config.all({
    slackBotToken: Config.option(Config.redacted("SLACK_BOT_TOKEN")),
    slackApiUrl: Config.option(Config.string("ARMATURE_SLACK_API_URL")),
    resendApiKey: Config.option(Config.redacted("RESEND_API_KEY")),
    emailFrom: Config.option(Config.string("ARMATURE_EMAIL_FROM")),
    resendBaseUrl: Config.option(Config.string("RESEND_BASE_URL")),
    pollInterval: Config.duration("ARMATURE_ALERT_POLL_INTERVAL").pipe(
      Config.withDefault(Duration.seconds(1))
    ),
    retryBase: Config.duration("ARMATURE_ALERT_RETRY_BASE").pipe(Config.withDefault(Duration.seconds(30))),
    maxAttempts: Config.integer("ARMATURE_ALERT_MAX_ATTEMPTS").pipe(
      Config.validate({
        message: "Expected a number of attempts from 1 to 100",
        validation: (n) => n >= 1 && n <= 100
      }),
      Config.withDefault(10)
    )
  }).pipe(
    Config.validate({
      message:
        "ARMATURE_EMAIL_FROM is required with RESEND_API_KEY (the sender of alert email, on a domain verified at Resend)",
      validation: (a) => Option.isNone(a.resendApiKey) || Option.isSome(a.emailFrom)
    })
  ),
  slackApp,
  slackSigningSecret: optionalSecret("SLACK_SIGNING_SECRET"),
  // Comma-separated; blanks dropped, so an empty value means none.
  apiStdioCommands: Config.array(Config.string(), "ARMATURE_API_STDIO_COMMANDS").pipe(
    Config.map((commands) => commands.map((c) => c.trim()).filter((c) => c !== "")),
    Config.withDefault([])
  ),
  workerLeaseSeconds: Config.number("ARMATURE_WORKER_LEASE_SECONDS").pipe(
    Config.validate({ message: "Expected a number of seconds of at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(60)
  ),
  shutdownGraceSeconds: Config.number("ARMATURE_SHUTDOWN_GRACE_SECONDS").pipe(
    Config.validate({ message: "Expected a number of seconds, 0 or more", validation: (n) => n >= 0 }),
    Config.withDefault(30)
  ),
  maxBodyBytes: Config.integer("ARMATURE_MAX_BODY_BYTES").pipe(
    Config.validate({ message: "Expected a number of bytes of at least 1024", validation: (n) => n >= 1024 }),
    Config.withDefault(1_048_576)
  ),
  maxJsonDepth: Config.integer("ARMATURE_MAX_JSON_DEPTH").pipe(
    Config.validate({ message: "Expected a depth from 8 to 1000", validation: (n) => n >= 8 && n <= 1000 }),
    Config.withDefault(64)
  ),
  authFailureLimit: Config.integer("ARMATURE_AUTH_FAILURE_LIMIT").pipe(
    Config.validate({ message: "Expected a number of failures of at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(10)
  ),
  authFailureWindow: Config.duration("ARMATURE_AUTH_FAILURE_WINDOW").pipe(
    Config.withDefault(Duration.minutes(1))
  ),
  rateLimitPerMinute: Config.integer("ARMATURE_RATE_LIMIT_PER_MINUTE").pipe(
    Config.validate({
      message: "Expected a number of requests, 0 (no limit) or more",
      validation: (n) => n >= 0
    }),
    Config.withDefault(RateLimits.defaults.limit)
  ),
  metricsRequireKey: Config.boolean("ARMATURE_METRICS_REQUIRE_KEY").pipe(Config.withDefault(false)),
  // Comma-separated origins; blanks dropped, so an empty value means the default.
  mcpAllowedOrigins: Config.array(Config.string(), "ARMATURE_MCP_ALLOWED_ORIGINS").pipe(
    Config.map((origins) => origins.map((o) => o.trim()).filter((o) => o !== "")),
    Config.validate({
      message: "Expected comma-separated origins such as https://armature.example.com",
      validation: (origins) => origins.every((o) => originOf(o) !== null)
    }),
    Config.withDefault([])
  ),
  billing,
  tracing
}).pipe(
  Config.map((c) => {
    const publicUrl = c.publicUrl || `http://${c.host}:${c.port}`
    return {
      ...c,
      publicUrl,
      mcpAllowedOrigins:
        c.mcpAllowedOrigins.length > 0 ? c.mcpAllowedOrigins : [originOf(publicUrl) ?? publicUrl]
    }
  })
)

/** Provides the configuration read from the environment. */
export const layer = Layer.effect(ServerConfigTag, config)

/** Whether this configuration runs on the embedded store. */
export const isEmbedded = (c: ServerConfig) => Option.isNone(c.databaseUrl)
