/** The MCP SDK's own client over Streamable HTTP against `/api/mcp`, with a bearer key. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { McpError } from "@modelcontextprotocol/sdk/types.js"

/** A connected client that has listed the tools (so it checks results against their `outputSchema`). */
export const connect = async (origin: string, token: string): Promise<Client> => {
  const client = new Client({ name: "armature-test", version: "0.0.0" })
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${origin}/api/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } }
    })
  )
  await client.listTools()
  return client
}

/** The JSON-RPC error a call fails with; throws when it succeeds. */
export const failure = async (call: Promise<unknown>): Promise<McpError> => {
  try {
    await call
  } catch (error) {
    if (error instanceof McpError) return error
    throw error
  }
  throw new Error("expected the call to fail")
}

/** The ApiError in a JSON-RPC error's `data`. */
export const apiError = (error: McpError) =>
  error.data as {
    code: string
    message: string
    details?: { fieldErrors?: Array<{ field: string; message: string }>; warnings?: string[] }
  }
