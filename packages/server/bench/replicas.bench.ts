/**
 * Replicas add capacity, issue 17's goal: several `armature serve` processes (the bundle) on one
 * PostgreSQL database check the same monitors; 2 replicas ≥ 1.8× and 3 replicas ≥ 2.5× the
 * checks/s of one, with 0 duplicate executions (counted at the target) and 0 lost fires.
 *
 * So that the limit is each replica's monitor concurrency and not this machine's two cores, the
 * target's tool takes `BENCH_TARGET_DELAY_MS` (200 ms) and each replica runs with
 * `ARMATURE_MONITOR_CONCURRENCY=8`: one replica serves ~40 checks/s. `BENCH_REPLICAS_MONITORS`
 * (2,000) monitors every 10 s offer 200 checks/s, more than three replicas serve. Rounds of
 * `BENCH_REPLICAS_SECONDS` (60) each, in one run: 1, 2, 3 replicas under that load (capacity,
 * duplicates), then 3 replicas at ~75 % of what they served (every due fire must be checked within
 * its interval: lost fires). Fires are spread evenly over the interval from each round's start;
 * served and lateness come from `monitor_checks`, duplicates and lost fires from the calls the
 * target counted by monitor.
 *
 *   npx tsx packages/server/bench/replicas.bench.ts
 *   BENCH_REPLICAS_SECONDS=20 npx tsx packages/server/bench/replicas.bench.ts   # quick
 *
 * Writes bench/results/replicas.json. No timing is asserted.
 */
import { randomBytes } from "node:crypto"
import { loadavg } from "node:os"
import { type GoalResult, writeResults } from "../../../bench/writeResults.js"
import { backendsCpuOf, cpuOf } from "./support/cpu.js"
import { type BenchDatabase, onFreshDatabase } from "./support/database.js"
import { keepAliveClient, restClient } from "./support/http.js"
import { startTarget } from "./support/mcpTarget.js"
import {
  type BenchMonitor,
  createMonitors,
  type FireReport,
  pauseAll,
  readRun,
  registerTarget,
  schedule
} from "./support/monitorFires.js"
import { logger, num } from "./support/report.js"
import { noRateLimits, startReplica, startServer } from "./support/serverProcess.js"
import { sleep } from "./support/wait.js"

const monitorCount = Number(process.env.BENCH_REPLICAS_MONITORS ?? 2000)
const intervalSeconds = 10
const seconds = Number(process.env.BENCH_REPLICAS_SECONDS ?? 60)
const delayMs = Number(process.env.BENCH_TARGET_DELAY_MS ?? 200)
const concurrency = Number(process.env.ARMATURE_MONITOR_CONCURRENCY ?? 8)
/** Share of the replicas' measured capacity offered in the lost-fires round. */
const underLoad = 0.75
const goal = { two: 1.8, three: 2.5 }
const log = logger("replicas")
const loadBefore = loadavg()

interface Round {
  readonly label: string
  readonly replicas: number
  readonly report: FireReport
  readonly cpu: { readonly server: number; readonly pg: number; readonly target: number }
}

const run = async (database: BenchDatabase) => {
  const target = await startTarget(delayMs)
  const env = {
    ...noRateLimits,
    ARMATURE_SECRET_KEY: randomBytes(32).toString("base64"),
    ARMATURE_MONITOR_CONCURRENCY: String(concurrency)
  }
  const first = await startServer(database.url, env)
  const replicas: Array<{ readonly pid: number; readonly stop: () => Promise<void> }> = [first]
  const http = keepAliveClient(8)
  try {
    const rest = restClient(http.send, first.origin, first.key)
    const serverId = await registerTarget(rest, target.url)
    log(`creating ${monitorCount} monitors (every ${intervalSeconds} s)`)
    const monitors = await createMonitors(rest, serverId, monitorCount, intervalSeconds)

    const rounds: Round[] = []
    const measureRound = async (label: string, count: number, subset: ReadonlyArray<BenchMonitor>) => {
      while (replicas.length < count) replicas.push(await startReplica(database.url, env))
      while (replicas.length > count) await replicas.pop()!.stop()
      const s = await schedule(database.url, subset, intervalSeconds, Date.now() + 2000)
      await sleep(s.startAt - Date.now())
      log(`${label}: ${count} replica(s), ${subset.length / intervalSeconds} checks/s offered, ${seconds} s`)
      const serverCpu = cpuOf(replicas.map((r) => r.pid))
      const pgCpu = backendsCpuOf(database.name)
      const targetCpu = cpuOf([target.pid])
      await sleep(s.startAt + seconds * 1000 - Date.now())
      const endAt = Date.now()
      const cpu = { server: serverCpu(), pg: pgCpu(), target: targetCpu() }
      await pauseAll(database.url)
      // Checks claimed before the pause finish (and are recorded) before the counts are read.
      await sleep(3000 + delayMs)
      const report = await readRun(database.url, s, endAt, await target.calls())
      rounds.push({ label, replicas: count, report, cpu })
      return report
    }

    const one = await measureRound("capacity", 1, monitors)
    await measureRound("capacity", 2, monitors)
    await measureRound("capacity", 3, monitors)
    const lossless = Math.min(
      monitorCount,
      Math.floor(underLoad * rounds[2]!.report.served * intervalSeconds)
    )
    await measureRound("lost fires", 3, monitors.slice(0, lossless))
    return { rounds, one: one.served }
  } catch (error) {
    throw new Error(`${error}\n${first.output()}`)
  } finally {
    http.close()
    for (const r of replicas.reverse()) await r.stop()
    await target.stop()
  }
}

