/**
 * A small, realistic MCP server for trying Armature: a shop with orders and products, served
 * over Streamable HTTP. `POST /regression` with `{"on": true}` (or `DEMO_REGRESSION=1`) injects a
 * regression: `get_order` renames its argument and starts failing, the way a careless deploy does.
 */

import { createServer, type IncomingMessage, type Server } from "node:http"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { z } from "zod"

const orders = new Map([
  ["A-1001", { orderId: "A-1001", status: "shipped", totalEur: 42.5, items: ["mug", "tea"] }],
  ["A-1002", { orderId: "A-1002", status: "processing", totalEur: 12, items: ["notebook"] }]
])
const products = [
  { sku: "mug", name: "Enamel mug", priceEur: 14 },
  { sku: "tea", name: "Green tea, 100 g", priceEur: 9.5 },
  { sku: "notebook", name: "Dot-grid notebook", priceEur: 12 },
  { sku: "kettle", name: "Gooseneck kettle", priceEur: 59 }
]

export interface DemoServerState {
  regression: boolean
  /** `tools/call` requests received, by tool name: lets tests count what reached the server. */
  calls: Record<string, number>
}

const json = (value: unknown) => ({
  content: [{ type: "text" as const, text: JSON.stringify(value) }],
  structuredContent: value as Record<string, unknown>
})

/** The MCP server with its tools; a new one per request keeps the HTTP endpoint stateless. */
export const makeMcpServer = (state: DemoServerState) => {
  const server = new McpServer({ name: "demo-shop", version: state.regression ? "1.1.0" : "1.0.0" })
  const orderShape = {
    orderId: z.string(),
    status: z.string(),
    totalEur: z.number(),
    items: z.array(z.string())
  }
  if (state.regression) {
    server.registerTool(
      "get_order",
      {
        description: "Look up an order by its id.",
        inputSchema: { order_ref: z.string().describe("Order reference, e.g. A-1001") },
        annotations: { readOnlyHint: true }
      },
      async () => ({
        content: [{ type: "text", text: "internal error: order service timed out" }],
        isError: true
      })
    )
  } else {
    server.registerTool(
      "get_order",
      {
        description: "Look up an order by its id.",
        inputSchema: { orderId: z.string().describe("Order id, e.g. A-1001") },
        outputSchema: orderShape,
        annotations: { readOnlyHint: true }
      },
      async ({ orderId }) => {
        const order = orders.get(orderId)
        return order
          ? json(order)
          : { content: [{ type: "text", text: `no order ${orderId}` }], isError: true }
      }
    )
  }
  server.registerTool(
    "list_products",
    {
      description: "List products, optionally under a maximum price.",
      inputSchema: { maxPriceEur: z.number().optional() },
      outputSchema: {
        products: z.array(z.object({ sku: z.string(), name: z.string(), priceEur: z.number() }))
      },
      annotations: { readOnlyHint: true }
    },
    async ({ maxPriceEur }) =>
      json({ products: products.filter((p) => maxPriceEur === undefined || p.priceEur <= maxPriceEur) })
  )
  server.registerTool(
    "cancel_order",
    {
      description: "Cancel an order. Irreversible.",
      inputSchema: { orderId: z.string() },
      annotations: { destructiveHint: true }
    },
    async ({ orderId }) => {
      const order = orders.get(orderId)
      if (!order) return { content: [{ type: "text", text: `no order ${orderId}` }], isError: true }
      return json({ ...order, status: "cancelled" })
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

/**
 * Starts the demo server; `/mcp` is the MCP endpoint, `/regression` toggles the regression.
 * `toolLatencyMs` holds every tool call's answer back that long (a slow server, for tests).
 */
export const startDemoServer = async (
  options: { port?: number; host?: string; regression?: boolean; toolLatencyMs?: number } = {}
) => {
  const state: DemoServerState = { regression: options.regression ?? false, calls: {} }
  const http: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost")
      if (url.pathname === "/regression" && req.method === "POST") {
        const body = (await readBody(req)) as { on?: boolean } | undefined
        state.regression = body?.on ?? !state.regression
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ regression: state.regression }))
        return
      }
      if (url.pathname !== "/mcp") {
        res.writeHead(404).end()
        return
      }
      const body = req.method === "POST" ? await readBody(req) : undefined
      let toolCall = false
      for (const message of Array.isArray(body) ? body : [body]) {
        const call = message as { method?: string; params?: { name?: string } } | undefined
        if (call?.method === "tools/call" && typeof call.params?.name === "string") {
          state.calls[call.params.name] = (state.calls[call.params.name] ?? 0) + 1
          toolCall = true
        }
      }
      if (toolCall && options.toolLatencyMs) await new Promise((r) => setTimeout(r, options.toolLatencyMs))
      const server = makeMcpServer(state)
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true })
      res.on("close", () => {
        void transport.close()
        void server.close()
      })
      await server.connect(transport)
      await transport.handleRequest(req, res, body)
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end(String(error))
    }
  })
  await new Promise<void>((resolve) =>
    http.listen(options.port ?? 3333, options.host ?? "127.0.0.1", resolve)
  )
  const address = http.address()
  const port = typeof address === "object" && address ? address.port : (options.port ?? 3333)
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}/mcp`,
    state,
    close: () => new Promise<void>((resolve) => http.close(() => resolve()))
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo = await startDemoServer({
    port: Number(process.env.PORT ?? 3333),
    regression: process.env.DEMO_REGRESSION === "1"
  })
  console.log(`demo-shop MCP server on ${demo.url} (regression ${demo.state.regression ? "on" : "off"})`)
}
