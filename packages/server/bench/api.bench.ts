/**
 * `npm run bench -w @armature/server`: REST read throughput through the bundled server
 * (`dist/armature.mjs serve`) on PostgreSQL, the issue-17 API goal: `GET /monitors`, `GET /runs`
 * and `GET /runs/{id}` (what `inspect_run` reads) at ≥ 1,500 req/s with p99 ≤ 30 ms for 10
 * clients, each request authenticated by its API key, printed as ratios to `GET /healthz` on the
 * same server in the same round (no key, no store read: the floor of the HTTP stack).
 *
 * Stored first, through the API: 200 monitors of the demo MCP server (hourly, each checked once)
 * and `BENCH_RUNS` (30) workflow runs executed by the server's worker against a scripted
 * OpenAI-compatible model. Load: `BENCH_CLIENTS` (10) closed loops on keep-alive sockets,
 * `BENCH_API_SECONDS` (5) per workload and round, `BENCH_API_ROUNDS` (5) rounds after a warm-up;
 * the workloads' order rotates each round, so drift of a shared machine hits each alike. Every
 * answer must be a 200. CPU per request from /proc: the server, this database's backends, the client.
 *
 *   BENCH_API_ROUNDS=5 BENCH_API_SECONDS=5 npx tsx packages/server/bench/api.bench.ts
 *
 * Writes bench/results/api.json. No timing is asserted.
 */
import { loadavg } from "node:os"
import { type GoalResult, writeResults } from "../../../bench/writeResults.js"
import { backendsOf } from "./support/cpu.js"
import { type BenchDatabase, onFreshDatabase } from "./support/database.js"
import { keepAliveClient, restClient } from "./support/http.js"
import { clients, warmupSeconds } from "./support/load.js"
import { logger, num } from "./support/report.js"
import { storeRuns } from "./support/seed.js"
import { startStack } from "./support/stack.js"
import { median, medianOfEach } from "./support/stats.js"
import { until } from "./support/wait.js"
import { measure, type Sample, type Workload } from "./support/workload.js"

const rounds = Number(process.env.BENCH_API_ROUNDS ?? 5)
const seconds = Number(process.env.BENCH_API_SECONDS ?? 5)
const runCount = Number(process.env.BENCH_RUNS ?? 30)
const monitorCount = 200
const goal = { rps: 1500, p99: 30 }
const log = logger("api")
const loadBefore = loadavg()

const keepAlive = keepAliveClient(clients)
const send = keepAlive.send

const run = async (database: BenchDatabase) => {
  const stack = await startStack(database.url)
  const { demo, server } = stack
  try {
    const rest = restClient(send, server.origin, server.key)
    const { serverId, runIds } = await storeRuns(rest, demo.url, runCount, log)
    log(`storing ${monitorCount} monitors`)
    for (let i = 0; i < monitorCount; i++) {
      await rest("POST", "/monitors", {
        name: `orders ${i}`,
        mcpServerId: serverId,
        toolName: "get_order",
        arguments: { orderId: "A-1001" },
        intervalSeconds: 3600
      })
    }
    // Measured once the worker is idle: the runs passed already, now every monitor checked once.
    await until(
      "monitors checked",
      async () =>
        (await rest("GET", "/monitors?limit=200")).items.every(
          (m: { lastOutcome: string | null }) => m.lastOutcome !== null
        ),
      180
    )

    const auth = { authorization: `Bearer ${server.key}` }
    const serverPid = () => [server.pid]
    const get = (
      name: string,
      path: (c: number, n: number) => string,
      headers: Record<string, string> = auth
    ): Workload => ({
      name,
      cpuPid: serverPid,
      once: async (c, n) => {
        const res = await send(`${server.origin}${path(c, n)}`, "GET", headers)
        return {
          error: res.status === 200 ? null : `${res.status} ${res.text.slice(0, 300)}`,
          bytes: res.bytes
        }
      }
    })
    const floor = get("GET /healthz", () => "/healthz", {})
    const goals = [
      get("GET /monitors", () => "/api/armature/v1/monitors"),
      get("GET /runs", () => "/api/armature/v1/runs?limit=20"),
      get("GET /runs/{id}", (c, n) => `/api/armature/v1/runs/${runIds[(c * 7 + n) % runIds.length]}`)
    ]
    // `BENCH_API_ONLY=monitors` measures only the workloads whose name holds it (with a CPU profile, say).
    const only = process.env.BENCH_API_ONLY
    const chosen = only === undefined ? goals : goals.filter((w) => w.name.includes(only))
    const workloads = [floor, ...chosen]
    const pgPids = () => backendsOf(database.name)
    log(`warm-up: ${warmupSeconds} s per workload`)
    for (const w of workloads) await measure(w, warmupSeconds, pgPids)
    const samples = new Map<string, Sample[]>(workloads.map((w) => [w.name, []]))
    for (let round = 0; round < rounds; round++) {
      const order = workloads.map((_, i) => workloads[(i + round) % workloads.length]!)
      for (const w of order) samples.get(w.name)!.push(await measure(w, seconds, pgPids))
      log(`round ${round + 1}/${rounds} done`)
    }
    return { floor: floor.name, goals: chosen.map((w) => w.name), samples }
  } finally {
    keepAlive.close()
    await stack.close()
  }
}

