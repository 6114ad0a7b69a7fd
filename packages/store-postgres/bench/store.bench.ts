/**
 * Store benchmark: seeds a run history on PostgreSQL and on PGlite, then prints each figure for
 * both, with its ratio to a baseline measured in the same run (bare `SELECT 1`, bare INSERTs).
 *
 *   npm run bench -w @armature/store-postgres
 *   BENCH_RUNS=1000000 BENCH_PGLITE_RUNS=20000 BENCH_CALLS=20 npm run bench -w @armature/store-postgres
 *
 * PostgreSQL comes from ARMATURE_BENCH_DATABASE_URL (or ARMATURE_TEST_DATABASE_URL); a fresh
 * database is created for the run and dropped afterwards. No timing is asserted.
 */
import { randomBytes } from "node:crypto"
import { cpus } from "node:os"
import { SqlClient } from "@effect/sql"
import { Effect, Either, Redacted } from "effect"
import { PgSecretStore, PgStore } from "../src/index.js"
import * as M from "./measure.js"
import * as Seed from "./seed.js"
import { freshDatabase } from "./support/freshDatabase.js"

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const pgRuns = env("BENCH_RUNS", 100_000)
const pgliteRuns = env("BENCH_PGLITE_RUNS", 10_000)
const calls = env("BENCH_CALLS", 20)
const iterations = env("BENCH_ITERATIONS", 100)
const url =
  process.env.ARMATURE_BENCH_DATABASE_URL ??
  process.env.ARMATURE_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test"
const keys = [Either.getOrThrow(PgSecretStore.parseKey(randomBytes(32).toString("base64")))]

interface Results {
  readonly runs: number
  readonly sizes: string
  readonly baseline: M.Baseline
  readonly figures: ReadonlyArray<readonly [string, string, M.Figure]>
}

const measure = (label: string, runs: number) =>
  Effect.gen(function* () {
    const log = (s: string) => Effect.sync(() => process.stderr.write(`[${label}] ${s}\n`))
    const newest = new Date()
    const shape = Seed.shape()
    const baseline = yield* M.baseline
    yield* log(
      `baseline: SELECT 1 p50 ${baseline.select1.toFixed(3)} ms, ${baseline.rawInserts.toFixed(0)} inserts/s`
    )
    yield* log(`seeding ${runs} runs × ${calls} tool calls`)
    const seeded = yield* M.seed(shape, runs, calls, newest)
    const sql = yield* SqlClient.SqlClient
    const [size] = yield* sql<{ runs: string; calls: string }>`SELECT
      pg_size_pretty(pg_total_relation_size('runs')) AS runs,
      pg_size_pretty(pg_total_relation_size('run_tool_calls')) AS calls`
    const sizes = `runs ${size?.runs}, run_tool_calls ${size?.calls} (with indexes and TOAST)`
    yield* log(`seeded at ${seeded.toFixed(0)} runs/s; ${sizes}`)
    const lat = (p: { p50: number; p95: number }): M.Figure => ({
      value: p.p50,
      p95: p.p95,
      unit: "ms",
      ratio: p.p95 / baseline.select1
    })
    const rate = (perSecond: number): M.Figure => ({
      value: perSecond,
      unit: "/s",
      ratio: perSecond / baseline.rawInserts
    })
    yield* log("ingest through RunStore.insertRun")
    // Enough runs for a few seconds each: shorter windows swing with the shared machine's load.
    const sequential = yield* M.ingest(shape, 1000, calls, 1, newest)
    const concurrent = yield* M.ingest(shape, 3000, calls, 8, newest)
    yield* log("search_runs")
    const searches = yield* M.searches(shape, newest, iterations)
    const reads = yield* M.reads(shape, newest, iterations)
    yield* log("queue and monitors")
    const q = yield* M.queue(shape.orgId, 3000, 4, newest)
    const m = yield* M.monitors(shape, label === "PGlite" ? 5000 : 20_000, newest)
    const figures: Array<readonly [string, string, M.Figure]> = [
      ["ingest: bulk import (runs/s)", "≥ 2,000 runs/s", rate(seeded)],
      ["ingest: insertRun, 1 at a time (runs/s)", "", rate(sequential)],
      ["ingest: insertRun, 8 concurrent (runs/s)", "≥ 2,000 runs/s", rate(concurrent)],
      ...Object.entries(searches).map(([name, p]) => [`search_runs ${name}`, "p95 ≤ 20 ms", lat(p)] as const),
      ["coverage inputs, one server (50 runs)", "≤ 20 ms", lat(reads.coverage)],
      ["pass counts, 7 days, whole org", "", lat(reads.passCounts)],
      ["jobs: enqueue, 8 concurrent (jobs/s)", "", rate(q.enqueue)],
      ["jobs: claim + complete, 4 workers (jobs/s)", "", rate(q.claim)],
      ["monitors: claimDue, batches of 500 (fires/s)", "≥ 333 fires/s", rate(m.claimDue)],
      ["monitors: insertCheck, 8 concurrent (checks/s)", "≥ 333 checks/s", rate(m.insertCheck)]
    ]
    return { runs, sizes, baseline, figures } satisfies Results
  })

