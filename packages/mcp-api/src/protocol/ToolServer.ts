/**
 * The MCP server of one authenticated request, at the SDK's low level: `tools/list` from the
 * table and `tools/call` through `ToolCall`, whose failures are thrown as real JSON-RPC errors
 * (SPEC §9.2) — the high-level `McpServer` would turn them into `isError` results. A new server
 * per request keeps the API stateless: any replica answers any request.
 */
import { type ApiErrorBody, type Caller, type SecretStore, toApiErrorBody } from "@armature/core"
import { Cause, Effect, Either, Option, Runtime } from "effect"
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  Server
} from "../internal/sdk.js"
import { find, listed, type Requirements, tools } from "../ToolTable.js"
import * as JsonRpcError from "./JsonRpcError.js"
import * as ToolCall from "./ToolCall.js"

/** How the server introduces itself in `initialize`. */
export interface ServerInfo {
  readonly name: string
  readonly version: string
}

export const defaultInfo: ServerInfo = { name: "armature", version: "0.0.0" }

const instructions =
  "Armature tests and monitors MCP servers with workflows (a prompt, criteria and a tester model) " +
  "and reports runs. Start with get_organization_health or search_runs; diagnose_run explains a " +
  "failed run; propose_workflow_patch stages a fix that a human should approve before " +
  "apply_workflow_change; run_workflow_now with wait verifies it; compare_runs shows what changed."

/** The ApiError of a failed call; anything but a typed failure is logged and becomes `internal_error`. */
const failureBody = (cause: Cause.Cause<unknown>) =>
  Effect.gen(function* () {
    const body = Option.match(Cause.failureOption(cause), {
      onNone: (): ApiErrorBody => toApiErrorBody(undefined),
      onSome: toApiErrorBody
    })
    // The client sees only a generic message; the operator needs the cause (never the arguments).
    if (body.code === "internal_error") yield* Effect.logError("MCP tool call failed unexpectedly", cause)
    return body
  })

/** The text item and `structuredContent` of a result: the same JSON twice (SPEC §9). */
const resultOf = (json: Record<string, unknown>): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(json) }],
  structuredContent: json
})

/** A server answering `caller`'s requests with the services of `runtime`. */
export const make = (
  caller: Caller,
  runtime: Runtime.Runtime<Requirements | SecretStore>,
  info: ServerInfo = defaultInfo
): Server => {
  const server = new Server(
    { name: info.name, version: info.version },
    { capabilities: { tools: { listChanged: false } }, instructions }
  )
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: tools.map(listed) }))
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = find(request.params.name)
    if (tool === undefined) {
      const message = `Unknown tool ${JSON.stringify(request.params.name.slice(0, 100))}; tools/list names every tool`
      throw JsonRpcError.fromBody({
        code: "validation_failed",
        message,
        details: { fieldErrors: [{ field: "name", message: "is not a tool of this server" }] }
      })
    }
    const outcome = await Runtime.runPromise(runtime)(
      ToolCall.call(tool, caller, request.params.arguments ?? {}).pipe(
        Effect.catchAllCause((cause) => Effect.flatMap(failureBody(cause), Effect.fail)),
        Effect.either
      ),
      { signal: extra.signal }
    )
    if (Either.isLeft(outcome)) throw JsonRpcError.fromBody(outcome.left)
    return resultOf(outcome.right)
  })
  return server
}
