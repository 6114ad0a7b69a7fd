import { randomBytes } from "node:crypto"
import type { TypedSink } from "@armature/alerts"
import type { ConfigFile, LanguageModels, SecretStore } from "@armature/core"
import { Models } from "@armature/runner"
import { ConfigProvider, Effect, type Layer, Option, Redacted } from "effect"
import type { Owner } from "../app/Bootstrap.js"
import * as ServerConfig from "../config/ServerConfig.js"

/** A secret given in code: a string, or a `Redacted` one (kept out of logs and errors). */
export type Secret = string | Redacted.Redacted<string>

/**
 * Where Armature keeps its data: a PostgreSQL database (with the key that encrypts stored
 * credentials), embedded PostgreSQL (PGlite) in a directory of its own (a key is generated
 * there once unless given), or embedded in memory (gone when disposed; scripts and tests).
 */
export type Database =
  | {
      readonly url: Secret
      readonly secretKey: Secret
      /** Older keys that still decrypt what they encrypted, until `armature secrets rotate`. */
      readonly previousSecretKeys?: ReadonlyArray<Secret>
      /** Connections in the pool (default 10). */
      readonly maxConnections?: number
    }
  | { readonly dataDir: string; readonly secretKey?: Secret }
  | "memory"

/** Everything an embedding application may set; each field has the reference server's default. */
export interface Options {
  readonly database: Database
  /**
   * Where the application serves Armature's routes (`https://app.example.com`): links in alerts
   * and Slack, and the origin browsers may call the MCP API from. Default `http://127.0.0.1:4100`.
   */
  readonly publicUrl?: string
  /** The organization and owner created on the first start; later starts find them. */
  readonly organization?: Partial<Owner>
  /** An OpenAI(-compatible) endpoint for tester and judge models (`openai:<model>` ids). */
  readonly openai?: {
    readonly apiKey: Secret
    readonly baseURL?: string
    /** Its models beyond OpenAI's own (`openai:gpt-5`, `-mini`, `-nano`), with prices per million tokens. */
    readonly models?: ReadonlyArray<{
      readonly id: string
      readonly displayName?: string
      readonly inputPricePerMTok?: number
      readonly outputPricePerMTok?: number
    }>
  }
  /** Any other `ai` SDK models (`Models.register`), beside the OpenAI ones. */
  readonly models?: ReadonlyArray<Models.Registration>
  /** Alert sinks of plugin destination types (PagerDuty, Teams…), beside Slack, email and webhook. */
  readonly alertSinks?: ReadonlyArray<TypedSink>
  /** A `LanguageModels` of your own (one layer), instead of `openai` and `models`. */
  readonly languageModels?: Layer.Layer<LanguageModels>
  /** A `SecretStore` of your own (a vault) for servers' credentials, instead of the database's encrypted table. */
  readonly secretStore?: Layer.Layer<SecretStore>
  /** Slack and email delivery of alerts; none configured, those destinations fail to deliver. */
  readonly alerts?: {
    readonly slackBotToken?: Secret
    readonly slackApiUrl?: string
    readonly resendApiKey?: Secret
    /** The sender of alert email, on a domain verified at Resend; required with `resendApiKey`. */
    readonly emailFrom?: string
    readonly resendBaseUrl?: string
  }
  /**
   * What monitored servers may be: loopback and private addresses are refused unless allowed
   * (the SSRF guard); plain `http://` beyond loopback likewise.
   */
  readonly network?: {
    readonly allowLoopback?: boolean
    readonly allowPrivateNetworks?: boolean
    readonly allowInsecureHttp?: boolean
    /** Commands that owners may register as stdio servers (default none: stdio is refused). */
    readonly stdioCommands?: ReadonlyArray<string>
    /** Bound of an MCP `initialize`, in milliseconds (default 15 000). */
    readonly connectTimeoutMs?: number
  }
  /** This process's share of the work once `start`ed (defaults 4 runs, 64 monitor checks at once). */
  readonly worker?: {
    readonly concurrency?: number
    readonly monitorConcurrency?: number
    /** Whether this process runs monitor checks (default true). */
    readonly monitors?: boolean
  }
  /** Requests per API key and minute through the handler, REST and MCP together (default 600; 0: none). */
  readonly rateLimitPerMinute?: number
  /** OpenTelemetry export of Armature's spans (OTLP over HTTP, JSON): a collector's base URL. */
  readonly tracing?: {
    readonly endpoint: string
    /** The `service.name` resource attribute (default `armature`). */
    readonly serviceName?: string
    /** Headers of every export request (a collector's API key, say). */
    readonly headers?: Readonly<Record<string, Secret>>
  }
  /** A monitoring-as-code file to apply once the organization exists. */
  readonly apply?: ConfigFile.ConfigFile
}

