/**
 * Armature inside another application, for code written with Effect: the use cases' services
 * over the adapters the options choose (`layer`), the routes of the reference server as an
 * `HttpApp` to mount (`httpApp`), and the scheduler, workers and alert delivery (`background`).
 *
 * ```ts
 * const ArmatureLive = Armature.layer({ database: { url, secretKey } })
 * const program = Effect.gen(function* () {
 *   const { caller } = yield* Armature.bootstrap()
 *   const { server } = yield* Servers.register(caller, { name: "shop", transport: "streamable_http", url })
 * })
 * program.pipe(Effect.provide(ArmatureLive))
 * ```
 */
import type { Caller, ValidationFailed } from "@armature/core"
import { type Etag, type HttpApi, HttpApiBuilder, type HttpPlatform } from "@effect/platform"
import type { NodeContext } from "@effect/platform-node"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Config, type ConfigError, Effect, Layer } from "effect"
import * as App from "../app/App.js"
import { applyConfig } from "../app/ApplyConfig.js"
import * as Bootstrap from "../app/Bootstrap.js"
import type { DataDirLocked } from "../app/DataDirLock.js"
import * as Store from "../app/Store.js"
import * as Tracing from "../app/Tracing.js"
import { ServerConfigTag } from "../config/ServerConfig.js"
import * as AccessLog from "../http/AccessLog.js"
import { checkOptions } from "./checkOptions.js"
import { type Options, toServerConfig } from "./Options.js"

export type { Database, Options, Secret } from "./Options.js"

/** What `layer` provides. */
export type Services =
  | App.Services
  | ServerConfigTag
  | HttpPlatform.HttpPlatform
  | Etag.Generator
  | NodeContext.NodeContext

/** Why `layer` could not start: options at fault, the store not opened, the data dir in use. */
export type LayerError = ValidationFailed | Store.StoreUnavailable | DataDirLocked

/** PostgreSQL or PGlite in a directory as the reference server opens them; PGlite in memory. */
const storeOf = (
  options: Options
): Layer.Layer<Store.StoreServices, Store.StoreUnavailable | DataDirLocked, Store.Requirements> =>
  options.database === "memory"
    ? Store.embedded().pipe(
        Layer.mapError((cause) => new Store.StoreUnavailable({ message: cause.message, cause }))
      )
    : Store.layer

/**
 * Every storage port, ids, the MCP connector and session pool, language models, alert sinks, the
 * server's settings and Node's platform services: what the use cases, `httpApp` and `background` need.
 */
export const layer = (options: Options): Layer.Layer<Services, LayerError> =>
  Layer.unwrapEffect(
    Effect.map(checkOptions(options), () => {
      const settings = Layer.succeed(ServerConfigTag, toServerConfig(options))
      return App.servicesWith(storeOf(options), {
        ...(options.models === undefined ? {} : { models: options.models }),
        ...(options.alertSinks === undefined ? {} : { alertSinks: options.alertSinks }),
        ...(options.languageModels === undefined ? {} : { languageModels: options.languageModels }),
        ...(options.secretStore === undefined ? {} : { secretStore: options.secretStore })
      }).pipe(
        Layer.provideMerge(Layer.merge(settings, NodeHttpServer.layerContext)),
        // Outermost, so that everything built and run under the layer is traced.
        Layer.provide(Tracing.fromConfig().pipe(Layer.provide(settings)))
      )
    })
  )

/** `layer` with its options from configuration (a `Config.Wrap` of `Options`), under the application's own names. */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Services, LayerError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))

/**
 * The organization the embedding application acts in, created with its owner on the first start
 * (`token`: the owner's API key, this once), then found; `caller` acts as its owner.
 */
export const bootstrap = (owner: Partial<Bootstrap.Owner> = {}) =>
  Effect.map(Bootstrap.bootstrapWith({ ...Bootstrap.defaultOwner, ...owner }), (result) => ({
    organizationId: result.organization.id,
    ownerKey: result.created ? result.token : null,
    caller: {
      orgId: result.organization.id,
      actor: { keyId: null, memberId: null, role: "owner" }
    } satisfies Caller as Caller
  }))

/** Applies a monitoring-as-code file, as the deployment's operator. */
export const apply = applyConfig

/** The scheduler, the worker (runs and monitor checks), alert delivery, catalog sync and retention. */
export const background: Layer.Layer<never, ConfigError.ConfigError, Services> = App.background

/** The routes' services: the reference server's routes on `HttpApiBuilder`'s router. */
export const routes: Layer.Layer<
  HttpApiBuilder.Router | HttpApi.Api | HttpApiBuilder.Middleware,
  Layer.Layer.Error<typeof App.routes>,
  Layer.Layer.Context<typeof App.routes>
> = Layer.mergeAll(App.routes, HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer)

/**
 * The reference server's routes as one `HttpApp`, with its access log: REST at
 * `/api/armature/v1`, the MCP API at `/api/mcp`, the dashboard at `/`, health at `/healthz`.
 * Turn it into a Web handler (`HttpApp.toWebHandlerRuntime`) or a Node one (`NodeHttpServer.makeHandler`).
 */
export const httpApp = Effect.map(HttpApiBuilder.httpApp, AccessLog.middleware)
