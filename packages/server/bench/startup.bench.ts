/**
 * `npm run bench -w @armature/server`: time to ready of `armature serve` on the embedded default,
 * for a first start (new data dir) and a restart (same data dir), and its RSS 5 s after ready and
 * idle (30 s after ready, when V8 has given back the heap of the start). Each figure is printed
 * beside a baseline measured in the same run: PGlite alone creating / reopening a data dir, and a
 * bare Node process holding an open PGlite.
 *
 * Runs the built, bundled server (`dist/armature.mjs`), as a user would. Last, once: the
 * quickstart's server with the example config and its monitors running, for its RSS.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { PgliteClient } from "@armature/store-postgres"
import { type GoalResult, writeResults } from "../../../bench/writeResults.js"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import { bin, startChild } from "./support/serverProcess.js"
import { sleep } from "./support/wait.js"

const exampleConfig = fileURLToPath(new URL("../../../examples/armature.config.ts", import.meta.url))
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const loadBefore = loadavg()

const rssMb = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"))
  return Number(line?.replace(/\D+/g, "") ?? 0) / 1024
}

/** Starts `argv` and resolves when `ready` matches its output; returns ms, pid and a stopper. */
const startUntil = async (argv: ReadonlyArray<string>, env: Record<string, string>, ready: RegExp) => {
  const t0 = performance.now()
  const started = await startChild("process", argv, { env, ready: (printed) => ready.test(printed) })
  return { ms: started.readyAt - t0, pid: started.pid, stop: started.stop }
}

// The same PGlite the server opens: its start parameters and the pg_trgm extension.
const pgliteOnly = `
const { PGlite } = await import("@electric-sql/pglite")
const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm")
const startParams = ${JSON.stringify(PgliteClient.defaultStartParams)}
const db = await PGlite.create(process.argv[1], { startParams, extensions: { pg_trgm } })
await db.query("SELECT 1")
console.log("ready")
process.on("SIGTERM", async () => { await db.close(); process.exit(0) })
setInterval(() => {}, 1 << 30)
`

