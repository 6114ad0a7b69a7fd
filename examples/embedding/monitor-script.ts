/**
 * Armature from a plain async script, no Effect: register an MCP server, create a monitor, wait
 * for its first check and print it. On the embedded in-memory database, against the demo shop
 * MCP server started beside it.
 *
 *   npm run embedding:script -w @armature/examples
 */
import { createArmature } from "@armature/server"
import { startDemoServer } from "../demo-mcp-server/server.js"

/** Runs the script against the MCP server at `mcpUrl`; resolves to the first check. */
export const main = async (mcpUrl: string) => {
  // #region facade
  const armature = await createArmature({
    database: "memory", // or { url: process.env.DATABASE_URL, secretKey: process.env.ARMATURE_SECRET_KEY }
    network: { allowLoopback: true } // the demo server listens on 127.0.0.1, refused by default
  })
  try {
    const { server } = await armature.registerServer({
      name: "demo-shop",
      transport: "streamable_http",
      baseUrl: mcpUrl
    })
    const monitor = await armature.createMonitor({
      name: "Order lookup answers",
      mcpServerId: server.id,
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: 60,
      assertions: [{ type: "jsonPath", path: "$.status", matches: "^(processing|shipped|delivered)$" }]
    })
    await armature.start() // the scheduler and the worker: the first check is due at once
    return await armature.waitForCheck(monitor.id, { after: monitor.createdAt, timeoutSeconds: 30 })
  } finally {
    await armature.dispose()
  }
  // #endregion facade
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo = await startDemoServer({ port: 0 })
  try {
    const check = await main(demo.url)
    console.log(
      JSON.stringify({ outcome: check.outcome, latencyMs: check.latencyMs, startedAt: check.startedAt })
    )
  } finally {
    await demo.close()
  }
}
