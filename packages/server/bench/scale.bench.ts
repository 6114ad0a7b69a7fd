/**
 * `npm run bench:scale -w @armature/server`: reads at scale, issue 17's goal: with 1M runs and
 * 20M tool calls stored, `GET /runs` (what `search_runs` reads: `Runs.search`) for every filter
 * and the coverage report at p95 ≤ 20 ms with 8 concurrent readers.
 *
 * The bundled server (`dist/armature.mjs serve`) on a fresh PostgreSQL database stores, through
 * its API, the demo MCP server (probed: its catalog is the coverage report's tool list), a second
 * registration of it ("staging"), nine workflows and three runs executed by its worker against a
 * scripted model. Then `support/seedScale.ts` writes `BENCH_SCALE_RUNS` (1,000,000) runs with
 * `BENCH_SCALE_CALLS` (20) tool calls each for those workflows with SQL `generate_series`, builds
 * the indexes and vacuums and analyses; each step is timed and printed with the tables' sizes.
 *
 * Load through the server, as users read: `BENCH_SCALE_READERS` (8) closed loops on keep-alive
 * sockets, every request authenticated by the owner key and answered 200. One workload per
 * filter of `RunFilter` alone (a rarely run workflow, the staging server, status `fail`, `before`
 * 15 days ago, `after` 24 h ago, searches for a workflow-name word, a pasted run id prefix, a deploy
 * note's version (a reason) and the name of a workflow that ran only in the oldest quarter), the unfiltered first page and the
 * second page by its cursor, the coverage report of the demo server; baseline `GET /runs/{id}` (a
 * primary-key read of one run) on the same server and readers. `BENCH_SCALE_SECONDS` (5) per
 * workload and round, `BENCH_SCALE_ROUNDS` (5) rounds after a warm-up, the order rotating each
 * round. The ratio printed is p95 ÷ the baseline's p95 in the same round: on this 2-core machine,
 * shared by server, database and readers, the latency of 8 closed loops is mostly queueing behind
 * each other, which the baseline shows. Then the same reads through the store alone (`PgStore`
 * in this process, a connection per reader, `BENCH_SCALE_STORE_SECONDS` (2) per workload and
 * round, baseline `getRun`; the coverage report as core makes it, its five reads and the
 * computation): what the reads cost without the server's HTTP, auth and encoding, the "server"
 * CPU column being this process's.
 *
 *   npm run build && cd packages/server && npx tsx bench/scale.bench.ts
 *   BENCH_SCALE_RUNS=50000 npx tsx bench/scale.bench.ts     # a quick check
 *
 * `BENCH_SCALE_ONLY=coverage` measures only the goal workloads whose name holds it (each phase
 * keeps its baseline); its results replace theirs in bench/results/scale.json, the others are kept.
 *
 * `BENCH_CPU_PROF=<dir>` starts the server with `--cpu-prof` into that directory (written when it
 * exits), to see where its time goes. Writes bench/results/scale.json. No timing is asserted.
 */
import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { type Caller, Coverage, type RunFilter, RunStore } from "@armature/core"
import { PgStore } from "@armature/store-postgres"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { type GoalResult, writeResults } from "../../../bench/writeResults.js"
import { backendsOf } from "./support/cpu.js"
import { type BenchDatabase, onFreshDatabase, withSql } from "./support/database.js"
import { keepAliveClient, restClient } from "./support/http.js"
import { warmupSeconds } from "./support/load.js"
import { logger, num } from "./support/report.js"
import { storeRuns } from "./support/seed.js"
import { type ScaleSeed, type ScaleWorkflow, seedScale } from "./support/seedScale.js"
import { startStack } from "./support/stack.js"
import { median, medianOfEach } from "./support/stats.js"
import { measure, type Sample, type Workload } from "./support/workload.js"

const runCount = Number(process.env.BENCH_SCALE_RUNS ?? 1_000_000)
const callsPerRun = Number(process.env.BENCH_SCALE_CALLS ?? 20)
const rounds = Number(process.env.BENCH_SCALE_ROUNDS ?? 5)
const seconds = Number(process.env.BENCH_SCALE_SECONDS ?? 5)
const readers = Number(process.env.BENCH_SCALE_READERS ?? 8)
const storeSeconds = Number(process.env.BENCH_SCALE_STORE_SECONDS ?? 2)
const only = process.env.BENCH_SCALE_ONLY
const goalP95 = 20
const log = logger("scale")
const loadBefore = loadavg()

const keepAlive = keepAliveClient(readers)
const send = keepAlive.send

