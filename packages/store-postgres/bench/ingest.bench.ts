/**
 * Ingest on the server's path (issue 17): workflow runs created, started and completed — the run,
 * its 20 tool calls, the judge's verdicts and its alert outbox row — by 8 concurrent workers
 * through `PgStore.layer` and core's use cases, the store calls the server makes for each run
 * (bench/support/runLifecycle.ts lists them). Goal ≥ 2,000 runs/s on PostgreSQL.
 *
 * Baseline in the same run: the rows each completed run leaves, written as bare INSERTs in one
 * transaction per run by 8 workers on the same pool, so the ratio is our overhead. `BENCH_INGEST_ROUNDS`
 * (5) rounds of `BENCH_INGEST_SECONDS` (4) per workload after a warm-up, the order alternating
 * each round; per round runs/s, p50/p99 per completed run, and the CPU this database's backends
 * spent per run (/proc).
 *
 *   npm run bench -w @armature/store-postgres
 *   npx tsx --conditions=@armature/source packages/store-postgres/bench/ingest.bench.ts
 *
 * PostgreSQL from ARMATURE_BENCH_DATABASE_URL (or ARMATURE_TEST_DATABASE_URL); a fresh database is
 * created and dropped. Writes bench/results/ingest.json. No timing is asserted.
 */
import { randomBytes } from "node:crypto"
import { cpus, loadavg } from "node:os"
import { IdsLayer, type Run, Workflows } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer, Redacted } from "effect"
import { type GoalResult, writeResults } from "../../../bench/writeResults.js"
import { backendsCpuOf } from "../../server/bench/support/cpu.js"
import { logger, num } from "../../server/bench/support/report.js"
import { median, pct } from "../../server/bench/support/stats.js"
import { PgSecretStore, PgStore } from "../src/index.js"
import { freshDatabase } from "./support/freshDatabase.js"
import { type Lane, nextFire, setup } from "./support/ingestWorkflows.js"
import { bareRows, ended, failsAt, serverPath } from "./support/runLifecycle.js"

const rounds = Number(process.env.BENCH_INGEST_ROUNDS ?? 5)
const seconds = Number(process.env.BENCH_INGEST_SECONDS ?? 4)
const warmupSeconds = Number(process.env.BENCH_INGEST_WARMUP_SECONDS ?? 2)
const workers = 8
const calls = 20
/** Workflows per worker: a workflow's next fire comes long after its last run ended (no overlap skips). */
const workflowsPerWorker = 25
const goal = 2000
const url =
  process.env.ARMATURE_BENCH_DATABASE_URL ??
  process.env.ARMATURE_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test"
const keys = [Either.getOrThrow(PgSecretStore.parseKey(randomBytes(32).toString("base64")))]
const log = logger("ingest")
const loadBefore = loadavg()

interface Sample {
  readonly runsPerSecond: number
  readonly p50: number
  readonly p99: number
  /** CPU ms of this database's PostgreSQL backends per run. */
  readonly pgCpu: number
  /** CPU ms of this process (the store code and the pg driver) per run. */
  readonly clientCpu: number
  /** p50 of each step of the server's path (0 for the baseline). */
  readonly create: number
  readonly start: number
  readonly complete: number
}

type Op = (
  w: number,
  lane: Lane
) => Effect.Effect<Partial<Record<"create" | "start" | "complete", number>> | null, unknown, never>

/** `workers` loops doing `op` back to back for `secs`; the rate, latencies and CPU per completed run. */
const drive = (database: string, lanes: ReadonlyArray<Lane>, secs: number, op: Op) =>
  Effect.gen(function* () {
    const latencies: number[] = []
    const steps = { create: [] as number[], start: [] as number[], complete: [] as number[] }
    const cpu = backendsCpuOf(database)
    const client = process.cpuUsage()
    const start = performance.now()
    const end = start + secs * 1000
    yield* Effect.forEach(
      lanes,
      (lane, w) =>
        Effect.gen(function* () {
          while (performance.now() < end) {
            const began = performance.now()
            const done = yield* op(w, lane)
            if (done === null) continue
            latencies.push(performance.now() - began)
            for (const k of ["create", "start", "complete"] as const)
              if (done[k] !== undefined) steps[k].push(done[k])
          }
        }),
      { concurrency: "unbounded", discard: true }
    )
    const elapsed = performance.now() - start
    const pgMs = cpu()
    const used = process.cpuUsage(client)
    return {
      runsPerSecond: (latencies.length * 1000) / elapsed,
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      pgCpu: pgMs / Math.max(1, latencies.length),
      clientCpu: (used.user + used.system) / 1000 / Math.max(1, latencies.length),
      create: steps.create.length === 0 ? 0 : median(steps.create),
      start: steps.start.length === 0 ? 0 : median(steps.start),
      complete: steps.complete.length === 0 ? 0 : median(steps.complete)
    } satisfies Sample
  })

