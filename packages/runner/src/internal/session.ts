/**
 * An open SDK `Client` as the connector port's `McpSession`.
 */
import type { CallOptions, JsonObject, McpCallError, McpSession, Tool, ToolCallResult } from "@armature/core"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import {
  CallToolResultSchema,
  ListToolsResultSchema,
  type Tool as SdkTool
} from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { callError } from "./classify.js"

/**
 * A session that also says whether its transport is still open (the pool uses it to reconnect)
 * and which secret values it sent (for redaction: an OAuth access token is never in the store).
 */
export interface LiveSession extends McpSession {
  readonly isOpen: () => boolean
  readonly secrets: () => ReadonlyArray<string>
  /**
   * `callTool` as a Promise (rejecting with `McpCallError`) for callers that are already in
   * Promise land — the agent's tool callbacks — so a call does not pay for a fiber per call.
   * Aborting `signal` cancels the request, as interrupting `callTool` does.
   */
  readonly callToolPromise: (
    name: string,
    args: JsonObject,
    options: CallOptions,
    signal: AbortSignal
  ) => Promise<ToolCallResult>
}

/** Default bound of one `tools/list` page request. */
const listTimeoutMs = 30_000
/** A server that keeps returning cursors must not keep a probe busy forever. */
const maxPages = 100

const toTool = (t: SdkTool): Tool => ({
  name: t.name,
  ...(t.title === undefined ? {} : { title: t.title }),
  ...(t.description === undefined ? {} : { description: t.description }),
  inputSchema: t.inputSchema as JsonObject,
  ...(t.outputSchema === undefined ? {} : { outputSchema: t.outputSchema as JsonObject }),
  ...(t.annotations === undefined
    ? {}
    : {
        annotations: Object.fromEntries(
          (["title", "readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const)
            .filter((k) => t.annotations?.[k] !== undefined)
            .map((k) => [k, t.annotations?.[k]])
        )
      })
})

/** Wraps a connected client; `isOpen` turns false when the transport closes (crash, network). */
export const makeSession = (
  client: Client,
  protocolVersion: string,
  isOpen: () => boolean,
  secrets: () => ReadonlyArray<string>
): LiveSession => {
  const serverVersion = client.getServerVersion()
  const listTools: Effect.Effect<ReadonlyArray<Tool>, McpCallError> = Effect.gen(function* () {
    const tools: Tool[] = []
    let cursor: string | undefined
    for (let page = 0; page < maxPages; page++) {
      const params = cursor === undefined ? {} : { cursor }
      const result = yield* Effect.tryPromise({
        // `request` rather than `client.listTools`: the latter compiles every output schema, and one
        // schema the validator rejects would make the whole catalog unreadable.
        try: (signal) =>
          client.request({ method: "tools/list", params }, ListToolsResultSchema, {
            timeout: listTimeoutMs,
            signal
          }),
        catch: callError
      })
      tools.push(...result.tools.map(toTool))
      cursor = result.nextCursor
      if (cursor === undefined || cursor === "") break
    }
    return tools
  })

  // `request` rather than `client.callTool`: the latter throws away a result whose structured
  // content misses the declared output schema, and a tester needs to see exactly that result.
  const send = (name: string, args: JsonObject, options: CallOptions, signal: AbortSignal) =>
    client.request({ method: "tools/call", params: { name, arguments: args } }, CallToolResultSchema, {
      signal,
      timeout: options.timeoutMs,
      resetTimeoutOnProgress: true,
      ...(options.maxTotalTimeoutMs === undefined ? {} : { maxTotalTimeout: options.maxTotalTimeoutMs }),
      ...(options.onProgress === undefined
        ? {}
        : {
            onprogress: (p: { progress: number; total?: number; message?: string }) =>
              options.onProgress?.({
                progress: p.progress,
                ...(p.total === undefined ? {} : { total: p.total }),
                ...(p.message === undefined ? {} : { message: p.message })
              })
          })
    })
  const toResult = (r: Awaited<ReturnType<typeof send>>): ToolCallResult => ({
    content: r.content,
    ...(r.structuredContent === undefined ? {} : { structuredContent: r.structuredContent }),
    isError: r.isError === true
  })

  const callTool = (name: string, args: JsonObject, options: CallOptions) =>
    Effect.tryPromise({ try: (signal) => send(name, args, options, signal), catch: callError }).pipe(
      Effect.map(toResult)
    )

  const callToolPromise = (name: string, args: JsonObject, options: CallOptions, signal: AbortSignal) =>
    send(name, args, options, signal).then(toResult, (e: unknown) => {
      throw callError(e)
    })

  return {
    serverInfo: { name: serverVersion?.name ?? "unknown", version: serverVersion?.version ?? "unknown" },
    protocolVersion,
    capabilities: (client.getServerCapabilities() ?? {}) as JsonObject,
    listTools,
    callTool,
    callToolPromise,
    isOpen,
    secrets
  }
}

/** Secret values a session sent, when it is one of ours (any other connector: none known). */
export const secretsOf = (session: McpSession): ReadonlyArray<string> =>
  "secrets" in session && typeof session.secrets === "function" ? (session as LiveSession).secrets() : []

/** The Promise form of `callTool` when the session is one of ours, else `undefined`. */
export const callToolPromiseOf = (session: McpSession): LiveSession["callToolPromise"] | undefined =>
  "callToolPromise" in session && typeof session.callToolPromise === "function"
    ? (session as LiveSession).callToolPromise
    : undefined

/** Whether a session's transport is still open; sessions of other connectors are assumed open. */
export const isOpenOf = (session: McpSession): boolean =>
  !("isOpen" in session && typeof session.isOpen === "function") || (session as LiveSession).isOpen()
