/**
 * History at scale for the reads-at-scale bench (issue 17): `runs` runs with `callsPerRun` tool
 * calls each, written straight into `runs` and `run_tool_calls` by a few `generate_series`
 * statements (the store's own insert path would take hours for 1M runs on this machine).
 *
 * The spread is deterministic (`hashint4` of the run's number): workflows by weight (a retired
 * one only in the oldest quarter), ~82 % pass, 8 % fail, 5 % partial, 5 % error; 90 % scheduled
 * runs (no reason), the rest manual, API or CI with a reason from a few deploy notes; three tester models; starts evenly over the last 30 days
 * (oldest first, so the heap is in time order as a table filled over time is); durations 4–64 s.
 * Each run has its criteria's verdicts, usage, server info and, when it errored, an error; its
 * tool calls are one of a few variants per status (several tools, a few distinct error texts),
 * stamped with the run's start (~9 KB of JSON a run; repetitive, so it compresses ~9× where real
 * calls would not). Trace events per call are left out: no read measured here looks at them.
 *
 * The secondary indexes of `runs` (as the migrations made them, read from `pg_indexes`) are
 * dropped before the load and built again after it, as a bulk restore does; then the tables are
 * vacuumed and analysed, as autovacuum would have done in a deployment that got there over time.
 */
import { Effect } from "effect"
import { withSql } from "./database.js"

/** A workflow the seeded runs belong to; `weight` is its share of the runs. */
export interface ScaleWorkflow {
  readonly id: string
  readonly name: string
  readonly versionId: string
  readonly version: number
  readonly serverId: string
  readonly weight: number
  /** Ran only in the oldest quarter of the history (a workflow since retired or renamed). */
  readonly retired?: boolean
}

/** How long each step took (ms) and what the tables weigh afterwards. */
export interface ScaleSeed {
  readonly steps: ReadonlyArray<{ readonly step: string; readonly ms: number }>
  readonly totalMs: number
  readonly sizes: ReadonlyArray<{ readonly relation: string; readonly bytes: number; readonly rows: number }>
}

/** Reasons of non-scheduled runs: what a search for a deploy finds. */
export const reasons = [
  "after deploy v2.14.0",
  "after deploy v2.15.1",
  "hotfix for refund rounding",
  "checking the new catalog",
  "nightly CI on main"
] as const

const runErrors = [
  { code: "timeout", message: "The run did not finish within 300 s" },
  { code: "server_unreachable", message: "connect ECONNREFUSED 10.0.3.7:443" },
  { code: "model_failure", message: "The tester model answered 429 Too Many Requests" }
] as const

const order = { orderId: "A-1001", status: "shipped", totalEur: 42.5, items: ["mug", "tea"] }
const products = {
  products: [
    { sku: "mug", name: "Enamel mug", priceEur: 14 },
    { sku: "tea", name: "Green tea, 100 g", priceEur: 9.5 }
  ]
}

/** Placeholder for the run's start in the call templates (replaced in SQL). */
const at = "__AT__"

type Status = "pass" | "fail" | "partial" | "error"

