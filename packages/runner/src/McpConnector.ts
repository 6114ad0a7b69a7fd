/**
 * The `McpConnector` port on `@modelcontextprotocol/sdk`: Streamable HTTP, SSE and stdio
 * transports, auth profiles, the SSRF guard, connect and call timeouts, and precise error
 * classification. A session closes with the scope it was opened in.
 */
import {
  type AuthProfile,
  type ConnectOptions,
  McpConnector,
  type McpServer,
  SecretStore,
  ServerUnreachable
} from "@armature/core"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv"
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js"
import { Config, type ConfigError, Duration, Effect, Layer, type Scope } from "effect"
import * as AddressGuard from "./AddressGuard.js"
import { unreachable } from "./internal/classify.js"
import { resolveCredentials, resolveEnv } from "./internal/credentials.js"
import { TokenCache } from "./internal/oauth.js"
import { type LiveSession, makeSession } from "./internal/session.js"
import * as Ssrf from "./internal/ssrf.js"
import { makeTransport, preflight, sentSecrets } from "./internal/transport.js"

export { McpConnector } from "@armature/core"
export type { LiveSession } from "./internal/session.js"

/** Connector settings; every flag that widens what may be contacted defaults to off. */
export interface Options {
  /** Allow RFC 1918 / unique-local / CGNAT destinations (self-hosted deployments). */
  readonly allowPrivateNetworks?: boolean
  /** Allow 127.0.0.0/8 and ::1 (tests, local development). */
  readonly allowLoopback?: boolean
  /**
   * Allow `stdio` servers, which start a local process (default true: self-hosted use). Even
   * then only servers whose command the operator approved (`launchApproved`) are started.
   */
  readonly allowStdio?: boolean
  /** Default bound of `initialize` when the caller gives none. */
  readonly connectTimeoutMs?: number
  readonly clientInfo?: { readonly name: string; readonly version: string }
}

const defaultConnectTimeoutMs = 15_000
/** Closing must not hang on a dead server: a session-termination DELETE gets this long. */
const terminateTimeout = Duration.millis(500)

/**
 * The SDK client builds an Ajv instance (with every format) per `Client` — a sizeable share of a
 * connect — for output-schema and elicitation checks this runner never asks for (it calls
 * `client.request`, not `callTool`/`listTools`, and offers no elicitation). Built on first use only.
 */
const lazyValidator = (): jsonSchemaValidator => {
  let ajv: AjvJsonSchemaValidator | undefined
  return {
    getValidator: (schema) => {
      if (ajv === undefined) ajv = new AjvJsonSchemaValidator()
      return ajv.getValidator(schema)
    }
  }
}

/**
 * The session with a span around each `tools/list` and `tools/call` (the Promise form the agent
 * uses stays as it is: it has no fiber to trace in). Only names go into attributes, never
 * arguments or results.
 */
const traced = (server: McpServer, session: LiveSession): LiveSession => {
  const attributes = { "armature.org_id": server.orgId, "armature.mcp_server_id": server.id }
  return {
    ...session,
    listTools: Effect.withSpan(session.listTools, "McpSession.listTools", { kind: "client", attributes }),
    callTool: (name, args, callOptions) =>
      Effect.withSpan(session.callTool(name, args, callOptions), "McpSession.callTool", {
        captureStackTrace: false,
        kind: "client",
        attributes: { ...attributes, "armature.tool_name": name }
      })
  }
}