const { database, result } = await onFreshDatabase(run)

console.log(
  `REST reads: armature serve (dist/armature.mjs) on PostgreSQL ${database.version}, ${clients} clients ` +
    `back to back, ${seconds} s per workload and round; ${monitorCount} monitors, ${runCount} runs stored`
)
console.log(
  "cpu ms/req: server process, this database's PostgreSQL backends, this client (/proc, 10 ms ticks)\n"
)
console.log(
  "round  workload           req/s   p50 ms   p99 ms │ bytes/resp │ cpu ms/req: server      pg  client"
)
const line = (label: string, name: string, s: Sample) =>
  console.log(
    `${label.padStart(5)}  ${name.padEnd(15)} ${num(s.rps)}  ${num(s.p50, 2)}  ${num(s.p99, 2)} │ ${num(s.bytes, 0, 10)} │ ${num(s.serverCpu, 2, 18)}  ${num(s.pgCpu, 2, 6)}  ${num(s.clientCpu, 2, 6)}`
  )
const names = [result.floor, ...result.goals]
for (let round = 0; round < rounds; round++)
  for (const name of names) line(String(round + 1), name, result.samples.get(name)![round]!)
const summary = new Map(names.map((name) => [name, medianOfEach(result.samples.get(name)!)] as const))
console.log(`\nmedian of ${rounds} rounds:`)
for (const name of names) line("", name, summary.get(name)!)

const floor = summary.get(result.floor)!
console.log(
  `\ngoal: ≥ ${num(goal.rps, 0, 1)} req/s with p99 ≤ ${goal.p99} ms; ratio: req/s ÷ ${result.floor} in the same round`
)
const results: GoalResult[] = result.goals.map((name) => {
  const perRound = result.samples.get(name)!
  const s = summary.get(name)!
  const ratios = perRound.map((r, i) => r.rps / result.samples.get(result.floor)![i]!.rps)
  const met = s.rps >= goal.rps && s.p99 <= goal.p99
  console.log(
    `  ${name.padEnd(15)} ${num(s.rps, 0, 6)} req/s (${median(ratios).toFixed(2)}× /healthz), p99 ${s.p99.toFixed(1)} ms: ${met ? "MET" : "MISSED"}`
  )
  return {
    goal: `${name}: ≥ ${goal.rps} req/s with p99 ≤ ${goal.p99} ms, ${clients} clients`,
    met,
    unit: "req/s",
    value: s.rps,
    baseline: { name: result.floor, value: floor.rps, ratio: median(ratios) },
    rounds: perRound.map((r) => r.rps),
    details: { p50Ms: s.p50, p99Ms: s.p99, serverCpuMsPerReq: s.serverCpu, pgCpuMsPerReq: s.pgCpu }
  }
})
const file = writeResults(
  "api",
  results,
  { clients, seconds, rounds, monitors: monitorCount, runs: runCount, postgres: database.version },
  loadBefore
)
console.log(`\nwritten: ${file}`)
