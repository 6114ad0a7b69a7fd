/**
 * What the read benches (REST, MCP API, reads at scale) measure against: a scripted
 * OpenAI-compatible model, the demo MCP server, and `armature serve` on the bench database using
 * that model, with rate limits off (`BENCH_CPU_PROF` profiles the server). `close` stops them in
 * reverse.
 */
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { startModel } from "./model.js"
import { noRateLimits, startServer } from "./serverProcess.js"

export const startStack = async (databaseUrl: string) => {
  const model = await startModel()
  const demo = await startDemoServer({ port: 0 })
  const server = await startServer(
    databaseUrl,
    { OPENAI_API_KEY: "bench", OPENAI_BASE_URL: model.baseURL, ...noRateLimits },
    process.env.BENCH_CPU_PROF
  )
  return {
    demo,
    server,
    close: async () => {
      await server.stop()
      await demo.close()
      await model.close()
    }
  }
}