/** Builds the connector; secrets are read from the `SecretStore` at each connect. */
export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const secrets = yield* SecretStore
    const tokens = new TokenCache()
    const policy: Ssrf.SsrfPolicy = {
      allowPrivateNetworks: options.allowPrivateNetworks ?? false,
      allowLoopback: options.allowLoopback ?? false
    }
    const clientInfo = options.clientInfo ?? { name: "armature", version: "0.0.0" }

    const open = (server: McpServer, profile: AuthProfile | null, timeoutMs: number) =>
      Effect.gen(function* () {
        if (server.transport === "stdio") {
          if (options.allowStdio === false) {
            return yield* new ServerUnreachable({
              message: "stdio servers are disabled in this deployment",
              reason: "ssrf_blocked"
            })
          }
          // Checked here, where the process would start, whoever asked for the connection.
          if (!server.launchApproved) {
            return yield* new ServerUnreachable({
              message: `The command of stdio server ${server.name} was not set by the deployment's operator, so it is not started; apply the server from a monitoring-as-code file to approve it`,
              reason: "ssrf_blocked"
            })
          }
        } else {
          const url = yield* Effect.try({
            try: () => new URL(server.baseUrl ?? ""),
            catch: () => new ServerUnreachable({ message: "Invalid baseUrl", reason: "transport" })
          })
          yield* Ssrf.check(url, policy)
        }
        const credentials = yield* resolveCredentials(secrets, tokens, profile)
        if (credentials.kind === "oauth") yield* Ssrf.check(new URL(credentials.request.tokenUrl), policy)
        const env = server.transport === "stdio" ? yield* resolveEnv(secrets, server) : {}
        // Values of `secret:` env entries are secrets of the session too.
        const envSecret = Object.values(server.env).map((v) => v.startsWith("secret:"))
        return yield* Effect.tryPromise({
          try: async (signal) => {
            await preflight(credentials)
            const sent = new Set<string>()
            const transport = makeTransport(server, credentials, env, sent)
            // The SDK keeps the negotiated version to itself; it hands it to the transport, so listen there.
            let protocolVersion = "unknown"
            const setVersion = transport.setProtocolVersion?.bind(transport)
            transport.setProtocolVersion = (v) => {
              protocolVersion = v
              setVersion?.(v)
            }
            const client = new Client(clientInfo, { capabilities: {}, jsonSchemaValidator: lazyValidator() })
            let isOpen = true
            client.onclose = () => {
              isOpen = false
            }
            // The SDK's own timeout covers `initialize` only; an SSE server that never sends its
            // endpoint event would hang `transport.start()`. The bound is kept inside the promise:
            // an Effect timeout around an acquisition cannot interrupt it and would drop a client
            // that connects late without closing it.
            let timer: NodeJS.Timeout | undefined
            const expired = new Promise<never>((_, reject) => {
              timer = setTimeout(
                () =>
                  reject(
                    Object.assign(new Error(`No initialize answer within ${timeoutMs} ms`), {
                      code: "ETIMEDOUT"
                    })
                  ),
                timeoutMs
              )
            })
            try {
              await Promise.race([client.connect(transport, { timeout: timeoutMs, signal }), expired])
            } catch (e) {
              void client.close().catch(() => {})
              throw e
            } finally {
              clearTimeout(timer)
            }
            const secrets = () => [
              ...sentSecrets(credentials, sent),
              ...Object.values(env).filter((_, i) => envSecret[i])
            ]
            return { client, session: makeSession(client, protocolVersion, () => isOpen, secrets) }
          },
          catch: (e) => unreachable(e, `Cannot connect to ${server.name}`)
        })
      })

    const close = (client: Client) =>
      Effect.gen(function* () {
        const transport = client.transport
        if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined) {
          // Lets the server free the session now instead of at its idle expiry.
          yield* Effect.promise(() => transport.terminateSession().catch(() => {})).pipe(
            Effect.timeout(terminateTimeout),
            Effect.ignore
          )
        }
        yield* Effect.promise(() => client.close().catch(() => {}))
      })

    const connect = (
      server: McpServer,
      profile: AuthProfile | null,
      connectOptions?: ConnectOptions
    ): Effect.Effect<LiveSession, ServerUnreachable, Scope.Scope> =>
      Effect.acquireRelease(
        open(
          server,
          profile,
          connectOptions?.connectTimeoutMs ?? options.connectTimeoutMs ?? defaultConnectTimeoutMs
        ).pipe(
          Effect.tap(({ session }) =>
            Effect.annotateCurrentSpan("armature.mcp_protocol_version", session.protocolVersion)
          ),
          Effect.withSpan("McpConnector.connect", {
            kind: "client",
            attributes: {
              "armature.org_id": server.orgId,
              "armature.mcp_server_id": server.id,
              "armature.mcp_transport": server.transport,
              "armature.auth_kind": profile?.kind ?? "none"
            }
          })
        ),
        ({ client }) => close(client)
      ).pipe(Effect.map(({ session }) => traced(server, session)))

    const guard = AddressGuard.make(policy)
    const checkAddress = (url: string): Effect.Effect<void, ServerUnreachable> =>
      guard.check(url).pipe(
        // Only a policy refusal stops a save; a name that does not resolve is the probe's to report.
        Effect.catchIf(
          (e) => e.reason !== "ssrf_blocked",
          () => Effect.void
        )
      )

    return McpConnector.of({ connect, checkAddress })
  })

/** The connector from explicit options. */
export const layer = (options: Options = {}): Layer.Layer<McpConnector, never, SecretStore> =>
  Layer.effect(McpConnector, make(options))

/** The connector with its options from configuration (a `Config.Wrap` of `Options`). */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<McpConnector, ConfigError.ConfigError, SecretStore> =>
  Layer.effect(McpConnector, Effect.flatMap(Config.unwrap(config), make))
