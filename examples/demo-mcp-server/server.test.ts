import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "./server.js"

let demo: Awaited<ReturnType<typeof startDemoServer>>
beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
})
afterAll(() => demo.close())

const connect = async () => {
  const client = new Client({ name: "demo-test", version: "0.0.0" })
  await client.connect(new StreamableHTTPClientTransport(new URL(demo.url)))
  return client
}

describe("demo shop MCP server", () => {
  it("serves orders and products over Streamable HTTP", async () => {
    const client = await connect()
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(["cancel_order", "get_order", "list_products"])
    const result = await client.callTool({ name: "get_order", arguments: { orderId: "A-1001" } })
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toMatchObject({ orderId: "A-1001", status: "shipped" })
    await client.close()
  })

  it("the regression switch renames get_order's argument and makes it fail", async () => {
    const res = await fetch(demo.url.replace("/mcp", "/regression"), { method: "POST", body: '{"on":true}' })
    expect(await res.json()).toEqual({ regression: true })
    const client = await connect()
    const { tools } = await client.listTools()
    const getOrder = tools.find((t) => t.name === "get_order")!
    expect(Object.keys(getOrder.inputSchema.properties ?? {})).toEqual(["order_ref"])
    const result = await client.callTool({ name: "get_order", arguments: { order_ref: "A-1001" } })
    expect(result.isError).toBe(true)
    await client.close()
    await fetch(demo.url.replace("/mcp", "/regression"), { method: "POST", body: '{"on":false}' })
  })
})
