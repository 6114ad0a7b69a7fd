/**
 * The MCP server of one authenticated request, at the SDK's low level: `tools/list` from the
 * tool table and `tools/call` through `ToolCall`, `resources/*` from the resource table and
 * `prompts/*` from the prompt table. Every failure is thrown as a real JSON-RPC error (SPEC §9.2)
 * — the high-level `McpServer` would turn a tool's into an `isError` result. A new server per
 * request keeps the API stateless: any replica answers any request.
 */
import { type ApiErrorBody, type Caller, RateLimits, type SecretStore, toApiErrorBody } from "@armature/core"
import { Cause, Clock, Effect, Either, Option, Runtime } from "effect"
import {
  CallToolRequestSchema,
  type CallToolResult,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  Server
} from "../internal/sdk.js"
import * as PromptTable from "../PromptTable.js"
import { listedResources, listedTemplates } from "../ResourceTable.js"
import { find, listed, type Requirements, tools } from "../ToolTable.js"
import * as CallAudit from "./CallAudit.js"
import * as JsonRpcError from "./JsonRpcError.js"
import * as ResourceRead from "./ResourceRead.js"
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
  "apply_workflow_change; run_workflow_now with wait verifies it; compare_runs shows what changed. " +
  "Resources (armature://…) hold the model catalog, the workflow schema, run traces and artifacts, " +
  "proposals, server catalogs and coverage; the prompts repair_failing_workflow and " +
  "design_workflow_suite walk through the common tasks."

/** The ApiError of a failed call; anything but a typed failure is logged and becomes `internal_error`. */
const failureBody = (cause: Cause.Cause<unknown>) =>
  Effect.gen(function* () {
    const body = Option.match(Cause.failureOption(cause), {
      onNone: (): ApiErrorBody => toApiErrorBody(undefined),
      onSome: toApiErrorBody
    })
    // The client sees only a generic message; the operator needs the cause (never the arguments).
    if (body.code === "internal_error") yield* Effect.logError("MCP request failed unexpectedly", cause)
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
    {
      capabilities: {
        tools: { listChanged: false },
        // The resources are read on demand; nothing to subscribe to on a stateless endpoint.
        resources: { subscribe: false, listChanged: false },
        prompts: { listChanged: false }
      },
      instructions
    }
  )
  /**
   * Runs one request's Effect after taking it from the key's rate limit; its failure is thrown as
   * the JSON-RPC error the SDK sends. `audit` is told the outcome (`ok` or the code) and duration.
   */
  const answer = async <A>(
    effect: Effect.Effect<A, unknown, Requirements | SecretStore>,
    signal: AbortSignal,
    audit?: (outcome: string, durationMs: number) => Effect.Effect<void, never, Requirements | SecretStore>
  ): Promise<A> => {
    const outcome = await Runtime.runPromise(runtime)(
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const result = yield* RateLimits.take(caller).pipe(
          Effect.zipRight(effect),
          Effect.catchAllCause((cause) => Effect.flatMap(failureBody(cause), Effect.fail)),
          Effect.either
        )
        const ended = yield* Clock.currentTimeMillis
        if (audit !== undefined)
          yield* audit(Either.isLeft(result) ? result.left.code : "ok", ended - started)
        return result
      }),
      { signal }
    )
    if (Either.isLeft(outcome)) throw JsonRpcError.fromBody(outcome.left)
    return outcome.right
  }
  /** An unknown tool or prompt name: -32602 naming `name`, as a bad argument would be. */
  const unknownName = (kind: string, name: string, listing: string) =>
    JsonRpcError.fromBody({
      code: "validation_failed",
      message: `Unknown ${kind} ${JSON.stringify(name.slice(0, 100))}; ${listing} names every ${kind}`,
      details: { fieldErrors: [{ field: "name", message: `is not a ${kind} of this server` }] }
    })

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: tools.map(listed) }))
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = find(request.params.name)
    if (tool === undefined) throw unknownName("tool", request.params.name, "tools/list")
    const args = request.params.arguments ?? {}
    const json = await answer(ToolCall.call(tool, caller, args), extra.signal, (outcome, durationMs) =>
      CallAudit.record(caller, tool.name, args, outcome, durationMs)
    )
    return resultOf(json)
  })

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [...listedResources] }))
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [...listedTemplates]
  }))
  server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
    answer(ResourceRead.read(caller, request.params.uri), extra.signal)
  )

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: PromptTable.prompts.map(PromptTable.listed)
  }))
  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const prompt = PromptTable.find(request.params.name)
    if (prompt === undefined) throw unknownName("prompt", request.params.name, "prompts/list")
    return answer(PromptTable.get(prompt, request.params.arguments ?? {}), extra.signal)
  })
  return server
}