/** The seeded run number `n`'s id, as `seedScale` makes it (`md5('scale-run-' || n)::uuid`). */
const seededRunId = (n: number) => {
  const h = createHash("md5").update(`scale-run-${n}`).digest("hex")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** The workflows besides `storeRuns`' own, by server, with their share of the runs. */
const moreWorkflows = [
  { name: "Refund request is answered", staging: false, weight: 20 },
  { name: "Product search under a budget", staging: false, weight: 15 },
  { name: "Order cancellation is confirmed", staging: false, weight: 10 },
  { name: "Shipping status in German", staging: false, weight: 10 },
  { name: "Gift card balance", staging: false, weight: 5 },
  // Ran in the oldest quarter only: what a search for an old name has to dig for.
  { name: "Legacy checkout flow", staging: false, weight: 12, retired: true },
  { name: "Staging order lookup", staging: true, weight: 7 },
  { name: "Staging product list", staging: true, weight: 3 }
] as const

const run = async (database: BenchDatabase) => {
  const stack = await startStack(database.url)
  const { demo, server } = stack
  try {
    const rest = restClient(send, server.origin, server.key)
    const stored = await storeRuns(rest, demo.url, 3, log)
    const { server: staging } = await rest("POST", "/mcp-servers", {
      name: "demo-shop-staging",
      baseUrl: demo.url,
      authProfiles: [{ name: "none", kind: "none" }]
    })
    const first = await rest("GET", `/workflows/${stored.workflowId}`)
    const workflows: ScaleWorkflow[] = [
      {
        id: first.id,
        name: first.spec.name,
        versionId: first.currentVersionId,
        version: first.version,
        serverId: stored.serverId,
        weight: 30
      }
    ]
    for (const w of moreWorkflows) {
      const serverId: string = w.staging ? staging.id : stored.serverId
      const created = await rest("POST", "/workflows", {
        name: w.name,
        mcpServerId: serverId,
        prompt: `${w.name}: check it as a customer would.`,
        criteria: [{ text: "The agent looked the order up with get_order" }],
        testerModels: ["openai:gpt-5-mini"],
        judgeModel: "openai:gpt-5-mini"
      })
      workflows.push({
        id: created.id,
        name: w.name,
        versionId: created.currentVersionId,
        version: created.version,
        serverId,
        weight: w.weight,
        retired: "retired" in w
      })
    }
    const orgId: string = first.orgId
    log(`seeding ${runCount.toLocaleString("en-US")} runs × ${callsPerRun} tool calls with generate_series`)
    const seed = await seedScale({ url: database.url, orgId, workflows, runs: runCount, callsPerRun, log })

    const auth = { authorization: `Bearer ${server.key}` }
    const get = (name: string, path: (c: number, n: number) => string): Workload => ({
      name,
      cpuPid: () => [server.pid],
      once: async (c, n) => {
        const res = await send(`${server.origin}/api/armature/v1${path(c, n)}`, "GET", auth)
        return {
          error: res.status === 200 ? null : `${res.status} ${res.text.slice(0, 300)}`,
          bytes: res.bytes
        }
      }
    })
    const now = Date.now()
    const firstPage = await rest("GET", "/runs?limit=20")
    const cursor: string | null = firstPage.nextCursor
    if (cursor === null) throw new Error("the first page of runs has no next page")
    const rare = workflows.find((w) => w.name === "Gift card balance")!
    const before = new Date(now - 15 * 86_400_000)
    const after = new Date(now - 86_400_000)
    // What a user pastes: the first 8 characters of a run id.
    const pastedId = seededRunId(Math.ceil(runCount / 3)).slice(0, 8)
    /** Each filter of `RunFilter` alone, as REST parameters and as the store's filter. */
    const filters: ReadonlyArray<{ name: string; params: string; filter: Omit<RunFilter, "limit"> }> = [
      { name: "first page", params: "", filter: {} },
      { name: "cursor page 2", params: `&cursor=${encodeURIComponent(cursor)}`, filter: { cursor } },
      { name: "workflowId", params: `&workflowId=${rare.id}`, filter: { workflowId: rare.id } },
      { name: "mcpServerId", params: `&mcpServerId=${staging.id}`, filter: { mcpServerId: staging.id } },
      { name: "status=fail", params: "&status=fail", filter: { status: "fail" } },
      {
        name: "before 15 d",
        params: `&before=${encodeURIComponent(before.toISOString())}`,
        filter: { before }
      },
      { name: "after 24 h", params: `&after=${encodeURIComponent(after.toISOString())}`, filter: { after } },
      { name: "search name", params: "&search=refund", filter: { search: "refund" } },
      { name: "search run id", params: `&search=${pastedId}`, filter: { search: pastedId } },
      // A reason of 2 % of the runs, about 20 among the newest 1,000: the page may not fill there.
      { name: "search reason", params: "&search=v2.14.0", filter: { search: "v2.14.0" } },
      { name: "search old name", params: "&search=legacy", filter: { search: "legacy" } }
    ]
    // Ids of seeded runs spread over the whole history: the baseline reads one by primary key.
    const sampleIds = Array.from({ length: 1000 }, (_, i) => seededRunId(1 + ((i * 7919) % runCount)))
    const idOf = (c: number, n: number) => sampleIds[(c * 131 + n) % sampleIds.length]!
    const pgPids = () => backendsOf(database.name)

    const viaServer = await phase(
      "server",
      get("GET /runs/{id}", (c, n) => `/runs/${idOf(c, n)}`),
      [
        ...filters.map((f) => get(`runs: ${f.name}`, () => `/runs?limit=20${f.params}`)),
        get("coverage report", () => `/mcp-servers/${stored.serverId}/coverage`)
      ],
      seconds,
      pgPids
    )

    // The stand-in for this machine: the same reads through the store alone (`PgStore` on a pool
    // of one connection per reader, in this process), without the server's HTTP, auth and JSON.
    const store = ManagedRuntime.make(
      PgStore.layerFromClient.pipe(
        Layer.provide(PgClient.layer({ url: Redacted.make(database.url), maxConnections: readers }))
      )
    )
    // The "server" column is this process: the store and core's CPU, with the loops driving them.
    const call = (
      name: string,
      f: (
        c: number,
        n: number
      ) => Effect.Effect<unknown, unknown, Layer.Layer.Success<typeof PgStore.layerFromClient>>
    ): Workload => ({
      name,
      cpuPid: () => [process.pid],
      once: (c, n) =>
        store.runPromise(f(c, n)).then(
          () => ({ error: null, bytes: 0 }),
          (e: unknown) => ({ error: String(e), bytes: 0 })
        )
    })
    const read = (
      name: string,
      f: (runs: RunStore["Type"], c: number, n: number) => Effect.Effect<unknown, unknown>
    ): Workload => call(name, (c, n) => Effect.flatMap(RunStore, (runs) => f(runs, c, n)))
    // The whole report as core makes it (its five reads and the computation), as the owner.
    const owner: Caller = { orgId, actor: { keyId: null, memberId: null, role: "owner" } }
    try {
      const viaStore = await phase(
        "store",
        read("getRun", (runs, c, n) => runs.getRun(orgId, idOf(c, n))),
        [
          ...filters.map((f) =>
            read(`runs: ${f.name}`, (runs) => runs.searchRuns(orgId, { limit: 20, ...f.filter }))
          ),
          call("coverage report", () => Coverage.report(owner, stored.serverId))
        ],
        storeSeconds,
        pgPids
      )
      const counts = await withSql(
        database.url,
        (sql) =>
          sql<{ runs: number; calls: string }>`SELECT (SELECT count(*) FROM runs)::int AS runs,
          (SELECT coalesce(sum(json_array_length(calls)), 0) FROM run_tool_calls)::bigint::text AS calls`
      )
      return { viaServer, viaStore, seed, counts: counts[0]! }
    } finally {
      await store.dispose()
    }
  } finally {
    keepAlive.close()
    await stack.close()
  }
}

/** What one phase measured: its baseline, its goal workloads, and each one's samples per round. */
interface Phase {
  readonly floor: string
  readonly goals: ReadonlyArray<string>
  readonly samples: ReadonlyMap<string, ReadonlyArray<Sample>>
}

/** A warm-up, then `rounds` rounds of every workload, `duration` s each, the order rotating. */
const phase = async (
  label: string,
  floor: Workload,
  goals: ReadonlyArray<Workload>,
  duration: number,
  pgPids: () => ReadonlyArray<number>
): Promise<Phase> => {
  const chosen = only === undefined ? goals : goals.filter((w) => w.name.includes(only))
  const workloads = [floor, ...chosen]
  log(`${label}: warm-up ${warmupSeconds} s per workload`)
  for (const w of workloads) await measure(w, warmupSeconds, pgPids, readers)
  const samples = new Map<string, Sample[]>(workloads.map((w) => [w.name, []]))
  for (let round = 0; round < rounds; round++) {
    const order = workloads.map((_, i) => workloads[(i + round) % workloads.length]!)
    for (const w of order) samples.get(w.name)!.push(await measure(w, duration, pgPids, readers))
    log(`${label}: round ${round + 1}/${rounds} done`)
  }
  return { floor: floor.name, goals: chosen.map((w) => w.name), samples }
}

const { database, result } = await onFreshDatabase(run)
const seed: ScaleSeed = result.seed

console.log(
  `Reads at scale: armature serve (dist/armature.mjs) on PostgreSQL ${database.version}; ` +
    `${Number(result.counts.runs).toLocaleString("en-US")} runs, ${Number(result.counts.calls).toLocaleString("en-US")} tool calls stored; ` +
    `${readers} readers\n`
)
console.log(`seed: ${(seed.totalMs / 1000).toFixed(1)} s`)
for (const s of seed.steps) console.log(`  ${(s.ms / 1000).toFixed(1).padStart(7)} s  ${s.step}`)
console.log("sizes:")
for (const s of seed.sizes)
  console.log(
    `  ${num(s.bytes / 2 ** 20, 0, 7)} MiB  ${s.relation}${s.rows > 0 ? ` (${num(s.rows, 0, 0)} rows)` : ""}`
  )

const line = (label: string, name: string, s: Sample) =>
  console.log(
    `${label.padStart(5)}  ${name.padEnd(20)} ${num(s.rps)}  ${num(s.p50, 2)}  ${num(s.p95, 2)}  ${num(s.p99, 2)} │ ${num(s.bytes, 0, 10)} │ ${num(s.serverCpu, 2, 18)}  ${num(s.pgCpu, 2, 6)}`
  )

/** Prints a phase per round and its medians; its goal results, p95 as a ratio to its baseline's. */
const report = (title: string, tag: string, p: Phase, duration: number): GoalResult[] => {
  console.log(`\n${title}: ${readers} readers back to back, ${duration} s per workload and round`)
  console.log("cpu ms/req: server process, this database's PostgreSQL backends (/proc, 10 ms ticks)\n")
  console.log(
    "round  workload              req/s   p50 ms   p95 ms   p99 ms │ bytes/resp │ cpu ms/req: server      pg"
  )
  const names = [p.floor, ...p.goals]
  for (let round = 0; round < rounds; round++)
    for (const name of names) line(String(round + 1), name, p.samples.get(name)![round]!)
  const summary = new Map(names.map((name) => [name, medianOfEach(p.samples.get(name)!)] as const))
  console.log(`\nmedian of ${rounds} rounds:`)
  for (const name of names) line("", name, summary.get(name)!)
  const floor = summary.get(p.floor)!
  console.log(`\ngoal: p95 ≤ ${goalP95} ms; ratio: p95 ÷ ${p.floor}'s p95 in the same round`)
  return p.goals.map((name) => {
    const perRound = p.samples.get(name)!
    const s = summary.get(name)!
    const ratios = perRound.map((r, i) => r.p95 / p.samples.get(p.floor)![i]!.p95)
    const met = s.p95 <= goalP95
    console.log(
      `  ${name.padEnd(20)} p95 ${s.p95.toFixed(1).padStart(6)} ms (${median(ratios).toFixed(2)}× ${p.floor}), ` +
        `rounds ${perRound.map((r) => r.p95.toFixed(1)).join(" / ")}: ${met ? "MET" : "MISSED"}`
    )
    return {
      goal: `${tag}${name}: p95 ≤ ${goalP95} ms, ${readers} readers, ${runCount} runs`,
      met,
      unit: "ms p95",
      value: s.p95,
      baseline: { name: `${tag}${p.floor}`, value: floor.p95, ratio: median(ratios) },
      rounds: perRound.map((r) => r.p95),
      details: {
        rps: s.rps,
        p50Ms: s.p50,
        p99Ms: s.p99,
        serverCpuMsPerReq: s.serverCpu,
        pgCpuMsPerReq: s.pgCpu
      }
    }
  })
}

const results = [
  ...report("Through the server (REST, owner key)", "", result.viaServer, seconds),
  ...report(
    "Store alone (stand-in: PgStore in this process, no HTTP)",
    "store: ",
    result.viaStore,
    storeSeconds
  )
]
// A partial run (`BENCH_SCALE_ONLY`) keeps the earlier results of the goals it did not measure,
// when they were measured on as many runs.
const previousFile = new URL("../../../bench/results/scale.json", import.meta.url)
const previous: { setup: { runs: number }; results: ReadonlyArray<GoalResult> } | undefined =
  only !== undefined && existsSync(previousFile) ? JSON.parse(readFileSync(previousFile, "utf8")) : undefined
const kept =
  previous?.setup.runs === runCount
    ? previous.results.filter((r) => !results.some((m) => m.goal === r.goal))
    : []
const file = writeResults(
  "scale",
  [...kept, ...results],
  {
    ...(only === undefined ? {} : { only, keptFromEarlierRuns: kept.map((r) => r.goal) }),
    runs: runCount,
    callsPerRun,
    readers,
    seconds,
    storeSeconds,
    rounds,
    postgres: database.version,
    seedSeconds: seed.totalMs / 1000,
    seedSteps: seed.steps,
    sizes: seed.sizes
  },
  loadBefore
)
console.log(`\nwritten: ${file}`)