/** RSS 5 s after ready, and idle: 30 s after ready. */
const rssAfterReady = async (pid: number) => {
  await sleep(5_000)
  const early = rssMb(pid)
  await sleep(25_000)
  return { early, idle: rssMb(pid) }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const measure = async () => {
  const first: number[] = []
  const restart: number[] = []
  const baseFirst: number[] = []
  const baseRestart: number[] = []
  const rss = { early: [] as number[], idle: [] as number[] }
  const baseRss = { early: [] as number[], idle: [] as number[] }
  const keep = (into: typeof rss, m: { early: number; idle: number }) => {
    into.early.push(m.early)
    into.idle.push(m.idle)
  }
  for (let i = 0; i < rounds; i++) {
    const dir = mkdtempSync(join(tmpdir(), "armature-bench-"))
    const env = { ARMATURE_DATA_DIR: dir, PORT: "0", HOST: "127.0.0.1" }
    const serve = [bin, "serve"]
    const a = await startUntil(serve, env, /Listening on/)
    first.push(a.ms)
    await a.stop()
    const b = await startUntil(serve, env, /Listening on/)
    restart.push(b.ms)
    keep(rss, await rssAfterReady(b.pid))
    await b.stop()

    const baseDir = join(dir, "baseline")
    const c = await startUntil(["--input-type=module", "-e", pgliteOnly, baseDir], {}, /ready/)
    baseFirst.push(c.ms)
    await c.stop()
    const d = await startUntil(["--input-type=module", "-e", pgliteOnly, baseDir], {}, /ready/)
    baseRestart.push(d.ms)
    keep(baseRss, await rssAfterReady(d.pid))
    await d.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  return { first, restart, baseFirst, baseRestart, rss, baseRss }
}

/**
 * The quickstart's server: `serve --apply examples/armature.config.ts` against the demo MCP
 * server, restarted on its data dir, its two monitors checking every minute. RSS 90 s after
 * ready, so at least one round of checks has run since the start.
 */
const withExampleConfig = async () => {
  const demo = await startDemoServer({ port: 0 })
  const dir = mkdtempSync(join(tmpdir(), "armature-bench-"))
  const env = {
    ARMATURE_DATA_DIR: dir,
    PORT: "0",
    HOST: "127.0.0.1",
    DEMO_MCP_URL: demo.url,
    ARMATURE_ALLOW_LOOPBACK: "true"
  }
  const serve = [bin, "serve", "--apply", exampleConfig]
  try {
    await (await startUntil(serve, env, /Listening on/)).stop()
    const b = await startUntil(serve, env, /Listening on/)
    await sleep(90_000)
    const idle = rssMb(b.pid)
    await b.stop()
    return idle
  } finally {
    await demo.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const r = await measure()
const example = await withExampleConfig()
const max = (xs: number[]) => Math.max(...xs)
const row = (label: string, value: number, base: number, unit: string, goal: string) =>
  console.log(
    `${label.padEnd(28)} ${value.toFixed(0).padStart(6)} ${unit}   baseline ${base.toFixed(0).padStart(6)} ${unit}   ratio ${(value / base).toFixed(2)}×   goal ${goal}`
  )
console.log(`armature serve, embedded PGlite, ${rounds} rounds (baseline: PGlite alone, same round)\n`)
console.log(
  "round  first start ms  restart ms  RSS 5 s MB  idle RSS MB │ baseline: first  restart  RSS 5 s  idle"
)
for (let i = 0; i < rounds; i++)
  console.log(
    `${String(i + 1).padStart(5)}  ${r.first[i]!.toFixed(0).padStart(14)}  ${r.restart[i]!.toFixed(0).padStart(10)}  ${r.rss.early[i]!.toFixed(0).padStart(10)}  ${r.rss.idle[i]!.toFixed(0).padStart(11)} │ ${r.baseFirst[i]!.toFixed(0).padStart(15)}  ${r.baseRestart[i]!.toFixed(0).padStart(7)}  ${r.baseRss.early[i]!.toFixed(0).padStart(7)}  ${r.baseRss.idle[i]!.toFixed(0).padStart(4)}`
  )
console.log(`\nmedians of times, largest RSS of ${rounds} rounds:`)
row("time to ready, first start", median(r.first), median(r.baseFirst), "ms", "≤ 8000 ms")
row("time to ready, restart", median(r.restart), median(r.baseRestart), "ms", "≤ 2000 ms")
row("RSS 5 s after ready (max)", max(r.rss.early), max(r.baseRss.early), "MB", "")
row("idle RSS, 30 s after (max)", max(r.rss.idle), max(r.baseRss.idle), "MB", "≤ 200 MB")
row("RSS, example config, 90 s", example, max(r.baseRss.idle), "MB", "")

const result = (
  goal: string,
  value: number,
  limit: number,
  unit: string,
  baseline: string,
  base: number,
  perRound: number[]
): GoalResult => ({
  goal,
  met: value <= limit,
  unit,
  value,
  baseline: { name: baseline, value: base, ratio: value / base },
  rounds: perRound
})
const file = writeResults(
  "startup",
  [
    result(
      "first start ≤ 8 s (median)",
      median(r.first),
      8000,
      "ms",
      "PGlite alone, new data dir",
      median(r.baseFirst),
      r.first
    ),
    result(
      "restart ≤ 2 s (median)",
      median(r.restart),
      2000,
      "ms",
      "PGlite alone, reopened",
      median(r.baseRestart),
      r.restart
    ),
    result(
      "idle RSS ≤ 200 MB (largest)",
      max(r.rss.idle),
      200,
      "MB",
      "PGlite alone, idle",
      max(r.baseRss.idle),
      r.rss.idle
    )
  ],
  { rounds, exampleConfigRssMb: example },
  loadBefore
)
console.log(`\nwritten: ${file}`)