/** Variant `v` of `callsPerRun` tool calls of a run ending with `status`, as stored. */
const callsTemplate = (status: Status, v: number, callsPerRun: number) =>
  Array.from({ length: callsPerRun }, (_, n) => {
    const last = n === callsPerRun - 1
    const kind = (n * 7 + v * 3) % 10
    // Several tools, one of them since removed from the catalog (`search_orders`).
    const name =
      kind < 5 ? "get_order" : kind < 8 ? "list_products" : kind < 9 ? "search_orders" : "cancel_order"
    const failed = last && (status === "fail" || status === "partial")
    const broken = last && status === "error"
    const text = failed
      ? v % 2 === 0
        ? "internal error: order service timed out"
        : `no order A-${9000 + v}`
      : JSON.stringify(name === "list_products" ? products : order)
    return {
      id: `call_${String(n + 1).padStart(2, "0")}`,
      phase: n === 0 && v % 3 === 0 ? "setup" : "agent",
      step: n === 0 && v % 3 === 0 ? 0 : n + 1,
      name,
      arguments:
        name === "list_products"
          ? { maxPriceEur: 10 + ((n + v) % 4) * 10 }
          : name === "search_orders"
            ? { query: "mug" }
            : { orderId: `A-${1001 + ((n + v) % 5)}` },
      content: broken ? [] : [{ type: "text", text }],
      ...(failed || broken ? {} : { structuredContent: name === "list_products" ? products : order }),
      isError: failed,
      refused: name === "cancel_order" && v % 2 === 1,
      error: broken ? "MCP request timed out after 60000 ms" : null,
      startedAt: at,
      durationMs: 30 + ((n * 37 + v * 11) % 400)
    }
  })

/**
 * A variant's calls as stored JSON, and their `recent` projection as the store writes it beside
 * them (migration 0021; `recentDocument` in store-postgres' `internal/runRows.ts`).
 */
const templatesOf = (calls: ReturnType<typeof callsTemplate>) => ({
  calls: JSON.stringify(calls),
  recent: JSON.stringify(
    calls.map((c) => [c.id, c.name, c.arguments, c.isError, c.refused, c.error, c.startedAt])
  )
})

/** The tool-call variants per status: `json_to_recordset` input of the calls statement. */
const variants = 8
const callTemplates = (callsPerRun: number) =>
  JSON.stringify(
    (["pass", "fail", "partial", "error"] as const).flatMap((status) =>
      Array.from({ length: variants }, (_, v) => ({
        status,
        v,
        ...templatesOf(callsTemplate(status, v, callsPerRun))
      }))
    )
  )

const criteriaOf = (verdict: "pass" | "partial" | "fail") =>
  JSON.stringify([
    {
      criterionId: "crit_lookup",
      text: "The agent looked the order up with get_order",
      required: true,
      verdict,
      reasoning:
        verdict === "pass"
          ? "The trace shows the agent called get_order and used the answer in its reply to the customer."
          : "The agent's last tool call returned an error and the reply does not cover this criterion fully.",
      evidence: ["call_01", "call_02"]
    },
    {
      criterionId: "crit_total",
      text: "The reply states the order's total",
      required: false,
      verdict: "pass",
      reasoning: "The final answer gives the total of 42.50 EUR.",
      evidence: ["call_01"]
    }
  ])

const usageOf = (tester: string) =>
  JSON.stringify([
    { model: tester, role: "tester", inputTokens: 5200, outputTokens: 640, costUsd: 0.0041 },
    { model: "openai:gpt-5-mini", role: "judge", inputTokens: 2100, outputTokens: 310, costUsd: 0.0012 }
  ])

/**
 * Seeds `runs` runs (`callsPerRun` calls each) of `workflows` in `orgId` on the database at `url`,
 * in statements of at most `chunk` runs; `log` gets a line per step.
 */
