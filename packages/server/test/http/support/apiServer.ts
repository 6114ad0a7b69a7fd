/**
 * The REST API on a real HTTP server (127.0.0.1, a free port) over a real store — PGlite with
 * the production SQL, PostgreSQL at a given URL, or core's in-memory store where only the HTTP
 * layer is under test — with the API's limits as given (defaults otherwise), and
 * the real runner connector (loopback allowed, so it can probe the demo MCP server). Scripted
 * models fill the model catalog; no worker runs, so dispatched runs stay `pending`. Alerts go to
 * a recording sink (`RecordingAlertSink.Recorder` says what it received).
 */
import { createServer } from "node:http"
import {
  AlertSink,
  type ApiErrorBody,
  ApiKeys,
  builtInDestinationTypes,
  type Caller,
  IdsLayer,
  type Role,
  statusOf,
  Team
} from "@armature/core"
import { MemoryStore, RecordingAlertSink, ScriptedModel } from "@armature/core/testing"
import { McpConnector, Models, SessionPool } from "@armature/runner"
import { PgStore } from "@armature/store-postgres"
import {
  FetchHttpClient,
  HttpApiBuilder,
  HttpApiClient,
  HttpServer,
  HttpServerResponse
} from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { testKeys } from "../../../../store-postgres/test/support/databases.js"
import * as ArmatureClient from "../../../src/api.js"
import * as ApiLive from "../../../src/http/ApiLive.js"

const models = [
  Models.register("scripted:tester", ScriptedModel.make({ id: "scripted:tester", steps: [] })),
  Models.register("scripted:judge", ScriptedModel.make({ id: "scripted:judge", steps: [] }))
]

/** Where the server keeps its data. */
export type Store = "pglite" | "memory" | { readonly postgresUrl: string }

const storeLayer = (store: Store) =>
  store === "memory"
    ? MemoryStore.layer
    : store === "pglite"
      ? PgStore.layerPglite()
      : PgStore.layer({ url: Redacted.make(store.postgresUrl), maxConnections: 4, secretKeys: testKeys() })

/**
 * The recording sink, refusing destination types no built-in sink handles as the server's
 * composed sinks do (the recorder itself accepts any type). Deliveries to Slack channel `C_FAIL`
 * and addresses `fail@…` are refused.
 */
const alertSink = Layer.effect(
  AlertSink,
  Effect.map(AlertSink, (sink) =>
    AlertSink.of({
      deliver: sink.deliver,
      validate: (orgId, destination) =>
        (builtInDestinationTypes as ReadonlyArray<string>).includes(destination.type)
          ? sink.validate(orgId, destination)
          : Effect.succeed([
              { field: "type", message: `No alert sink handles destination type "${destination.type}"` }
            ])
    })
  )
).pipe(Layer.provideMerge(RecordingAlertSink.layer()))

const services = (store: Store) =>
  Layer.mergeAll(IdsLayer.layer, Models.layer({ models }), alertSink).pipe(
    Layer.provideMerge(
      SessionPool.layer().pipe(Layer.provideMerge(McpConnector.layer({ allowLoopback: true })))
    ),
    Layer.provideMerge(storeLayer(store))
  )

/** A route beside the API on the same router, as the server's `/healthz` is. */
const besideTheApi = HttpApiBuilder.Router.use((router) =>
  router.get("/ping", HttpServerResponse.json({ pong: true }))
)

/** Limits of the API under test; defaults where not given. */
export type Options = Parameters<typeof ApiLive.serve>[0]

const makeLayer = (store: Store, options: Options = {}) =>
  ApiLive.serve(options).pipe(
    Layer.provide(besideTheApi),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: 0 })),
    Layer.provideMerge(services(store))
  )

export type Runtime = ManagedRuntime.ManagedRuntime<
  Layer.Layer.Success<ReturnType<typeof makeLayer>>,
  unknown
>

/** A JSON response: status, parsed body (or `null`), headers. */
export interface Reply {
  readonly status: number
  readonly body: any
  readonly headers: Headers
}

/** What a typed-client call gave: the value its declared success schema decoded, or the API's refusal. */
export type Called<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly status: number; readonly error: ApiErrorBody }

const isApiError = (u: unknown): u is { readonly error: ApiErrorBody } => {
  const body = (u as { error?: { code?: unknown } } | null)?.error
  return typeof body?.code === "string"
}