/** The server's store: `PgStore.layer` (10 connections, shared by the workers) and random ids. */
const storeLayerFor = (databaseUrl: string) =>
  Layer.merge(
    PgStore.layer({ url: Redacted.make(databaseUrl), maxConnections: 10, secretKeys: keys }),
    IdsLayer.layer
  )
type Env = Layer.Layer.Success<ReturnType<typeof storeLayerFor>>

const program = Effect.gen(function* () {
  const db = yield* freshDatabase(url)
  const database = new URL(db.url).pathname.slice(1)
  return yield* Effect.gen(function* () {
    const lanes = yield* setup(workers, workflowsPerWorker)
    const context = yield* Effect.context<Env>()
    const run = <A, E>(effect: Effect.Effect<A, E, Env>) => Effect.orDie(Effect.provide(effect, context))
    const versions = yield* Workflows.pinnedVersions()
    const path: Op = (w, lane) => {
      const { workflow, fireAt, n } = nextFire(lane)
      return run(serverPath(`bench-worker-${w}`, versions, workflow, fireAt, calls, n))
    }
    // The baseline writes the same rows for workflows and rules of its own organization, so that
    // its rule updates never meet the path's rules.
    const baseLanes = yield* setup(workers, workflowsPerWorker)
    const bare: Op = (_w, lane) => {
      const { workflow, ruleId, fireAt, n } = nextFire(lane)
      const pending: Run = {
        id: crypto.randomUUID(),
        orgId: workflow.orgId,
        workflowId: workflow.id,
        workflowVersionId: workflow.currentVersionId,
        workflowVersion: workflow.version,
        workflowName: workflow.spec.name,
        mcpServerId: workflow.spec.mcpServerId,
        testerModel: workflow.spec.testerModels[0]!,
        judgeModel: workflow.spec.judgeModel,
        trigger: "scheduled",
        reason: `scheduled:${fireAt.toISOString()}`,
        idempotencyKey: null,
        baselineRunId: null,
        sampleGroupId: null,
        fireAt,
        attempt: 1,
        status: "running",
        createdAt: new Date(),
        startedAt: new Date(),
        finishedAt: null,
        durationMs: null,
        finalAnswer: null,
        toolCalls: [],
        trace: [],
        criteria: [],
        assertions: [],
        usage: [],
        costUsd: 0,
        serverInfo: null,
        catalogHash: null,
        error: null
      }
      return Effect.as(run(bareRows(ended(pending, failsAt(fireAt), calls, n), ruleId, new Date())), {})
    }
    const workloads = [
      { name: "server's path", lanes, op: path },
      { name: "bare INSERTs", lanes: baseLanes, op: bare }
    ] as const
    log(`warm-up: ${warmupSeconds} s per workload`)
    for (const w of workloads) yield* drive(database, w.lanes, warmupSeconds, w.op)
    const samples = new Map<string, Sample[]>(workloads.map((w) => [w.name, []]))
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? workloads : [...workloads].reverse()
      for (const w of order) samples.get(w.name)!.push(yield* drive(database, w.lanes, seconds, w.op))
      log(`round ${round + 1}/${rounds} done`)
    }
    // What the path left, warm-up included: every fire one completed run, a done job and one outbox row.
    const sql = yield* SqlClient.SqlClient
    const [left] = yield* sql<{ runs: number; done: number; outbox: number; jobs: number }>`SELECT
        (SELECT count(*)::int FROM runs WHERE idempotency_key IS NOT NULL AND status IN ('pass', 'fail')) AS runs,
        (SELECT count(*)::int FROM jobs WHERE state = 'done' AND lease_owner IS NOT NULL) AS done,
        (SELECT count(*)::int FROM jobs WHERE lease_owner IS NOT NULL OR state <> 'done') AS jobs,
        (SELECT count(*)::int FROM alert_outbox WHERE message->>'ruleName' <> 'bench') AS outbox`
    const fires = lanes.reduce((n, l) => n + l.fires, 0)
    return { version: db.version, samples, left: { ...left!, fires } }
  }).pipe(Effect.provide(storeLayerFor(db.url)))
})

