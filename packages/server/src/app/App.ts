import { createServer } from "node:http"
import {
  AlertSinks,
  ResendEmail,
  SlackInstall,
  SlackProposals,
  SlackSink,
  type TypedSink
} from "@armature/alerts"
import {
  type ConfigFile,
  IdsLayer,
  LanguageModels,
  RateLimits,
  type SecretStore,
  Servers
} from "@armature/core"
import { AddressGuard, McpConnector, Models, SessionPool, Worker } from "@armature/runner"
import { Retention } from "@armature/store-postgres"
import { HttpApiBuilder, HttpServer } from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Console, Effect, Layer, Option } from "effect"
import * as BillingLayer from "../billing/BillingLayer.js"
import { type ServerConfig, ServerConfigTag } from "../config/ServerConfig.js"
import * as Dashboard from "../dashboard/Routes.js"
import * as Session from "../dashboard/Session.js"
import * as AccessLog from "../http/AccessLog.js"
import * as ApiLive from "../http/ApiLive.js"
import * as AuthFailureLimiter from "../http/AuthFailureLimiter.js"
import * as SlackBot from "../slackbot/Bot.js"
import * as LinkTokens from "../slackbot/LinkTokens.js"
import * as AlertDispatchLoop from "./AlertDispatchLoop.js"
import { applyConfig } from "./ApplyConfig.js"
import * as BillingRoutes from "./BillingRoutes.js"
import * as Bootstrap from "./Bootstrap.js"
import * as CatalogSyncLoop from "./CatalogSyncLoop.js"
import * as Health from "./Health.js"
import * as InvitationRoutes from "./InvitationRoutes.js"
import * as McpRoutes from "./McpRoutes.js"
import { instrumentStores, Metrics } from "./Metrics.js"
import * as SchedulerLoop from "./SchedulerLoop.js"
import * as SlackApp from "./SlackApp.js"
import * as SlackRoutes from "./SlackRoutes.js"
import * as Store from "./Store.js"
import * as Tracing from "./Tracing.js"

/** What an embedding program may add to the server. */
export interface Options {
  /** Language-model providers registered in code, beside the OpenAI one from configuration. */
  readonly models?: ReadonlyArray<Models.Registration>
  /** A monitoring-as-code file to apply once the organization exists, before work starts. */
  readonly apply?: ConfigFile.ConfigFile
  /** Alert sinks of plugin destination types (PagerDuty, Teams…), beside Slack, email and webhook. */
  readonly alertSinks?: ReadonlyArray<TypedSink>
  /** A `LanguageModels` of the embedder's own, instead of the OpenAI endpoint and `models`. */
  readonly languageModels?: Layer.Layer<LanguageModels>
  /**
   * A `SecretStore` of the embedder's own (a vault) for the credentials of auth profiles,
   * instead of the store's encrypted table. Slack bot tokens stay in the store's own.
   */
  readonly secretStore?: Layer.Layer<SecretStore>
}

const serverPolicy = Layer.effect(
  Servers.ServerPolicy,
  Effect.map(ServerConfigTag, (config) => ({
    allowInsecureHttp: config.allowInsecureHttp,
    probeTimeoutMs: 30_000,
    apiStdioCommands: config.apiStdioCommands
  }))
)

/** Tester and judge models: the OpenAI endpoint of the settings, and those registered in code. */
const models = (registered: ReadonlyArray<Models.Registration>) =>
  Layer.unwrapEffect(
    Effect.map(ServerConfigTag, (config) =>
      Models.layer({
        models: registered,
        ...Option.match(config.openai ?? Option.none(), {
          onNone: () => ({}),
          onSome: (openai) => ({ openai })
        })
      })
    )
  )

/** The outbound address policy and the MCP connector, from the server's settings. */
const connector = Layer.unwrapEffect(
  Effect.map(ServerConfigTag, (config) => {
    const guard = {
      allowLoopback: config.allowLoopback ?? false,
      allowPrivateNetworks: config.allowPrivateNetworks ?? false
    }
    return Layer.merge(
      McpConnector.layer({
        ...guard,
        allowStdio: config.allowStdio ?? true,
        ...(config.mcpConnectTimeoutMs === undefined ? {} : { connectTimeoutMs: config.mcpConnectTimeoutMs })
      }),
      AddressGuard.layer(guard)
    )
  })
)

/**
 * The bot token for an organization's Slack messages: with the installable Slack app configured,
 * the organization's installation, falling back to `SLACK_BOT_TOKEN`; otherwise that one token
 * for every organization; none without either.
 */