const { database, result } = await onFreshDatabase(run)
const { rounds, one } = result

console.log(
  `Replicas: armature serve (dist/armature.mjs) processes on one PostgreSQL ${database.version} database, ` +
    `monitor concurrency ${concurrency} each, target tool ${delayMs} ms, monitors every ${intervalSeconds} s, ` +
    `${seconds} s per round`
)
console.log(
  "served and lateness from monitor_checks; duplicates (calls − checks, per monitor), slots called twice and lost fires at the target;\n" +
    "CPU in % of one core: all replicas, this database's PostgreSQL backends, the target\n"
)
console.log(
  "round        replicas  offered/s  served/s  × one  p50 ms   p99 ms │ dups  twice  lost/due     │ cpu% srv   pg  target"
)
for (const r of rounds) {
  const x = r.report
  const pct = (ms: number) => num((ms / (x.seconds * 1000)) * 100, 0, 4)
  console.log(
    `${r.label.padEnd(12)} ${num(r.replicas, 0, 8)}  ${num(x.offered, 0, 9)}  ${num(x.served, 1, 8)}  ${(x.served / one).toFixed(2).padStart(5)}  ${num(x.latenessP50Ms, 0, 6)}  ${num(x.latenessP99Ms, 0, 7)} │ ${num(x.duplicates, 0, 4)}  ${num(x.doubleSlots, 0, 5)}  ${`${x.lost}/${x.dueFires}`.padStart(11)}  │ ${pct(r.cpu.server)}  ${pct(r.cpu.pg)}  ${pct(r.cpu.target)}`
  )
  console.log(`${"".padEnd(12)} per 10 s: ${x.windows.map((w) => num(w.served, 1, 1)).join(", ")}`)
}

const capacity = rounds.filter((r) => r.label === "capacity")
const lossless = rounds.find((r) => r.label === "lost fires")!
const duplicates = rounds.reduce((n, r) => n + r.report.duplicates + r.report.doubleSlots, 0)
const ratio = (n: number) => capacity.find((r) => r.replicas === n)!.report.served / one
const results: GoalResult[] = [
  ...[
    { n: 2, want: goal.two },
    { n: 3, want: goal.three }
  ].map(({ n, want }): GoalResult => {
    const r = capacity.find((c) => c.replicas === n)!.report
    return {
      goal: `${n} replicas ≥ ${want}× the checks/s of one (tool ${delayMs} ms, monitor concurrency ${concurrency})`,
      met: ratio(n) >= want,
      unit: "checks/s",
      value: r.served,
      baseline: { name: "one replica, same run", value: one, ratio: ratio(n) },
      rounds: r.windows.map((w) => w.served),
      details: { latenessP50Ms: r.latenessP50Ms, latenessP99Ms: r.latenessP99Ms, duplicates: r.duplicates }
    }
  }),
  {
    goal: "0 duplicate executions (counted at the target) in every round",
    met: duplicates === 0,
    unit: "executions",
    value: duplicates,
    rounds: rounds.map((r) => r.report.duplicates + r.report.doubleSlots)
  },
  {
    goal: `0 lost fires: every due fire checked within its interval (3 replicas, ${Math.round(underLoad * 100)} % of their capacity offered)`,
    met: lossless.report.lost === 0,
    unit: "fires",
    value: lossless.report.lost,
    rounds: lossless.report.windows.map((w) => w.served),
    details: {
      dueFires: lossless.report.dueFires,
      offeredPerSecond: lossless.report.offered,
      servedPerSecond: lossless.report.served,
      latenessP99Ms: lossless.report.latenessP99Ms
    }
  }
]
console.log()
for (const r of results)
  console.log(
    `goal: ${r.goal}: ${r.value.toFixed(r.unit === "checks/s" ? 1 : 0)} ${r.unit}${r.baseline ? ` (${r.baseline.ratio.toFixed(2)}×)` : ""}: ${r.met ? "MET" : "MISSED"}`
  )
const file = writeResults(
  "replicas",
  results,
  {
    monitors: monitorCount,
    intervalSeconds,
    seconds,
    concurrency,
    targetDelayMs: delayMs,
    postgres: database.version
  },
  loadBefore
)
console.log(`\nwritten: ${file}`)
