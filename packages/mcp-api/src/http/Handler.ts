/**
 * The MCP API over Streamable HTTP, stateless (SPEC §9): per request, the Origin check, API-key
 * authentication, then a fresh SDK server and transport answering in JSON. Mountable anywhere:
 * as an Effect from a `Request` to a `Response` (the reference server's route), or as a plain
 * Web-standard handler for any server that speaks `Request`/`Response`. A library: everything
 * it needs arrives as options and through the Effect context, nothing from the environment.
 */
import type { SecretStore } from "@armature/core"
import { Effect, ManagedRuntime, Runtime } from "effect"
import { WebStandardStreamableHTTPServerTransport } from "../internal/sdk.js"
import * as ToolServer from "../protocol/ToolServer.js"
import type { Requirements } from "../ToolTable.js"
import * as Authentication from "./Authentication.js"
import * as Origins from "./Origins.js"
import { errorResponse, methodNotAllowed } from "./Responses.js"

export interface Options {
  /**
   * Origins (`https://armature.example.com`) from which browsers may call the API. Requests
   * without an `Origin` header (agents, CLIs) are not affected.
   */
  readonly allowedOrigins: ReadonlyArray<string>
  /** `Host` header values (`armature.example.com`, `127.0.0.1:4100`) to accept; unset: any. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Counts failed key checks (the host's limiter); a positive wait turns the 401 into a 429. */
  readonly onAuthenticationFailure?: Authentication.FailureCounter
  /** Name and version announced in `initialize`. */
  readonly serverInfo?: ToolServer.ServerInfo
}

/** Everything the handler needs from its context: the tools' services. */
export type HandlerRequirements = Requirements | SecretStore

const internalError = () =>
  new Response(
    JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: null }),
    { status: 500, headers: { "content-type": "application/json" } }
  )

/** One request through a fresh server and transport, both closed once the JSON answer is ready. */
const serve = (request: Request, server: ReturnType<typeof ToolServer.make>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true })),
    (transport) =>
      Effect.tryPromise(async () => {
        await server.connect(transport)
        return await transport.handleRequest(request)
      }),
    () => Effect.ignore(Effect.tryPromise(() => server.close()))
  ).pipe(
    Effect.catchAll((error) => Effect.as(Effect.logError("The MCP transport failed", error), internalError()))
  )

/** The handler as an Effect: never fails, every refusal is a response. */
export const make = (options: Options) => {
  const origins = new Set(
    options.allowedOrigins.flatMap((o) => {
      const normalized = Origins.normalizeOrigin(o)
      return normalized === null ? [] : [normalized]
    })
  )
  const allowed = {
    origins,
    hosts:
      options.allowedHosts === undefined
        ? undefined
        : new Set(options.allowedHosts.map((h) => h.toLowerCase()))
  }
  return (request: Request): Effect.Effect<Response, never, HandlerRequirements> =>
    Effect.gen(function* () {
      const refused = Origins.refusal(request, allowed)
      if (refused !== null) return errorResponse({ code: "origin_not_allowed", message: refused })
      const caller = yield* Authentication.authenticate(request, options.onAuthenticationFailure)
      if (request.method !== "POST") return methodNotAllowed()
      const runtime = yield* Effect.runtime<HandlerRequirements>()
      return yield* serve(request, ToolServer.make(caller, runtime, options.serverInfo))
    }).pipe(Effect.catchAll(Effect.succeed))
}

/**
 * A Web-standard handler (`fetch`-style) over `runtime`, for servers outside Effect (Hono, Bun,
 * Deno, Express through a bridge). The runtime — a `Runtime` or a `ManagedRuntime` built from
 * the store's layer — supplies the stores and the other services.
 */
export const toWebHandler = <E>(
  runtime: Runtime.Runtime<HandlerRequirements> | ManagedRuntime.ManagedRuntime<HandlerRequirements, E>,
  options: Options
): ((request: Request) => Promise<Response>) => {
  const handle = make(options)
  // This is the edge between Promise-based servers and the Effect program: it runs here.
  if (ManagedRuntime.isManagedRuntime(runtime)) return (request) => runtime.runPromise(handle(request))
  const run = Runtime.runPromise(runtime as Runtime.Runtime<HandlerRequirements>)
  return (request) => run(handle(request))
}