const slackBotToken = (config: ServerConfig) => {
  const fallback = config.alerts === undefined ? Option.none() : config.alerts.slackBotToken
  if (Option.isSome(config.slackApp ?? Option.none()))
    return Effect.map(SlackInstall.botToken(fallback), Option.some)
  return Effect.succeed(Option.map(fallback, SlackSink.staticToken))
}

/** Slack, email and webhook delivery from the server's settings, and the embedder's own sinks. */
const alertSinks = (plugins: ReadonlyArray<TypedSink>) =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const config = yield* ServerConfigTag
      const a = config.alerts
      const botToken = yield* slackBotToken(config)
      const resendKey = a === undefined ? Option.none() : a.resendApiKey
      return AlertSinks.layer(
        AlertSinks.builtIn({
          slack: Option.match(botToken, {
            onNone: () => undefined,
            onSome: (token) => ({
              botToken: token,
              slackApiUrl: a === undefined ? undefined : Option.getOrUndefined(a.slackApiUrl)
            })
          }),
          email: Option.match(resendKey, {
            onNone: () => undefined,
            onSome: (apiKey) => ({
              apiKey,
              from: Option.getOrThrow(a!.emailFrom),
              baseUrl: Option.getOrUndefined(a!.resendBaseUrl)
            })
          }),
          webhook: { allowInsecureHttp: config.allowInsecureHttp }
        }),
        plugins
      )
    })
  )

/**
 * Agents' proposals posted to the organization's Slack proposals channel, where the bot answers
 * their Approve and Dismiss buttons: only where the bot runs (`SLACK_SIGNING_SECRET`).
 */
const proposalNotices = Layer.unwrapEffect(
  Effect.gen(function* () {
    const config = yield* ServerConfigTag
    if (Option.isNone(config.slackSigningSecret ?? Option.none())) return Layer.empty
    const a = config.alerts
    return SlackProposals.layer({
      botToken: yield* SlackInstall.botToken(a === undefined ? Option.none() : a.slackBotToken),
      slackApiUrl: a === undefined ? undefined : Option.getOrUndefined(a.slackApiUrl)
    })
  })
)

/** Core's `EmailSender` (invitations) through Resend when it is configured; none otherwise. */
const emailSender = Layer.unwrapEffect(
  Effect.map(ServerConfigTag, ({ alerts: a }) =>
    a === undefined || Option.isNone(a.resendApiKey)
      ? Layer.empty
      : ResendEmail.layer({
          apiKey: a.resendApiKey.value,
          from: Option.getOrThrow(a.emailFrom),
          baseUrl: Option.getOrUndefined(a.resendBaseUrl)
        })
  )
)

/**
 * The services every part of the server shares: a store (stores and SQL client,
 * with checks and runs counted for `/metrics`), ids, the MCP connector with its session pool,
 * and the language models, over the given store (`armature test` runs on an in-memory one).
 */
export const servicesWith = <E, R>(store: Layer.Layer<Store.StoreServices, E, R>, options: Options = {}) =>
  Layer.mergeAll(
    IdsLayer.layer,
    options.languageModels ?? models(options.models ?? []),
    serverPolicy,
    alertSinks(options.alertSinks ?? []),
    emailSender,
    proposalNotices,
    // Plans and billing (`ARMATURE_BILLING`); nothing, and so no limits, when unset.
    BillingLayer.layer
  ).pipe(
    Layer.provideMerge(SessionPool.layer().pipe(Layer.provideMerge(connector))),
    Layer.provideMerge(instrumentStores),
    Layer.provideMerge(
      Layer.mergeAll(
        store,
        Metrics.layer,
        ...(options.secretStore === undefined ? [] : [options.secretStore])
      )
    )
  )

/** What `servicesWith` provides. */
export type Services = Layer.Layer.Success<ReturnType<typeof servicesWith>>

/** `servicesWith` the store the configuration names. */
export const services = (options: Options = {}) => servicesWith(Store.layer, options)

/** The worker, with the lease and shutdown grace of the server's configuration. */
const worker = Layer.unwrapEffect(
  Effect.gen(function* () {
    const server = yield* ServerConfigTag
    return Worker.layer({
      ...server.worker,
      leaseMs: (server.workerLeaseSeconds ?? 60) * 1000,
      shutdownGraceMs: (server.shutdownGraceSeconds ?? 30) * 1000
    })
  })
)

