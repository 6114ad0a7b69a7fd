import { Context, type Effect, Schema, type Scope } from "effect"
import type { ServerInfo, Tool } from "../domain/Catalog.js"
import type { JsonObject } from "../domain/Common.js"
import type { AuthProfile, McpServer } from "../domain/McpServer.js"
import type { ServerUnreachable } from "../Errors.js"

/** Result of `tools/call` as the server returned it. */
export interface ToolCallResult {
  readonly content: ReadonlyArray<unknown>
  readonly structuredContent?: unknown
  readonly isError: boolean
}

/** A tool call that did not produce a result: timeout, transport failure or protocol error. */
export class McpCallError extends Schema.TaggedError<McpCallError>()("McpCallError", {
  message: Schema.String,
  kind: Schema.Literal("timeout", "transport", "protocol", "auth_rejected", "http_status", "not_mcp"),
  httpStatus: Schema.optional(Schema.Number)
}) {}

export interface CallOptions {
  /** Time allowed without progress; each progress notification starts it again. */
  readonly timeoutMs: number
  /** Absolute cap, progress or not. */
  readonly maxTotalTimeoutMs?: number
  readonly onProgress?: (progress: {
    readonly progress: number
    readonly total?: number
    readonly message?: string
  }) => void
}

/** An open session with an MCP server. */
export interface McpSession {
  readonly serverInfo: ServerInfo
  readonly protocolVersion: string
  readonly capabilities: JsonObject
  /** All tools, following pagination. */
  readonly listTools: Effect.Effect<ReadonlyArray<Tool>, McpCallError>
  readonly callTool: (
    name: string,
    args: JsonObject,
    options: CallOptions
  ) => Effect.Effect<ToolCallResult, McpCallError>
}

export interface ConnectOptions {
  readonly connectTimeoutMs?: number
}

/** Opens sessions to registered servers; the session closes with its scope. */
export class McpConnector extends Context.Tag("@armature/core/McpConnector")<
  McpConnector,
  {
    readonly connect: (
      server: McpServer,
      authProfile: AuthProfile | null,
      options?: ConnectOptions
    ) => Effect.Effect<McpSession, ServerUnreachable, Scope.Scope>
    /**
     * Fails with reason `ssrf_blocked` when the deployment's address guard refuses `url` (its
     * host resolved now), so a server that would never be contacted is not saved. Other
     * failures, such as a name that does not resolve, are left to the probe that follows.
     */
    readonly checkAddress: (url: string) => Effect.Effect<void, ServerUnreachable>
  }
>() {}
