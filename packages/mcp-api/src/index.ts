/**
 * @armature/mcp-api — the agent-facing MCP API of Armature (SPEC §9): the tool, resource and
 * prompt tables over core's use cases, JSON-RPC errors from core's error vocabulary, and a
 * stateless Streamable HTTP handler with API-key authentication, mountable in any server.
 */
export * as McpHttp from "./http/Handler.js"
export * as Prompt from "./Prompt.js"
export * as PromptTable from "./PromptTable.js"
export * as JsonRpcError from "./protocol/JsonRpcError.js"
export * as ToolServer from "./protocol/ToolServer.js"
export * as Resource from "./Resource.js"
export * as ResourceTable from "./ResourceTable.js"
export * as Tool from "./Tool.js"
export * as ToolTable from "./ToolTable.js"