/**
 * Calls through the typed client (`@armature/server/api`) to the server at `origin` as the
 * holder of `token`, or with no Authorization header at all when `token` is `null` (a client
 * made without a key): what `api.call` does, for servers `startApiServer` did not start too.
 */
export const typedCalls =
  (origin: string) =>
  <A>(
    token: string | null,
    f: (client: ArmatureClient.Client) => Effect.Effect<A, unknown>
  ): Promise<Called<A>> =>
    Effect.runPromise(
      (token === null
        ? HttpApiClient.make(ArmatureClient.ArmatureApi, { baseUrl: origin })
        : ArmatureClient.make({ baseUrl: origin, apiKey: token })
      ).pipe(
        Effect.flatMap(f),
        Effect.map((value) => ({ ok: true as const, value })),
        Effect.catchAll((e) =>
          isApiError(e)
            ? Effect.succeed({ ok: false as const, status: statusOf(e.error).http, error: e.error })
            : Effect.die(e)
        ),
        Effect.provide(FetchHttpClient.layer)
      )
    )

export interface ApiServer {
  /** `http://127.0.0.1:<port>`; the server also answers `GET /ping` beside the API. */
  readonly origin: string
  readonly runtime: Runtime
  /**
   * Runs an effect against the server's own services (the same store; its `SqlClient` on PGlite
   * and PostgreSQL, to write what the API would refuse).
   */
  readonly run: <A, E>(
    effect: Effect.Effect<A, E, Layer.Layer.Success<ReturnType<typeof makeLayer>> | SqlClient.SqlClient>
  ) => Promise<A>
  /** A request under `/api/armature/v1`; `token: null` sends no Authorization header. */
  readonly request: (
    method: string,
    path: string,
    options?: { readonly token?: string | null; readonly body?: unknown; readonly rawBody?: string }
  ) => Promise<Reply>
  /**
   * A call through the typed client (`@armature/server/api`) as the holder of `token`, so the
   * test checks the declared contract: requests built from the declared body schemas, replies
   * decoded by the declared success and error schemas (a reply that does not match rejects).
   */
  readonly call: <A>(
    token: string,
    f: (client: ArmatureClient.Client) => Effect.Effect<A, unknown>
  ) => Promise<Called<A>>
  /** A fresh organization with its owner; returns the owner's token and caller. */
  readonly organization: (name: string) => Promise<{ token: string; caller: Caller; orgId: string }>
  /** Mints a key of `role` in the organization of `owner`. */
  readonly key: (owner: Caller, role: Role) => Promise<string>
  readonly close: () => Promise<void>
}

export const startApiServer = async (store: Store, options: Options = {}): Promise<ApiServer> => {
  const runtime = ManagedRuntime.make(makeLayer(store, options))
  const server = await runtime.runPromise(HttpServer.HttpServer)
  if (server.address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  const origin = `http://127.0.0.1:${server.address.port}`
  // The memory store has no SqlClient: an effect that needs one fails there, as it should.
  const run: ApiServer["run"] = (effect) =>
    runtime.runPromise(
      effect as Effect.Effect<
        Effect.Effect.Success<typeof effect>,
        unknown,
        Layer.Layer.Success<ReturnType<typeof makeLayer>>
      >
    )
  return {
    origin,
    runtime,
    run,
    request: async (method, path, options = {}) => {
      const headers: Record<string, string> = {}
      if (options.token != null) headers.authorization = `Bearer ${options.token}`
      const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
      if (body !== undefined) headers["content-type"] = "application/json"
      const response = await fetch(`${origin}/api/armature/v1${path}`, {
        method,
        headers,
        body: body ?? null
      })
      const text = await response.text()
      return {
        status: response.status,
        body: text === "" ? null : JSON.parse(text),
        headers: response.headers
      }
    },
    call: (token, f) => typedCalls(origin)(token, f),
    organization: async (name) => {
      const created = await run(
        Team.createOrganization({
          name,
          ownerEmail: `owner@${name.toLowerCase()}.test`,
          ownerName: "Olga Owner"
        })
      )
      const caller: Caller = {
        orgId: created.organization.id,
        actor: { keyId: created.key.id, memberId: created.owner.id, role: "owner" }
      }
      return { token: created.token, caller, orgId: created.organization.id }
    },
    key: async (owner, role) => (await run(ApiKeys.create(owner, { name: `${role} key`, role }))).token,
    close: () => runtime.dispose()
  }
}
