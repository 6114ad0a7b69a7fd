/**
 * The whole server (`App.make`: REST, health, metrics, access log, background work) in this
 * process, configured by environment variables as `armature serve` would be, with its log lines
 * kept for the test to read. Keys are minted as the operator, like `armature keys create`.
 */
import { ApiKeys, type Role } from "@armature/core"
import type { Models } from "@armature/runner"
import { HttpServer } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Context, Effect, Exit, Layer, Logger, Scope } from "effect"
import * as App from "../../../src/app/App.js"
import * as Bootstrap from "../../../src/app/Bootstrap.js"
import * as ServerConfig from "../../../src/config/ServerConfig.js"
import { scriptedModels } from "../../support/scriptedModels.js"

/** The services the whole server builds: stores, sinks, queues and the HTTP server itself. */
export type AppServices = Layer.Layer.Success<ReturnType<typeof App.make>>

export interface AppServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** A new key of `role` in the deployment's organization. */
  readonly key: (role: Role) => Promise<string>
  /** Every log line so far (logfmt, as the server writes them). */
  readonly logs: () => ReadonlyArray<string>
  /** The settings it was started with, for commands run beside it. */
  readonly config: ConfigProvider.ConfigProvider
  /** Its services (stores, sinks…), for commands and checks run beside it. */
  readonly context: Context.Context<AppServices>
  /** Runs `effect` with the server's services; it may need no service the server lacks. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, AppServices>) => Promise<A>
  readonly close: () => Promise<void>
}

/**
 * Starts the server with `env` (HOST and PORT are set to a free loopback port); `models` are
 * registered beside the scripted tester and judge.
 */
export const startAppServer = async (
  env: Record<string, string>,
  options: { readonly models?: ReadonlyArray<Models.Registration> } = {}
): Promise<AppServer> => {
  const lines: string[] = []
  const capture = Logger.replace(
    Logger.defaultLogger,
    Logger.map(Logger.logfmtLogger, (line) => void lines.push(line))
  )
  const config = ConfigProvider.fromMap(new Map(Object.entries({ HOST: "127.0.0.1", PORT: "0", ...env })))
  const app = App.make({ models: [...scriptedModels, ...(options.models ?? [])] }).pipe(
    Layer.provide(ServerConfig.layer),
    Layer.provide(NodeContext.layer),
    Layer.provide(Layer.setConfigProvider(config)),
    Layer.provide(capture)
  )
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Scope.extend(Layer.build(app), scope))
  const address = Context.get(context, HttpServer.HttpServer).address
  if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) =>
    Effect.runPromise(effect.pipe(Effect.provide(context)))
  return {
    origin: `http://127.0.0.1:${address.port}`,
    key: (role) =>
      run(
        Effect.flatMap(Bootstrap.operator, (caller) =>
          ApiKeys.create(caller, { name: `${role} key`, role })
        ).pipe(Effect.map((created) => created.token))
      ),
    logs: () => lines,
    config,
    context,
    run,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