/** Work that runs in the background for the life of the server. */
export const background = Layer.mergeAll(
  worker,
  SchedulerLoop.layer(),
  AlertDispatchLoop.layer,
  CatalogSyncLoop.layer,
  Layer.unwrapEffect(
    Effect.map(ServerConfigTag, (config) => Retention.layer(config.retention ?? Retention.defaults))
  )
)

/**
 * Every route of the server on `HttpApiBuilder`'s router: REST API, OpenAPI document, MCP API,
 * dashboard, invitations, Slack, billing, health and metrics. `http` serves them on a port;
 * `Armature`'s web handler answers them inside another application's server.
 */
export const routes = Layer.unwrapEffect(
  Effect.map(ServerConfigTag, (config) =>
    Layer.mergeAll(
      Health.routes({ metricsRequireKey: config.metricsRequireKey ?? false }),
      SlackRoutes.routes,
      BillingRoutes.routes,
      // The dashboard, the invitation pages and the Slack bot: one session key, one link key.
      Layer.mergeAll(InvitationRoutes.routes, Dashboard.layer, SlackBot.routes).pipe(
        Layer.provide(Layer.merge(Session.layer, LinkTokens.layer))
      ),
      McpRoutes.routes({ allowedOrigins: config.mcpAllowedOrigins ?? [config.publicUrl] }),
      ApiLive.layer({
        publicUrl: config.publicUrl,
        ...(config.maxBodyBytes === undefined ? {} : { maxBodyBytes: config.maxBodyBytes }),
        ...(config.maxJsonDepth === undefined ? {} : { maxJsonDepth: config.maxJsonDepth })
      })
    ).pipe(
      // One limiter for the API, `/metrics` and Slack install links: failures from an address
      // count once, wherever.
      Layer.provide(
        AuthFailureLimiter.layer({
          ...(config.authFailureLimit === undefined ? {} : { limit: config.authFailureLimit }),
          ...(config.authFailureWindow === undefined ? {} : { window: config.authFailureWindow })
        })
      ),
      // One budget per key for REST, the MCP API and `/metrics`, counted in this process.
      Layer.provide(
        RateLimits.layerMemory({ limit: config.rateLimitPerMinute ?? RateLimits.defaults.limit })
      ),
      // One app for the install pages and the API's install links.
      Layer.provide(SlackApp.layer)
    )
  )
)

/** The HTTP server: `routes` with the access log, on the configured host and port. */
const http = Layer.unwrapEffect(
  Effect.map(ServerConfigTag, (config) =>
    HttpApiBuilder.serve(AccessLog.middleware).pipe(
      Layer.provide(routes),
      HttpServer.withLogAddress,
      // Kept in the output: embedders and tests read the bound address (PORT=0 picks a free one).
      Layer.provideMerge(NodeHttpServer.layer(createServer, { host: config.host, port: config.port }))
    )
  )
)

/**
 * On the first start of a deployment, creates its organization and prints the owner's API key
 * (the only time it is shown: only a hash is kept); then applies the configured file, if any.
 */
const startup = (config: ConfigFile.ConfigFile | undefined) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const result = yield* Bootstrap.bootstrap
      const publicUrl = (yield* ServerConfigTag).publicUrl.replace(/\/+$/, "")
      if (result.created) {
        yield* Console.log(
          [
            "",
            `Created organization "${result.organization.name}" with owner ${result.owner.email}.`,
            "Owner API key (shown once, store it now):",
            "",
            `  ${result.token}`,
            "",
            `Sign in to the dashboard at ${publicUrl}/ with it.`,
            ""
          ].join("\n")
        )
      }
      if (config !== undefined) yield* applyConfig(config)
    })
  )

/** Says plainly when workflows cannot run for want of a model; monitors and replay still work. */
const modelNotice = Layer.effectDiscard(
  Effect.gen(function* () {
    const catalog = yield* Effect.flatMap(LanguageModels, (m) => m.catalog)
    if (catalog.length > 0) return
    yield* Console.log(
      "No language model is configured, so workflows will not run (monitors and replay do). " +
        "Set OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible endpoint) and restart."
    )
  })
)

/**
 * The whole server: bootstrap first, then HTTP and background work; released in reverse, so
 * on shutdown the HTTP server stops, the worker drains, and the store closes last. Tracing, when
 * configured, is built before all of it and closed after it, so the spans of a stopping server
 * are sent too.
 */
export const make = (options: Options = {}) =>
  Layer.mergeAll(http, background).pipe(
    Layer.provide(Layer.merge(startup(options.apply), modelNotice)),
    Layer.provideMerge(services(options)),
    Layer.provide(Tracing.fromConfig(Tracing.off))
  )
