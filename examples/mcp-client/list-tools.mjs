#!/usr/bin/env node
/**
 * A standard MCP client in plain Node, without any MCP SDK: raw JSON-RPC 2.0 over Streamable HTTP
 * with `fetch`. It initializes, lists the tools and calls one, which is all any MCP client does
 * to use Armature's API, so it shows what travels on the wire (and works against any Streamable
 * HTTP MCP server that takes a bearer token).
 *
 *   ARMATURE_API_KEY=amt_… node examples/mcp-client/list-tools.mjs https://armature.example.com/api/mcp \
 *     [tool] [json-arguments]
 *
 * The URL may also come from ARMATURE_MCP_URL, the key from `--key amt_…` (env is better: argv
 * shows in `ps`). The tool defaults to get_organization_health with `{}`. Prints the server, the
 * tools and the tool's result to stdout; a JSON-RPC error goes to stderr, with exit code 1.
 */
import process from "node:process"

const args = process.argv.slice(2)
const keyAt = args.indexOf("--key")
const key = keyAt === -1 ? process.env.ARMATURE_API_KEY : args.splice(keyAt, 2)[1]
const [url = process.env.ARMATURE_MCP_URL, tool = "get_organization_health", json = "{}"] = args

if (!url || !key) {
  console.error("usage: ARMATURE_API_KEY=amt_… list-tools.mjs <mcp-url> [tool] [json-arguments]")
  process.exit(2)
}

let nextId = 1
let sessionId
let protocolVersion

class RpcError extends Error {
  constructor(error) {
    super(`JSON-RPC error ${error.code}: ${error.message}`)
    this.rpc = error
  }
}

/** One message POSTed; for a request, its response (the body is JSON, or an SSE stream of messages). */
const post = async (message) => {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${key}`,
      ...(sessionId ? { "mcp-session-id": sessionId } : {}),
      ...(protocolVersion ? { "mcp-protocol-version": protocolVersion } : {})
    },
    body: JSON.stringify(message)
  })
  sessionId = response.headers.get("mcp-session-id") ?? sessionId
  const text = await response.text()
  if (!("id" in message)) {
    if (!response.ok) throw new Error(`${message.method}: HTTP ${response.status} ${text}`)
    return undefined
  }
  const type = response.headers.get("content-type") ?? ""
  const messages = type.startsWith("text/event-stream")
    ? text
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => JSON.parse(line.slice(5)))
    : type.startsWith("application/json")
      ? [JSON.parse(text)].flat()
      : []
  const answer = messages.find((m) => m.id === message.id) ?? messages.find((m) => m.id === null && m.error)
  if (answer === undefined) throw new Error(`${message.method}: HTTP ${response.status} ${text}`)
  if (answer.error) throw new RpcError(answer.error)
  return answer.result
}

const request = (method, params) => post({ jsonrpc: "2.0", id: nextId++, method, params })

try {
  const init = await request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "list-tools.mjs", version: "1.0.0" }
  })
  protocolVersion = init.protocolVersion
  console.log(`server: ${init.serverInfo.name} ${init.serverInfo.version} (protocol ${protocolVersion})`)
  await post({ jsonrpc: "2.0", method: "notifications/initialized" })

  const tools = []
  let cursor
  do {
    const page = await request("tools/list", cursor ? { cursor } : {})
    tools.push(...page.tools)
    cursor = page.nextCursor
  } while (cursor)
  console.log(`tools (${tools.length}):`)
  for (const t of tools)
    console.log(`  ${t.name} — ${t.title ?? t.annotations?.title ?? t.description ?? ""}`)

  const result = await request("tools/call", { name: tool, arguments: JSON.parse(json) })
  console.log(`${tool}:`)
  console.log(JSON.stringify(result.structuredContent ?? result.content, null, 2))
  if (result.isError) process.exitCode = 1
} catch (error) {
  if (error instanceof RpcError) {
    console.error(error.message)
    if (error.rpc.data !== undefined) console.error(JSON.stringify(error.rpc.data, null, 2))
  } else {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`)
  }
  process.exitCode = 1
}
