/**
 * `npm start`: the demo shop MCP server plus an Armature server on the embedded database with
 * `armature.config.ts` applied, in one terminal. Ctrl-C stops both (Armature drains first).
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { startDemoServer } from "./demo-mcp-server/server.js"

const demoPort = Number(process.env.DEMO_PORT ?? 3333)
const demo = await startDemoServer({ port: demoPort })
const bin = fileURLToPath(new URL("../packages/server/dist/armature.mjs", import.meta.url))
const config = fileURLToPath(new URL("./armature.config.ts", import.meta.url))
const port = process.env.PORT ?? "4100"
const base = `http://127.0.0.1:${port}`

console.log(`demo-shop MCP server on ${demo.url}`)
console.log(
  [
    "",
    "Try:",
    `  open ${base}/ in a browser and sign in with the owner key printed below (the dashboard)`,
    `  curl -s ${base}/api/armature/v1/monitors -H "Authorization: Bearer <owner key>"`,
    `  node packages/server/dist/armature.mjs status --url ${base} --key <owner key>`,
    `  curl -s -X POST http://127.0.0.1:${demoPort}/regression -d '{"on":true}'   # inject a regression`,
    ""
  ].join("\n")
)

const armature = spawn(process.execPath, [bin, "serve", "--apply", config], {
  stdio: "inherit",
  env: {
    ...process.env,
    PORT: port,
    DEMO_MCP_URL: demo.url,
    // The demo server listens on loopback, which the connector refuses by default (SSRF guard).
    ARMATURE_ALLOW_LOOPBACK: "true"
  }
})
const stop = (signal: NodeJS.Signals) => armature.kill(signal)
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
armature.on("exit", async (code) => {
  await demo.close()
  process.exit(code ?? 0)
})
