/**
 * The loopback MCP server the engine and replica benches check, run as a child process
 * (`support/mcpTarget.ts` starts it) so that its CPU is its own: Streamable HTTP with sessions and
 * JSON answers, one tool `ping` that waits `BENCH_TARGET_DELAY_MS` and answers "ok". Every call is
 * recorded by its `monitor` argument with its arrival time, so that the bench counts executions
 * here, at the target, rather than trusting the rows the server wrote: `GET /calls` answers
 * `{ [monitor]: [epoch ms, …] }`.
 */
import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js"
import { z } from "zod"

const delayMs = Number(process.env.BENCH_TARGET_DELAY_MS ?? 0)
const calls = new Map<string, number[]>()

const makeServer = () => {
  const server = new McpServer({ name: "bench-target", version: "0.0.0" })
  server.registerTool(
    "ping",
    {
      description: "Answers ok after a fixed delay; counts calls by monitor",
      inputSchema: { monitor: z.string() },
      annotations: { readOnlyHint: true }
    },
    async ({ monitor }) => {
      const at = Date.now()
      const list = calls.get(monitor)
      if (list === undefined) calls.set(monitor, [at])
      else list.push(at)
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
      return { content: [{ type: "text", text: "ok" }] }
    }
  )
  return server
}

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString("utf8")
  return text ? JSON.parse(text) : undefined
}

const sessions = new Map<string, StreamableHTTPServerTransport>()

const http = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? "/", "http://localhost")
    if (url.pathname === "/calls") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(Object.fromEntries(calls)))
      return
    }
    if (url.pathname !== "/mcp") {
      res.writeHead(404).end()
      return
    }
    const body = req.method === "POST" ? await readBody(req) : undefined
    const id = req.headers["mcp-session-id"]
    let transport = typeof id === "string" ? sessions.get(id) : undefined
    if (transport === undefined) {
      if (!isInitializeRequest(body)) {
        res.writeHead(404, { "content-type": "text/plain" }).end("unknown session")
        return
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (sid) => {
          sessions.set(sid, created)
        }
      })
      created.onclose = () => {
        if (created.sessionId !== undefined) sessions.delete(created.sessionId)
      }
      await makeServer().connect(created)
      transport = created
    }
    await transport.handleRequest(req, res, body)
  } catch (error) {
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end(String(error))
  }
})
http.keepAliveTimeout = 60_000
http.listen(0, "127.0.0.1", () => console.log(`listening ${(http.address() as AddressInfo).port}`))
process.on("SIGTERM", () => process.exit(0))
