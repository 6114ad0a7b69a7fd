/** The benchmark's measurements, run against whichever store layer is provided. */
import { JobQueue, MonitorStore, OrgStore, RunStore } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { PgStore } from "../src/index.js"
import * as Seed from "./seed.js"

export type Env = PgStore.StorePorts | SqlClient.SqlClient

/** One printed figure: a value, and its ratio to the backend's baseline measured in the same run. */
export interface Figure {
  readonly value: number
  readonly unit: "ms" | "/s"
  readonly p95?: number
  readonly ratio: number
}

export interface Baseline {
  /** Median round trip of `SELECT 1`, ms. */
  readonly select1: number
  /** Single-row INSERTs per second into a two-column table, one at a time. */
  readonly rawInserts: number
}

const now = () => performance.now()
const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN

/** p50 and p95 (ms) of `n` sequential runs of `f(i)`. */
export const latency = <E>(n: number, f: (i: number) => Effect.Effect<unknown, E, Env>) =>
  Effect.gen(function* () {
    const times: Array<number> = []
    for (let i = 0; i < n; i++) {
      const start = now()
      yield* f(i)
      times.push(now() - start)
    }
    times.sort((a, b) => a - b)
    return { p50: quantile(times, 0.5), p95: quantile(times, 0.95) }
  })

/** Operations per second of `n` runs of `f(i)`, `concurrency` at a time. */
export const throughput = <E>(
  n: number,
  concurrency: number,
  f: (i: number) => Effect.Effect<unknown, E, Env>
) =>
  Effect.gen(function* () {
    const start = now()
    yield* Effect.forEach(
      Array.from({ length: n }, (_, i) => i),
      f,
      { concurrency, discard: true }
    )
    return (n * 1000) / (now() - start)
  })