const { version, samples, left } = await Effect.runPromise(Effect.scoped(program))
const names = ["server's path", "bare INSERTs"] as const

console.log(
  `Ingest on the server's path — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, PostgreSQL ${version}`
)
console.log(
  `${workers} workers on one PgStore pool (10 connections); each run: ${calls} tool calls, 2 verdicts, 1 assertion, 1 outbox row; ${seconds} s per workload and round`
)
console.log(
  "latency: one completed run (fire → claim → start → complete); cpu: this database's backends and this process\n"
)
console.log(
  "round  workload          runs/s   p50 ms   p99 ms │ cpu ms/run: pg  client │ create  start  complete (p50 ms)"
)
const line = (label: string, name: string, s: Sample) =>
  console.log(
    `${label.padStart(5)}  ${name.padEnd(14)} ${num(s.runsPerSecond, 0, 9)} ${num(s.p50, 2, 8)} ${num(s.p99, 2, 8)} │ ${num(s.pgCpu, 2, 14)} ${num(s.clientCpu, 2, 7)} │ ${num(s.create, 2, 6)} ${num(s.start, 2, 6)} ${num(s.complete, 2, 9)}`
  )
for (let round = 0; round < rounds; round++)
  for (const name of names) line(String(round + 1), name, samples.get(name)![round]!)
const med = (name: string, k: keyof Sample) => median(samples.get(name)!.map((s) => s[k]))
const ratios = samples
  .get(names[0])!
  .map((s, i) => s.runsPerSecond / samples.get(names[1])![i]!.runsPerSecond)
const value = med(names[0], "runsPerSecond")
const met = value >= goal
console.log(
  `\nmedian of ${rounds} rounds: server's path ${num(value, 0, 1)} runs/s, bare INSERTs ${num(med(names[1], "runsPerSecond"), 0, 1)} runs/s, ratio ${median(ratios).toFixed(2)}×`
)
console.log(
  `server's path left: ${left.fires} fires → ${left.runs} completed runs, ${left.done} of ${left.jobs} jobs done, ${left.outbox} outbox rows`
)
console.log(
  `goal: ≥ ${goal.toLocaleString("en-US")} completed runs/s with ${workers} workers: ${met ? "MET" : "MISSED"}`
)

const result: GoalResult = {
  goal: `completing runs (run + ${calls} tool calls + verdicts + outbox) on the server's path, ${workers} workers: ≥ ${goal} runs/s`,
  met,
  unit: "runs/s",
  value,
  baseline: {
    name: "bare INSERTs of the same rows, one transaction per run",
    value: med(names[1], "runsPerSecond"),
    ratio: median(ratios)
  },
  rounds: samples.get(names[0])!.map((s) => s.runsPerSecond),
  details: {
    p50Ms: med(names[0], "p50"),
    p99Ms: med(names[0], "p99"),
    pgCpuMsPerRun: med(names[0], "pgCpu"),
    clientCpuMsPerRun: med(names[0], "clientCpu"),
    createP50Ms: med(names[0], "create"),
    startP50Ms: med(names[0], "start"),
    completeP50Ms: med(names[0], "complete"),
    baselineP50Ms: med(names[1], "p50"),
    baselineP99Ms: med(names[1], "p99"),
    baselinePgCpuMsPerRun: med(names[1], "pgCpu")
  }
}
const file = writeResults(
  "ingest",
  [result],
  { workers, calls, seconds, rounds, postgres: version },
  loadBefore
)
console.log(`\nwritten: ${file}`)
