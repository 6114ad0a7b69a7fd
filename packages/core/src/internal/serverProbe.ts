/**
 * One live probe of an MCP server (SPEC §2): a fresh session, `initialize` and `tools/list`, with
 * every failure turned into a `ServerUnreachable` with a precise reason.
 */
import { Duration, Effect, Schema } from "effect"
import type { ServerInfo, Tool } from "../domain/Catalog.js"
import type { JsonObject } from "../domain/Common.js"
import { Id, Timestamp } from "../domain/Common.js"
import { AuthKind, type AuthProfile, type McpServer } from "../domain/McpServer.js"
import { ServerUnreachable } from "../Errors.js"
import { type McpCallError, McpConnector } from "../ports/McpConnector.js"

/** What a probe learned about a server. */
export interface ProbeResult {
  readonly serverInfo: ServerInfo
  readonly protocolVersion: string
  readonly capabilities: JsonObject
  readonly tools: ReadonlyArray<Tool>
}

const reasonOf = (kind: McpCallError["kind"]): ServerUnreachable["reason"] => {
  switch (kind) {
    case "timeout":
      return "timeout"
    case "auth_rejected":
      return "auth_rejected"
    case "http_status":
      return "http_status"
    case "protocol":
    case "not_mcp":
      return "not_mcp"
    case "transport":
      return "transport"
  }
}

/** A `tools/call`/`tools/list` failure as the unreachable-server error of a probe. */
export const unreachableOf = (error: McpCallError): ServerUnreachable =>
  new ServerUnreachable({
    message: error.message,
    reason: reasonOf(error.kind),
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus })
  })

/**
 * Connects with a fresh session (never a cached one), lists every tool and closes the session.
 * `timeoutMs` bounds the whole probe, so a server that accepts the connection and then hangs
 * still ends as `timeout`.
 */
export const probe = (
  server: McpServer,
  profile: AuthProfile | null,
  timeoutMs: number
): Effect.Effect<ProbeResult, ServerUnreachable, McpConnector> =>
  Effect.gen(function* () {
    const connector = yield* McpConnector
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const session = yield* connector.connect(server, profile, { connectTimeoutMs: timeoutMs })
        const tools = yield* Effect.mapError(session.listTools, unreachableOf)
        return {
          serverInfo: session.serverInfo,
          protocolVersion: session.protocolVersion,
          capabilities: session.capabilities,
          tools
        }
      })
    ).pipe(
      Effect.timeoutFail({
        duration: Duration.millis(timeoutMs),
        onTimeout: () =>
          new ServerUnreachable({ message: `No answer within ${timeoutMs} ms`, reason: "timeout" })
      })
    )
  })

/** The precise, secret-free text stored as `lastProbeError`. */
export const describeFailure = (error: ServerUnreachable): string =>
  `${error.reason}${error.httpStatus === undefined ? "" : ` (HTTP ${error.httpStatus})`}: ${error.message}`

/** An auth profile as every read returns it: which secret exists, never its value or reference. */
export const AuthProfileView = Schema.Struct({
  id: Id,
  serverId: Id,
  name: Schema.String,
  kind: AuthKind,
  headerName: Schema.NullOr(Schema.String),
  tokenUrl: Schema.NullOr(Schema.String),
  clientId: Schema.NullOr(Schema.String),
  scopes: Schema.Array(Schema.String),
  hasSecret: Schema.Boolean,
  createdAt: Timestamp
})
export type AuthProfileView = typeof AuthProfileView.Type

/** The view of a stored profile. */
export const profileView = (profile: AuthProfile): AuthProfileView => ({
  id: profile.id,
  serverId: profile.serverId,
  name: profile.name,
  kind: profile.kind,
  headerName: profile.headerName,
  tokenUrl: profile.tokenUrl,
  clientId: profile.clientId,
  scopes: profile.scopes,
  hasSecret: profile.secretRef !== null,
  createdAt: profile.createdAt
})