export const seedScale = (options: {
  readonly url: string
  readonly orgId: string
  readonly workflows: ReadonlyArray<ScaleWorkflow>
  readonly runs: number
  readonly callsPerRun: number
  readonly chunk?: number
  readonly log: (line: string) => void
}): Promise<ScaleSeed> => {
  const { url, orgId, workflows, runs, callsPerRun, log } = options
  const chunk = options.chunk ?? 250_000
  const steps: Array<{ step: string; ms: number }> = []
  // Workflows by cumulative share of 10,000, in the oldest quarter (every workflow) and after it
  // (the ones not retired).
  const earlyEnd = Math.floor(runs / 4)
  const shares = JSON.stringify(
    [true, false].flatMap((early) => {
      const running = workflows.filter((w) => early || !w.retired)
      const total = running.reduce((n, w) => n + w.weight, 0)
      let from = 0
      return running.map((w) => {
        const lo = Math.round((from / total) * 10_000)
        from += w.weight
        return { ...w, early, lo, hi: Math.round((from / total) * 10_000) }
      })
    })
  )
  const testers = ["openai:gpt-5-mini", "openai:gpt-5", "anthropic:claude-sonnet-4-5"]

  return withSql(url, (sql) => {
    const timed = <A, E, R>(step: string, effect: Effect.Effect<A, E, R>) =>
      Effect.gen(function* () {
        const t0 = performance.now()
        const result = yield* effect
        const ms = performance.now() - t0
        steps.push({ step, ms })
        log(`${step}: ${(ms / 1000).toFixed(1)} s`)
        return result
      })

    // One statement per chunk: the runs, then their calls from the rows it inserted (the status
    // picks the variants, the run id one of them), as the store's own insert does. The calls'
    // JSON is validated on the cast.
    const insertChunk = (first: number, last: number) =>
      sql<{ runs: number; calls: number }>`WITH inserted AS (
          INSERT INTO runs (id, org_id, workflow_id, workflow_version_id, workflow_version, workflow_name,
            mcp_server_id, tester_model, judge_model, trigger, reason, idempotency_key, baseline_run_id,
            sample_group_id, fire_at, attempt, status, created_at, started_at, finished_at, duration_ms,
            final_answer, trace, criteria, assertions, usage, cost_usd, server_info, catalog_hash, error)
          SELECT g.id, ${orgId}, w.id, w."versionId", w.version, w.name, w."serverId", g.tester,
            'openai:gpt-5-mini', g.trigger,
            CASE WHEN g.trigger <> 'scheduled' THEN ${JSON.stringify(reasons)}::jsonb ->> (g.h3 % ${reasons.length}) END,
            NULL, NULL, NULL,
            CASE WHEN g.trigger = 'scheduled' THEN date_trunc('minute', g.started) END,
            1, g.status, g.started - interval '2 seconds', g.started, g.started + g.duration,
            extract(epoch FROM g.duration) * 1000,
            CASE WHEN g.status <> 'error' THEN
              'Order A-1001 has shipped; the total is 42.50 EUR. It contains an enamel mug and green tea.' END,
            jsonb_build_array(
              jsonb_build_object('id', 'ev_sys', 'at', g.started, 'type', 'message', 'role', 'system',
                'text', 'You are testing a shop.'),
              jsonb_build_object('id', 'ev_user', 'at', g.started, 'type', 'message', 'role', 'user',
                'text', 'Find order A-1001 and tell the customer its status and total.')),
            CASE g.status WHEN 'error' THEN '[]'::jsonb
              WHEN 'pass' THEN ${criteriaOf("pass")}::jsonb
              WHEN 'partial' THEN ${criteriaOf("partial")}::jsonb
              ELSE ${criteriaOf("fail")}::jsonb END,
            '[]'::jsonb,
            CASE g.tester WHEN ${testers[0]} THEN ${usageOf(testers[0]!)}::jsonb
              WHEN ${testers[1]} THEN ${usageOf(testers[1]!)}::jsonb
              ELSE ${usageOf(testers[2]!)}::jsonb END,
            0.0053, '{"name": "demo-shop", "version": "1.0.0"}'::jsonb, 'sha256:4f1c9e',
            CASE WHEN g.status = 'error' THEN ${JSON.stringify(runErrors)}::jsonb -> (g.h3 % ${runErrors.length}) END
          FROM (
            SELECT md5('scale-run-' || n)::uuid::text AS id, n <= ${earlyEnd}::int AS early, h1, h3,
              now() - interval '30 days' + (n - 1) * (interval '30 days' / ${runs}::int)
                + (h3 % 20) * interval '1 second' AS started,
              CASE WHEN h2 % 1000 < 820 THEN 'pass' WHEN h2 % 1000 < 900 THEN 'fail'
                WHEN h2 % 1000 < 950 THEN 'partial' ELSE 'error' END AS status,
              CASE WHEN h3 % 100 < 90 THEN 'scheduled' WHEN h3 % 100 < 97 THEN 'manual'
                WHEN h3 % 100 < 99 THEN 'api' ELSE 'ci' END AS trigger,
              ${JSON.stringify(testers)}::jsonb ->> (h1 % 3) AS tester,
              (4000 + h1 % 60000) * interval '1 millisecond' AS duration
            FROM (SELECT n, abs(hashint4(n)) AS h1, abs(hashint4(n + 1000000007)) AS h2,
                    abs(hashint4(-n)) AS h3
                  FROM generate_series(${first}::int, ${last}::int) n) s) g
          JOIN json_to_recordset(${shares}::json) AS w(id text, name text, "versionId" text,
              version int, "serverId" text, early boolean, lo int, hi int)
            ON w.early = g.early AND g.h1 % 10000 >= w.lo AND g.h1 % 10000 < w.hi
          RETURNING id, org_id, status, started_at),
        calls AS (
          INSERT INTO run_tool_calls (run_id, org_id, calls, recent)
          SELECT r.id, r.org_id, replace(t.calls, ${at}, r.at)::json, replace(t.recent, ${at}, r.at)::json
          FROM (SELECT id, org_id, status,
                  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
                FROM inserted) r
          JOIN json_to_recordset(${callTemplates(callsPerRun)}::json)
              AS t(status text, v int, calls text, recent text)
            ON t.status = r.status AND t.v = abs(hashtext(r.id)) % ${variants}
          WHERE ${callsPerRun}::int > 0
          RETURNING 1)
        SELECT (SELECT count(*) FROM inserted)::int AS runs, (SELECT count(*) FROM calls)::int AS calls`

    return Effect.gen(function* () {
      const t0 = performance.now()
      yield* sql`SET maintenance_work_mem = '512MB'`
      const indexes = yield* sql<{ name: string; definition: string }>`
        SELECT indexname AS name, indexdef AS definition FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = 'runs' AND indexname <> 'runs_pkey'`
      yield* timed(
        `drop ${indexes.length} secondary indexes of runs`,
        Effect.forEach(indexes, (i) => sql`DROP INDEX ${sql(i.name)}`, { discard: true })
      )
      for (let first = 1; first <= runs; first += chunk) {
        const last = Math.min(runs, first + chunk - 1)
        const [n] = yield* timed(
          `runs ${first.toLocaleString("en-US")}–${last.toLocaleString("en-US")} with ${(
            (last - first + 1) * callsPerRun
          ).toLocaleString("en-US")} tool calls`,
          insertChunk(first, last)
        )
        if (n?.runs !== last - first + 1)
          yield* Effect.dieMessage(`inserted ${n?.runs} runs of ${last - first + 1}`)
      }
      for (const index of indexes) yield* timed(`build ${index.name}`, sql.unsafe(index.definition))
      yield* timed("VACUUM (ANALYZE) runs", sql`VACUUM (ANALYZE) runs`)
      yield* timed("VACUUM (ANALYZE) run_tool_calls", sql`VACUUM (ANALYZE) run_tool_calls`)
      const sizes = yield* sql<{ relation: string; bytes: string; rows: string }>`
        SELECT c.relname AS relation, pg_total_relation_size(c.oid)::text AS bytes,
          c.reltuples::bigint::text AS rows
        FROM pg_class c
        WHERE c.relname IN ('runs', 'run_tool_calls') OR c.oid IN (
          SELECT indexrelid FROM pg_index WHERE indrelid = 'runs'::regclass)
        ORDER BY pg_total_relation_size(c.oid) DESC`
      return {
        steps,
        totalMs: performance.now() - t0,
        sizes: sizes.map((s) => ({ relation: s.relation, bytes: Number(s.bytes), rows: Number(s.rows) }))
      }
    })
  })
}