/** The baseline of a backend: bare round trips and bare inserts. */
export const baseline = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS bench_baseline (id integer, payload text)`
  const select1 = yield* latency(500, () => sql`SELECT 1`)
  const rawInserts = yield* throughput(
    1000,
    1,
    (i) => sql`INSERT INTO bench_baseline VALUES (${i}, ${"x".repeat(100)})`
  )
  return { select1: select1.p50, rawInserts } satisfies Baseline
})

/**
 * Seeds `runs` runs with `calls` tool calls each over 30 days, through the bulk import; returns
 * runs/s of the import alone (generating the synthetic runs is not timed).
 */
export const seed = (shape: Seed.Shape, runs: number, calls: number, newest: Date) =>
  Effect.gen(function* () {
    yield* (yield* OrgStore).createOrganization({
      id: shape.orgId,
      name: "Bench",
      slug: `bench-${shape.orgId.slice(0, 8)}`,
      createdAt: newest
    })
    const spacing = Math.floor((30 * 86_400_000) / runs)
    const batch = 1000
    let importing = 0
    for (let from = 0; from < runs; from += batch) {
      const part = Array.from({ length: Math.min(batch, runs - from) }, (_, k) =>
        Seed.run(shape, from + k, newest, spacing, calls)
      )
      const start = now()
      yield* PgStore.importRuns(part)
      importing += now() - start
      if ((from / batch) % 20 === 19) process.stderr.write(`  seeded ${from + batch} runs\n`)
    }
    const rate = (runs * 1000) / importing
    const sql = yield* SqlClient.SqlClient
    // Steady state: autovacuum would have set the visibility map by now.
    yield* sql`VACUUM ANALYZE`
    return rate
  })

/** Fresh terminal runs through `RunStore.insertRun` (the port's own write path). */
export const ingest = (shape: Seed.Shape, n: number, calls: number, concurrency: number, newest: Date) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const runs = Array.from({ length: n }, (_, i) => {
      const r = Seed.run(shape, i, newest, 10, calls)
      return r.status === "running" ? { ...r, status: "pass" as const, finishedAt: newest } : r
    })
    return yield* throughput(n, concurrency, (i) => store.insertRun(runs[i]!))
  })

const pick = <A>(items: ReadonlyArray<A>, i: number) => items[(i * 7) % items.length]!

/** `search_runs` with each filter SPEC §9.1 and §10 offer: name → p50/p95 ms. */
export const searches = (shape: Seed.Shape, newest: Date, iterations: number) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const day = 86_400_000
    const search = (f: (i: number) => Omit<Parameters<typeof store.searchRuns>[1], "limit">) =>
      latency(iterations, (i) => store.searchRuns(shape.orgId, { limit: 20, ...f(i) }))
    const cursorOfPage5 = yield* Effect.gen(function* () {
      let cursor: string | undefined
      for (let p = 0; p < 4; p++) {
        const page = yield* store.searchRuns(shape.orgId, { limit: 20, ...(cursor ? { cursor } : {}) })
        cursor = page.nextCursor ?? undefined
      }
      return cursor
    })
    return {
      "newest (no filter)": yield* search(() => ({})),
      "page 5 (cursor)": yield* search(() => (cursorOfPage5 ? { cursor: cursorOfPage5 } : {})),
      workflowId: yield* search((i) => ({ workflowId: pick(shape.workflows, i).id })),
      "status=fail": yield* search(() => ({ status: "fail" })),
      "status=error": yield* search(() => ({ status: "error" })),
      mcpServerId: yield* search((i) => ({ mcpServerId: pick(shape.servers, i) })),
      "range 24h": yield* search(() => ({ after: new Date(newest.getTime() - day) })),
      "range 7d + status=partial": yield* search(() => ({
        after: new Date(newest.getTime() - 7 * day),
        status: "partial"
      })),
      "before (older page)": yield* search(() => ({ before: new Date(newest.getTime() - 20 * day) })),
      "workflowId + status=pass": yield* search((i) => ({
        workflowId: pick(shape.workflows, i).id,
        status: "pass"
      })),
      "search: workflow name": yield* search((i) => ({ search: pick(shape.workflows, i).name })),
      "search: common word": yield* search(() => ({ search: "flow" })),
      "search: rare reason": yield* search(() => ({ search: "hotfix deploy" })),
      "search: 2 characters": yield* search((i) => ({ search: (i % 256).toString(16).padStart(2, "0") }))
    }
  })

/** Coverage inputs of one server (tool calls of its 50 latest runs), and the health page's pass rates. */
export const reads = (shape: Seed.Shape, newest: Date, iterations: number) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    return {
      coverage: yield* latency(iterations, (i) =>
        store.recentToolCalls(shape.orgId, pick(shape.servers, i), 50)
      ),
      passCounts: yield* latency(Math.max(5, iterations / 10), () =>
        store.passCounts(shape.orgId, new Date(newest.getTime() - 7 * 86_400_000))
      )
    }
  })

/** Job queue: enqueue rate, then claim + complete rate with `workers` concurrent workers. */
export const queue = (orgId: string, jobs: number, workers: number, at: Date) =>
  Effect.gen(function* () {
    const q = yield* JobQueue
    const kind = `bench_${crypto.randomUUID()}`
    const enqueue = yield* throughput(jobs, 8, (i) =>
      q.enqueue(
        {
          orgId,
          kind,
          targetId: crypto.randomUUID(),
          model: "openai:gpt-5-mini",
          fireAt: at,
          runAfter: at,
          payload: { i },
          maxAttempts: 3
        },
        at
      )
    )
    const start = now()
    let done = 0
    const worker = (w: number) =>
      Effect.gen(function* () {
        for (;;) {
          const claimed = yield* q.claim({
            owner: `w${w}`,
            kinds: [kind],
            now: at,
            leaseMs: 60_000,
            limit: 10
          })
          if (claimed.length === 0) return
          for (const job of claimed) yield* q.complete(`w${w}`, job.id, "done", at)
          done += claimed.length
        }
      })
    yield* Effect.all(
      Array.from({ length: workers }, (_, w) => worker(w)),
      { concurrency: "unbounded" }
    )
    return { enqueue, claim: (done * 1000) / (now() - start) }
  })

/** Monitors: `count` monitors due at once, claimed in batches of 500; then checks recorded. */
export const monitors = (shape: Seed.Shape, count: number, at: Date) =>
  Effect.gen(function* () {
    const store = yield* MonitorStore
    const sql = yield* SqlClient.SqlClient
    const rows = Array.from({ length: count }, (_, i) => ({
      id: crypto.randomUUID(),
      org_id: shape.orgId,
      name: `monitor ${i}`,
      mcp_server_id: pick(shape.servers, i),
      auth_profile_id: null,
      tool_name: "tool_01",
      arguments: "{}",
      next_steps: "[]",
      interval_seconds: 60,
      timeout_ms: 30_000,
      degraded_above_ms: null,
      retries: 1,
      state: "active",
      muted: false,
      next_check_at: new Date(at.getTime() - (i % 60) * 1000),
      last_outcome: null,
      last_checked_at: null,
      created_at: at,
      updated_at: at
    }))
    for (let i = 0; i < rows.length; i += 1000)
      yield* sql`INSERT INTO monitors ${sql.insert(rows.slice(i, i + 1000))}`
    yield* sql`ANALYZE monitors`
    const start = now()
    const claimed: Array<{ monitorId: string; dueAt: Date }> = []
    for (;;) {
      const batch = yield* store.claimDue(at, 500)
      if (batch.length === 0) break
      for (const c of batch) claimed.push({ monitorId: c.monitor.id, dueAt: c.dueAt })
    }
    const claimRate = (claimed.length * 1000) / (now() - start)
    const checks = Math.min(claimed.length, 5000)
    const checkRate = yield* throughput(checks, 8, (i) =>
      store.insertCheck({
        id: crypto.randomUUID(),
        orgId: shape.orgId,
        monitorId: claimed[i]!.monitorId,
        scheduledAt: claimed[i]!.dueAt,
        startedAt: at,
        outcome: "pass",
        latencyMs: 40,
        error: null,
        resultExcerpt: "ok",
        attempts: 1
      })
    )
    return { claimDue: claimRate, insertCheck: checkRate }
  })
