/**
 * A tiny MCP server for latency budgets: `lookup` answers after `state.delayMs`, switchable at
 * run time. Stateless Streamable HTTP on 127.0.0.1 with a free port.
 */
import { createServer, type IncomingMessage } from "node:http"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { z } from "zod"

export interface SlowServerState {
  delayMs: number
}

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString("utf8")
  return text ? JSON.parse(text) : undefined
}

const makeServer = (state: SlowServerState) => {
  const server = new McpServer({ name: "slow", version: "1.0.0" })
  server.registerTool(
    "lookup",
    {
      description: "Looks an item up.",
      inputSchema: { id: z.string() },
      annotations: { readOnlyHint: true }
    },
    async ({ id }) => {
      await new Promise((resolve) => setTimeout(resolve, state.delayMs))
      return { content: [{ type: "text", text: `item ${id}` }] }
    }
  )
  return server
}

export const startSlowServer = async () => {
  const state: SlowServerState = { delayMs: 0 }
  const http = createServer(async (req, res) => {
    try {
      const body = req.method === "POST" ? await readBody(req) : undefined
      const server = makeServer(state)
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true })
      res.on("close", () => {
        void transport.close()
        void server.close()
      })
      await server.connect(transport)
      await transport.handleRequest(req, res, body)
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error))
    }
  })
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve))
  const address = http.address()
  const port = typeof address === "object" && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      })
  }
}