const redacted = (secret: Secret) => (typeof secret === "string" ? Redacted.make(secret) : secret)

/** The reference server's defaults: its configuration read with no variable set. */
const defaults = (): ServerConfig.ServerConfig =>
  Effect.runSync(Effect.withConfigProvider(ServerConfig.config, ConfigProvider.fromMap(new Map())))

const optional = <A>(value: A | undefined) => Option.fromNullable(value)

/** The server configuration these options stand for: the defaults, with each option over its field. */
export const toServerConfig = (options: Options): ServerConfig.ServerConfig => {
  const base = defaults()
  const db = options.database
  const network = options.network ?? {}
  const alerts = options.alerts ?? {}
  const publicUrl = (options.publicUrl ?? base.publicUrl).replace(/\/+$/, "")
  const origin = URL.canParse(publicUrl) ? new URL(publicUrl).origin : publicUrl
  return {
    ...base,
    databaseUrl: typeof db === "object" && "url" in db ? Option.some(redacted(db.url)) : Option.none(),
    ...(typeof db === "object" && "url" in db && db.maxConnections !== undefined
      ? { databasePoolMax: db.maxConnections }
      : {}),
    dataDir: typeof db === "object" && "dataDir" in db ? db.dataDir : base.dataDir,
    // In memory, a key of this process alone: nothing outlives it, so nothing is written to disk.
    secretKey:
      typeof db === "object"
        ? optional(db.secretKey).pipe(Option.map(redacted))
        : Option.some(Redacted.make(randomBytes(32).toString("base64"))),
    secretKeysPrevious:
      typeof db === "object" && "url" in db && db.previousSecretKeys !== undefined
        ? Option.some(Redacted.make(db.previousSecretKeys.map((k) => Redacted.value(redacted(k))).join(",")))
        : Option.none(),
    publicUrl,
    mcpAllowedOrigins: [origin],
    openai: optional(options.openai).pipe(
      Option.map((o) => ({
        apiKey: redacted(o.apiKey),
        ...(o.baseURL === undefined ? {} : { baseURL: o.baseURL }),
        models: Models.openAiEntries(
          (o.models ?? []).map((m) => ({ inputPricePerMTok: 0, outputPricePerMTok: 0, ...m }))
        )
      }))
    ),
    worker: { ...base.worker, ...options.worker },
    allowLoopback: network.allowLoopback ?? false,
    allowPrivateNetworks: network.allowPrivateNetworks ?? false,
    allowInsecureHttp: network.allowInsecureHttp ?? false,
    apiStdioCommands: network.stdioCommands ?? [],
    allowStdio: (network.stdioCommands ?? []).length > 0,
    ...(network.connectTimeoutMs === undefined ? {} : { mcpConnectTimeoutMs: network.connectTimeoutMs }),
    alerts: {
      ...base.alerts!,
      slackBotToken: optional(alerts.slackBotToken).pipe(Option.map(redacted)),
      slackApiUrl: optional(alerts.slackApiUrl),
      resendApiKey: optional(alerts.resendApiKey).pipe(Option.map(redacted)),
      emailFrom: optional(alerts.emailFrom),
      resendBaseUrl: optional(alerts.resendBaseUrl)
    },
    ...(options.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: options.rateLimitPerMinute }),
    tracing: optional(options.tracing).pipe(
      Option.map((t) => ({
        endpoint: t.endpoint.replace(/\/+$/, ""),
        serviceName: t.serviceName ?? "armature",
        headers: Object.fromEntries(
          Object.entries(t.headers ?? {}).map(([name, value]) => [name, redacted(value)])
        )
      }))
    )
  }
}