const show = (f: M.Figure | undefined) =>
  f === undefined
    ? "–"
    : f.unit === "ms"
      ? `${f.value.toFixed(2)} / ${f.p95!.toFixed(2)} ms`
      : `${Math.round(f.value).toLocaleString("en-US")}/s`
const ratio = (f: M.Figure | undefined) =>
  f === undefined ? "–" : `${f.ratio.toFixed(f.unit === "ms" ? 1 : 2)}×`

const program = Effect.gen(function* () {
  const pg = yield* Effect.scoped(
    Effect.gen(function* () {
      const db = yield* freshDatabase(url)
      const results = yield* measure("PostgreSQL", pgRuns).pipe(
        Effect.provide(PgStore.layer({ url: Redacted.make(db.url), maxConnections: 10, secretKeys: keys }))
      )
      return { ...results, version: db.version }
    })
  ).pipe(
    Effect.catchAll((e) =>
      Effect.sync(() => {
        console.error(`PostgreSQL unavailable or failed (${String(e)}); PGlite only`)
        return undefined
      })
    )
  )
  const lite = yield* Effect.scoped(measure("PGlite", pgliteRuns).pipe(Effect.provide(PgStore.layerPglite())))

  const lines = [
    `Store benchmark — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}`,
    `PostgreSQL ${pg?.version ?? "n/a"}: ${pg?.runs.toLocaleString("en-US") ?? 0} runs × ${calls} tool calls; PGlite 0.5.14: ${lite.runs.toLocaleString("en-US")} runs × ${calls}`,
    `Sizes after seeding: PostgreSQL ${pg?.sizes ?? "–"}; PGlite ${lite.sizes}`,
    `Baselines: SELECT 1 p50 — PostgreSQL ${pg?.baseline.select1.toFixed(3) ?? "–"} ms, PGlite ${lite.baseline.select1.toFixed(3)} ms; single-row INSERTs — PostgreSQL ${Math.round(pg?.baseline.rawInserts ?? 0)}/s, PGlite ${Math.round(lite.baseline.rawInserts)}/s`,
    "Latencies are p50 / p95; × is p95 ÷ SELECT 1 p50 (latency) or rate ÷ single-row INSERT rate (throughput).",
    "",
    "| measure | goal | PostgreSQL | × | PGlite | × |",
    "|---|---|---|---|---|---|",
    ...lite.figures.map(([name, goal, f], i) => {
      const p = pg?.figures[i]?.[2]
      return `| ${name} | ${goal} | ${show(p)} | ${ratio(p)} | ${show(f)} | ${ratio(f)} |`
    })
  ]
  console.log(lines.join("\n"))
})

Effect.runPromise(program).catch((error) => {
  console.error(error)
  process.exit(1)
})
