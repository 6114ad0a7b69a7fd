/**
 * The engine benches' MCP target (`mcpTargetProcess.ts` in a child process): started with a
 * tool delay, asked for the calls it counted, and measured bare — the same `ping` calls from a
 * plain SDK client at a given concurrency, the capacity the engine's checks are compared with.
 */
import { setMaxListeners } from "node:events"
import { fileURLToPath } from "node:url"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { startChild } from "./serverProcess.js"

const script = fileURLToPath(new URL("./mcpTargetProcess.ts", import.meta.url))

/** A running target: its MCP endpoint, pid (for its CPU), the calls it saw by monitor. */
export interface Target {
  readonly url: string
  readonly pid: number
  /** Arrival times (epoch ms) of every `ping` call, by its `monitor` argument. */
  readonly calls: () => Promise<Record<string, ReadonlyArray<number>>>
  readonly stop: () => Promise<void>
}

/** Starts the target whose tool answers after `delayMs`. */
export const startTarget = async (delayMs: number): Promise<Target> => {
  const started = await startChild("MCP target", ["--import", "tsx", script], {
    env: { BENCH_TARGET_DELAY_MS: String(delayMs) },
    ready: (printed) => /listening (\d+)/.test(printed),
    stderr: "inherit"
  })
  const origin = `http://127.0.0.1:${/listening (\d+)/.exec(started.printed)![1]}`
  return {
    url: `${origin}/mcp`,
    pid: started.pid,
    calls: async () => (await (await fetch(`${origin}/calls`)).json()) as Record<string, number[]>,
    stop: started.stop
  }
}

/**
 * `concurrency` loops calling `ping` back to back on one SDK session (as the server's pool shares
 * one per server) for `seconds`; calls per second. The calls are counted under `monitor`.
 */
export const bareCalls = async (url: string, concurrency: number, seconds: number, monitor = "bare") => {
  const client = new Client({ name: "bench-bare", version: "0.0.0" })
  // As the server's transport does: the SDK hands every request the session's one signal, and
  // undici's per-request listeners on it trip Node's leak warning under load without leaking.
  const quiet = (input: string | URL, init?: RequestInit) => {
    if (init?.signal) setMaxListeners(0, init.signal)
    return fetch(input, init)
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: quiet }))
  try {
    let count = 0
    const t0 = performance.now()
    const end = t0 + seconds * 1000
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          await client.callTool({ name: "ping", arguments: { monitor } })
          count++
        }
      })
    )
    return (count * 1000) / (performance.now() - t0)
  } finally {
    await client.close()
  }
}
