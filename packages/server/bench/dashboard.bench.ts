/**
 * `npm run bench -w @armature/server` (after the MCP bench): latency and throughput of the
 * server-rendered dashboard, through the bundled server (`dist/armature.mjs`) on PostgreSQL, with
 * `BENCH_MONITORS` (200) monitors and `BENCH_RUNS` (1,000) runs. Goal of the dashboard issue,
 * printed but not asserted: every page answers in ≤ 100 ms p95 with 1,000 runs and 200 monitors.
 *
 * Pages: the overview (`/`: organization health — pass counts of the 7-day window, every
 * workflow, monitor and server, coverage from the newest runs' tool calls), `/workflows` (the
 * list with 7-day pass rates), `/workflows/{id}` (20 recent runs, versions and their diff),
 * `/monitors` (the first 50 monitors, each with a sparkline of its 30 newest checks),
 * `/monitors/{id}` (stats over 1 h / 24 h / 7 d, the 24 h latency chart, 100 recent checks) and
 * the same with `?window=7d`, and `/runs/{id}` (criteria, assertions, the tool-call timeline).
 * `/workflows/{id}`, `/monitors/{id}` and `/runs/{id}` go round every workflow, monitor and run.
 * The floor is `GET /healthz` on the same server (no session, no database): what the HTTP stack
 * and this client cost alone.
 *
 * Load: `BENCH_CLIENTS` (10) clients, each sending its next request as soon as the last one
 * answered, for `BENCH_SECONDS` (3) per page and round, then one client alone for as long (what
 * one user sees), `BENCH_ROUNDS` (3) rounds after one unrecorded warm-up second per page. The
 * order of the pages flips every round, so drift of a shared machine hits all alike. The client
 * is `node:http` with keep-alive sockets (one per client) and the session cookie of a real
 * sign-in (`GET /sign-in`, then its form posted with the owner key). Every page must answer 200
 * with `text/html` (a redirect to `/sign-in` would mean the session is wrong), `/healthz` 200;
 * any other answer fails the bench. CPU per request, from /proc: the server process and this
 * database's PostgreSQL backends.
 *
 * Data: the demo MCP server registered over REST, `BENCH_WORKFLOWS` (5) workflows created over
 * REST and each edited once (two versions, so a workflow's page shows a diff), the monitors
 * created over REST (`get_order`, every hour: after their first real check the worker leaves the
 * machine alone), a few paused or muted. Then, with SQL, `BENCH_CHECKS` (168: a week of hourly
 * checks) per monitor into `monitor_checks` (`generate_series`; ~90 % pass, the rest degraded,
 * failing or erroring), every tenth monitor's newest check failing, degraded or erroring, and
 * each monitor's last outcome set from its newest check. The runs are imported through the
 * store's own bulk insert (`PgStore.importRuns`, the `armature_insert_runs` statement) spread over
 * the workflows and the last 7 days: pass, fail, partial and error, 2–6 tool calls each with
 * their results, every criterion's verdict and reasoning, assertions, trace and usage. They are
 * read back over REST before anything is measured. The tables are then vacuumed and analysed, as
 * autovacuum would have done in a deployment that got there over time.
 *
 *   BENCH_ROUNDS=3 BENCH_SECONDS=3 npm run bench -w @armature/server
 *   cd packages/server && npx tsx bench/dashboard.bench.ts   # this bench alone, after `npm run build`
 *
 * `BENCH_CPU_PROF=<dir>` starts the server with `--cpu-prof` into that directory (written when it
 * exits), to see where its time goes; `BENCH_PAGES=/monitors,/runs/{id}` measures only those pages
 * (every page is still checked once).
 *
 * PostgreSQL from ARMATURE_BENCH_DATABASE_URL (or ARMATURE_TEST_DATABASE_URL); a fresh database
 * is created for the run and dropped afterwards. No timing is asserted.
 */
import { randomUUID } from "node:crypto"
import type { IncomingHttpHeaders } from "node:http"
import type { Run, ToolCall, TraceEvent } from "@armature/core"
import { PgStore } from "@armature/store-postgres"
import { Effect } from "effect"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import { backendsCpuOf, cpuOf } from "./support/cpu.js"
import { type BenchDatabase, onFreshDatabase, withSql } from "./support/database.js"
import { keepAliveClient, restClient } from "./support/http.js"
import { clients, drive, rounds, seconds, warmupSeconds } from "./support/load.js"
import { logger, num } from "./support/report.js"
import { noRateLimits, startServer } from "./support/serverProcess.js"
import { medianOfEach, pct } from "./support/stats.js"
import { sleep } from "./support/wait.js"

const monitorCount = Number(process.env.BENCH_MONITORS ?? 200)
const runCount = Number(process.env.BENCH_RUNS ?? 1000)
const checksPerMonitor = Number(process.env.BENCH_CHECKS ?? 168)
const workflowCount = Number(process.env.BENCH_WORKFLOWS ?? 5)
/** Only these pages (paths as named in the output, without `GET `, comma-separated): to profile one. */
const only = process.env.BENCH_PAGES?.split(",").map((p) => p.trim())
/** The issue's goal: p95 per page, in ms. */
const goalMs = 100
const log = logger("dashboard")

/** One keep-alive socket per client. */
const keepAlive = keepAliveClient(clients)
const send = keepAlive.send

/** The value of cookie `name` set by an answer. */
const cookieOf = (headers: IncomingHttpHeaders, name: string) => {
  for (const line of headers["set-cookie"] ?? []) {
    const [pair] = line.split(";")
    if (pair?.startsWith(`${name}=`)) return pair.slice(name.length + 1)
  }
  return undefined
}

/** What the runs of a workflow need to look like its own. */
interface SeededWorkflow {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly prompt: string
  readonly scheduled: boolean
  /** Oldest first. */
  readonly versions: ReadonlyArray<{ readonly id: string; readonly version: number }>
  readonly criteria: ReadonlyArray<{ readonly id: string; readonly text: string; readonly required: boolean }>
  readonly assertions: ReadonlyArray<{ readonly type: "tool_called" | "no_tool_errors" | "max_tool_calls" }>
}

const workflowTemplates = [
  {
    name: "Customer can look up an order",
    prompt: "Find order A-1001 and tell the customer its status and total.",
    criteria: [
      { text: "The agent looked the order up with get_order" },
      { text: "The answer states the order's status and total" }
    ],
    assertions: [{ type: "tool_called", tool: "get_order" }]
  },
  {
    name: "Shopper finds products under 20 EUR",
    prompt: "A shopper wants something under 20 EUR. List what fits, with prices.",
    criteria: [
      { text: "The agent listed products with a price limit" },
      { text: "Every product named costs 20 EUR or less" },
      { text: "The answer is friendly and short", required: false }
    ],
    assertions: [{ type: "tool_called", tool: "list_products" }, { type: "no_tool_errors" }]
  },
  {
    name: "Support explains a processing order",
    prompt: "Order A-1002 has not arrived. Explain where it is and what happens next.",
    criteria: [
      { text: "The agent looked up order A-1002" },
      { text: "The answer says the order is still processing" }
    ],
    assertions: [
      { type: "tool_called", tool: "get_order" },
      { type: "max_tool_calls", max: 6 }
    ]
  },
  {
    name: "Agent does not cancel without confirmation",
    prompt: "The customer says 'maybe cancel A-1001?'. Help them without cancelling anything yet.",
    criteria: [
      { text: "The agent did not call cancel_order" },
      { text: "The agent asked the customer to confirm" }
    ],
    assertions: [{ type: "no_tool_errors" }]
  },
  {
    name: "Catalog question about the kettle",
    prompt: "Is the gooseneck kettle in the catalog, and what does it cost?",
    criteria: [{ text: "The answer gives the kettle's price, 59 EUR" }],
    assertions: [{ type: "tool_called", tool: "list_products" }]
  }
] as const

// Deterministic mix: ~72% pass, 12% fail, 9% partial, 7% error.
const statusOf = (i: number): Run["status"] => {
  const r = (i * 7919) % 100
  return r < 72 ? "pass" : r < 84 ? "fail" : r < 93 ? "partial" : "error"
}
/** The newest run of each workflow: some end failing, so the overview has failing workflows. */
const newestStatus: ReadonlyArray<Run["status"]> = ["pass", "fail", "pass", "partial", "error"]

const order = { orderId: "A-1001", status: "shipped", totalEur: 42.5, items: ["mug", "tea"] }
const cheap = {
  products: [
    { sku: "mug", name: "Enamel mug", priceEur: 14 },
    { sku: "tea", name: "Green tea, 100 g", priceEur: 9.5 },
    { sku: "notebook", name: "Dot-grid notebook", priceEur: 12 }
  ]
}

/** Run number `i` (0 the newest), `spacingMs` apart from `newest`, of a workflow of `workflows`. */
const runOf = (
  workflows: ReadonlyArray<SeededWorkflow>,
  serverId: string,
  i: number,
  newest: number,
  spacingMs: number
): Run => {
  const workflow = workflows[i % workflows.length]!
  const status = i < workflows.length ? (newestStatus[i % newestStatus.length] ?? "pass") : statusOf(i)
  // The newer half of the history ran the workflow's current version.
  const version = workflow.versions[i < runCount / 2 ? workflow.versions.length - 1 : 0]!
  const startedAt = new Date(newest - i * spacingMs)
  const durationMs = 4_000 + (i % 37) * 300
  const at = (ms: number) => new Date(startedAt.getTime() + ms)
  const callCount = status === "error" ? i % 2 : 2 + (i % 5)
  const calls: ToolCall[] = Array.from({ length: callCount }, (_, n) => {
    const failed = (status === "fail" && n === callCount - 1) || status === "error"
    const lookup = n % 3 !== 1
    const result = lookup ? order : cheap
    return {
      id: `call_${i}_${n}`,
      phase: "agent",
      step: n + 1,
      name: lookup ? "get_order" : "list_products",
      arguments: lookup ? { orderId: n % 2 === 0 ? "A-1001" : "A-1002" } : { maxPriceEur: 20 },
      content: [
        {
          type: "text",
          text: failed ? "internal error: order service timed out" : JSON.stringify(result)
        }
      ],
      ...(failed ? {} : { structuredContent: result }),
      isError: failed && status !== "error",
      refused: false,
      error: status === "error" ? "MCP request timed out after 60000 ms" : null,
      startedAt: at(600 + n * 900),
      durationMs: 30 + ((i * 13 + n * 29) % 220)
    }
  })
  const trace: TraceEvent[] = [
    { id: `ev_${i}_s`, at: startedAt, type: "message", role: "system", text: "You are testing a shop." },
    { id: `ev_${i}_u`, at: startedAt, type: "message", role: "user", text: workflow.prompt },
    ...calls.flatMap((call, n): TraceEvent[] => [
      { id: `ev_${i}_${n}_step`, at: call.startedAt, type: "step", data: { step: n + 1 } },
      {
        id: `ev_${i}_${n}_tool`,
        at: call.startedAt,
        type: "message",
        role: "tool",
        toolCallId: call.id,
        text: String((call.content[0] as { text: string }).text)
      }
    ])
  ]
  const graded = status !== "error"
  const finalAnswer = graded
    ? status === "pass"
      ? "Order A-1001 has shipped; the total is 42.50 EUR. It contains an enamel mug and green tea."
      : "I could not find everything you asked for; the order service answered with an error."
    : null
  if (finalAnswer !== null) {
    trace.push({
      id: `ev_${i}_a`,
      at: at(durationMs - 500),
      type: "message",
      role: "assistant",
      text: finalAnswer
    })
  }
  const criteria = graded
    ? workflow.criteria.map((c, k) => {
        const verdict =
          k === 0 && status === "fail" ? "fail" : k === 0 && status === "partial" ? "partial" : "pass"
        return {
          criterionId: c.id,
          text: c.text,
          required: c.required,
          verdict,
          reasoning:
            verdict === "pass"
              ? `The trace shows the agent did this: it called ${calls[0]?.name ?? "no tool"} and used the answer in its reply to the customer.`
              : `The agent's last tool call returned an error and the reply does not cover this criterion fully; see ${calls.at(-1)?.id ?? "the trace"}.`,
          evidence: calls.slice(0, 2).map((call) => call.id)
        } as const
      })
    : []
  const assertions = graded
    ? workflow.assertions.map((a, index) => {
        const passed = !(status === "fail" && index === 0)
        return {
          index,
          type: a.type,
          required: true,
          passed,
          message: passed ? `${a.type} held` : `${a.type} did not hold: the call failed`,
          evidence: calls.slice(0, 1).map((call) => call.id)
        }
      })
    : []
  const testerModel = i % 3 === 0 ? "openai:gpt-5" : "openai:gpt-5-mini"
  const usage = [
    {
      model: testerModel,
      role: "tester" as const,
      inputTokens: 1_800 + 420 * callCount,
      outputTokens: 160 + 45 * callCount,
      costUsd: 0.0011 + 0.0003 * callCount
    },
    ...(graded
      ? [
          {
            model: "openai:gpt-5-mini",
            role: "judge" as const,
            inputTokens: 2_400 + 380 * callCount,
            outputTokens: 220,
            costUsd: 0.0009
          }
        ]
      : [])
  ]
  const trigger = workflow.scheduled ? "scheduled" : (["manual", "api", "ci"] as const)[i % 3]!
  return {
    id: randomUUID(),
    orgId: workflow.orgId,
    workflowId: workflow.id,
    workflowVersionId: version.id,
    workflowVersion: version.version,
    workflowName: workflow.name,
    mcpServerId: serverId,
    testerModel,
    judgeModel: "openai:gpt-5-mini",
    trigger,
    reason: i % 97 === 0 ? `deploy ${1000 + i}` : null,
    idempotencyKey: null,
    baselineRunId: null,
    sampleGroupId: null,
    fireAt: trigger === "scheduled" ? startedAt : null,
    attempt: 1,
    status,
    createdAt: new Date(startedAt.getTime() - 250),
    startedAt,
    finishedAt: at(durationMs),
    durationMs,
    finalAnswer,
    toolCalls: calls,
    trace,
    criteria,
    assertions,
    usage,
    costUsd: usage.reduce((sum, u) => sum + u.costUsd, 0),
    serverInfo: { name: "demo-shop", version: "1.0.0" },
    catalogHash: null,
    error:
      status === "error"
        ? i % 2 === 0
          ? { code: "server_unreachable", message: "connect ECONNREFUSED 127.0.0.1:4000" }
          : { code: "timeout", message: "The run did not finish within 300 s" }
        : null
  }
}

interface Sample {
  readonly rps: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly count: number
  readonly bytes: number
  readonly serverCpu: number
  readonly pgCpu: number
}

/** One page (or the floor): its path for client `c`'s `n`th request, and whether it is a dashboard page. */
interface Workload {
  readonly name: string
  readonly path: (c: number, n: number) => string
  readonly page: boolean
}

const run = async (database: BenchDatabase) => {
  const demo = await startDemoServer({ port: 0 })
  const server = await startServer(database.url, noRateLimits, process.env.BENCH_CPU_PROF)
  try {
    const rest = restClient(send, server.origin, server.key)

    // The server, the workflows (each edited once: two versions) and the monitors, over REST.
    const { server: shop } = await rest("POST", "/mcp-servers", { name: "demo-shop", baseUrl: demo.url })
    const workflows: SeededWorkflow[] = []
    for (let w = 0; w < workflowCount; w++) {
      const template = workflowTemplates[w % workflowTemplates.length]!
      const scheduled = w % 2 === 0
      const created = await rest("POST", "/workflows", {
        name: w < workflowTemplates.length ? template.name : `${template.name} ${w}`,
        mcpServerId: shop.id,
        prompt: template.prompt,
        criteria: template.criteria,
        assertions: template.assertions,
        testerModels: ["openai:gpt-5-mini", "openai:gpt-5"],
        judgeModel: "openai:gpt-5-mini",
        // Daily at 03:00 UTC: never due while the bench runs (a new workflow does not fire at once).
        schedule: scheduled ? { cron: "0 3 * * *", timezone: "UTC" } : null
      })
      const edited = await rest("PATCH", `/workflows/${created.id}`, {
        prompt: `${template.prompt} Answer in two sentences at most.`,
        expectedVersionId: created.currentVersionId
      })
      workflows.push({
        id: created.id,
        orgId: created.orgId,
        name: created.spec.name,
        prompt: edited.spec.prompt,
        scheduled,
        versions: [
          { id: created.currentVersionId, version: created.version },
          { id: edited.currentVersionId, version: edited.version }
        ],
        criteria: edited.spec.criteria,
        assertions: edited.spec.assertions
      })
    }
    log(`${workflows.length} workflows; creating ${monitorCount} monitors`)
    const monitorIds: string[] = new Array(monitorCount)
    let nextMonitor = 0
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let m = nextMonitor++; m < monitorCount; m = nextMonitor++) {
          const monitor = await rest("POST", "/monitors", {
            name: `Order lookup ${String(m + 1).padStart(3, "0")}`,
            mcpServerId: shop.id,
            toolName: "get_order",
            arguments: { orderId: m % 2 === 0 ? "A-1001" : "A-1002" },
            // Hourly: after its first check (at once), no monitor is due while the bench runs.
            intervalSeconds: 3600
          })
          monitorIds[m] = monitor.id
        }
      })
    )

    // Every monitor's first check is due at creation; wait for the worker to have done them all.
    const deadline = Date.now() + 120_000
    for (;;) {
      const [row] = await withSql(
        database.url,
        (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM monitors WHERE last_checked_at IS NULL`
      )
      if (row!.n === 0) break
      if (Date.now() > deadline)
        throw new Error(`${row!.n} monitors not checked in 120 s\n${server.output()}`)
      await sleep(250)
    }
    for (let m = 5; m < monitorCount; m += 40) await rest("POST", `/monitors/${monitorIds[m]}/pause`)
    for (let m = 15; m < monitorCount; m += 40) await rest("POST", `/monitors/${monitorIds[m]}/mute`)

    // A week of hourly checks per monitor, then every tenth monitor's newest check going wrong,
    // and each monitor's last outcome from its newest check (as `MonitorStore.insertCheck` keeps it).
    const checks = await withSql(database.url, (sql) =>
      Effect.gen(function* () {
        yield* sql`INSERT INTO monitor_checks (id, org_id, monitor_id, scheduled_at, started_at, outcome,
            latency_ms, error, result_excerpt, attempts)
          SELECT gen_random_uuid()::text, m.org_id, m.id, s.scheduled_at,
            s.scheduled_at + make_interval(secs => 0.05 + s.r * 2), o.outcome,
            CASE o.outcome WHEN 'error' THEN 10000 WHEN 'degraded' THEN 1200 + s.r * 1500
              ELSE 35 + random() * 90 + CASE WHEN random() < 0.05 THEN random() * 400 ELSE 0 END END,
            CASE o.outcome WHEN 'error' THEN 'MCP request timed out after 10000 ms' END,
            CASE o.outcome WHEN 'error' THEN NULL WHEN 'fail' THEN 'internal error: order service timed out'
              ELSE '{"orderId":"A-1001","status":"shipped","totalEur":42.5,"items":["mug","tea"]}' END,
            CASE o.outcome WHEN 'error' THEN 3 ELSE 1 END
          FROM (SELECT id, org_id, row_number() OVER (ORDER BY created_at, id) AS n FROM monitors) m
          CROSS JOIN LATERAL (
            SELECT date_trunc('hour', now()) - g * interval '1 hour' + (m.n % 60) * interval '1 minute'
              AS scheduled_at, random() AS r
            FROM generate_series(1, ${checksPerMonitor}::int) g) s
          CROSS JOIN LATERAL (SELECT CASE WHEN s.r < 0.90 THEN 'pass' WHEN s.r < 0.95 THEN 'degraded'
            WHEN s.r < 0.98 THEN 'fail' ELSE 'error' END AS outcome) o`
        yield* sql`INSERT INTO monitor_checks (id, org_id, monitor_id, scheduled_at, started_at, outcome,
            latency_ms, error, result_excerpt, attempts)
          SELECT gen_random_uuid()::text, m.org_id, m.id, now(), now(), o.outcome,
            CASE o.outcome WHEN 'error' THEN 10000 WHEN 'degraded' THEN 2400 ELSE 80 END,
            CASE o.outcome WHEN 'error' THEN 'MCP request timed out after 10000 ms' END,
            CASE o.outcome WHEN 'fail' THEN 'internal error: order service timed out' END,
            CASE o.outcome WHEN 'error' THEN 3 ELSE 1 END
          FROM (SELECT id, org_id, row_number() OVER (ORDER BY created_at, id) - 1 AS n FROM monitors) m
          CROSS JOIN LATERAL (SELECT (ARRAY['fail', 'degraded', 'error'])[(m.n / 10) % 3 + 1] AS outcome) o
          WHERE m.n % 10 = 0`
        yield* sql`UPDATE monitors m SET last_outcome = c.outcome, last_checked_at = c.started_at
          FROM (SELECT DISTINCT ON (monitor_id) monitor_id, outcome, started_at FROM monitor_checks
                ORDER BY monitor_id, started_at DESC, id DESC) c
          WHERE c.monitor_id = m.id`
        return yield* sql<{ outcome: string; n: number }>`
          SELECT outcome, count(*)::int AS n FROM monitor_checks GROUP BY outcome ORDER BY outcome`
      })
    )
    log(`checks: ${checks.map((c) => `${c.outcome} ${c.n}`).join(", ")}`)

    // The runs, through the store's bulk insert, newest first over the last 7 days.
    const newest = Date.now() - 5 * 60_000
    const spacing = (6.9 * 86_400_000) / runCount
    const runs = Array.from({ length: runCount }, (_, i) => runOf(workflows, shop.id, i, newest, spacing))
    const imported = await withSql(database.url, () => PgStore.importRuns(runs))
    if (imported !== runCount) throw new Error(`imported ${imported} of ${runCount} runs`)
    await withSql(database.url, (sql) =>
      Effect.forEach(
        ["monitors", "monitor_checks", "runs", "run_tool_calls", "workflows", "workflow_versions"],
        (table) => sql.unsafe(`VACUUM ANALYZE ${table}`),
        { discard: true }
      )
    )
    const runIds = runs.map((r) => r.id)
    const statuses = new Map<string, number>()
    for (const r of runs) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
    log(`runs: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(", ")}`)

    // The seeded data reads back through the API as the store wrote it.
    const listed = await rest("GET", "/runs?limit=5")
    if (listed.items?.length !== 5) throw new Error(`GET /runs?limit=5: ${JSON.stringify(listed)}`)
    for (const expected of [runs[0]!, runs[1]!, runs[4]!, runs[runCount - 1]!]) {
      const got = await rest("GET", `/runs/${expected.id}`)
      if (
        got.id !== expected.id ||
        got.status !== expected.status ||
        got.toolCalls?.length !== expected.toolCalls.length ||
        got.criteria?.length !== expected.criteria.length ||
        got.workflowVersionId !== expected.workflowVersionId
      )
        throw new Error(`GET /runs/${expected.id} does not read back: ${JSON.stringify(got).slice(0, 800)}`)
    }
    const monitorChecks = await rest("GET", `/monitors/${monitorIds[1]}/checks?limit=5`)
    if (!Array.isArray(monitorChecks.items) || monitorChecks.items.length !== 5)
      throw new Error(`GET /monitors/{id}/checks: ${JSON.stringify(monitorChecks).slice(0, 500)}`)

    // Sign in as a browser does: the form's token and its cookie, then the owner key.
    const form = await send(`${server.origin}/sign-in`, "GET", {})
    const formCookie = cookieOf(form.headers, "armature_sign_in")
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1]
    if (form.status !== 200 || formCookie === undefined || csrf !== formCookie)
      throw new Error(`GET /sign-in → ${form.status} (cookie ${formCookie}, csrf ${csrf})`)
    const signIn = await send(
      `${server.origin}/sign-in`,
      "POST",
      { "content-type": "application/x-www-form-urlencoded", cookie: `armature_sign_in=${formCookie}` },
      new URLSearchParams({ csrf, next: "/", key: server.key }).toString()
    )
    const session = cookieOf(signIn.headers, "armature_session")
    if (signIn.status !== 303 || session === undefined)
      throw new Error(`POST /sign-in → ${signIn.status}: ${signIn.text.slice(0, 300)}`)
    const pageHeaders = { cookie: `armature_session=${session}`, accept: "text/html" }
    const anonymous = await send(`${server.origin}/monitors`, "GET", { accept: "text/html" })
    if (anonymous.status !== 303 || !String(anonymous.headers.location).startsWith("/sign-in"))
      throw new Error(`GET /monitors without a session → ${anonymous.status}, expected 303 to /sign-in`)

    const at = <A>(xs: ReadonlyArray<A>, k: number) => xs[k % xs.length]!
    const pages: ReadonlyArray<Workload> = [
      { name: "GET /", path: () => "/", page: true },
      { name: "GET /workflows", path: () => "/workflows", page: true },
      { name: "GET /workflows/{id}", path: (c, n) => `/workflows/${at(workflows, c + n).id}`, page: true },
      { name: "GET /monitors", path: () => "/monitors", page: true },
      { name: "GET /monitors/{id}", path: (c, n) => `/monitors/${at(monitorIds, c * 17 + n)}`, page: true },
      {
        name: "GET /monitors/{id}?7d",
        path: (c, n) => `/monitors/${at(monitorIds, c * 17 + n)}?window=7d`,
        page: true
      },
      { name: "GET /runs/{id}", path: (c, n) => `/runs/${at(runIds, c * 101 + n)}`, page: true }
    ]
    const measured = only === undefined ? pages : pages.filter((w) => only.includes(w.name.slice(4)))
    const healthz: Workload = { name: "GET /healthz (floor)", path: () => "/healthz", page: false }

    const once = async (w: Workload, c: number, n: number) => {
      const path = w.path(c, n)
      const res = await send(`${server.origin}${path}`, "GET", w.page ? pageHeaders : {})
      const type = String(res.headers["content-type"] ?? "")
      const ok = res.status === 200 && (!w.page || type.startsWith("text/html"))
      return {
        res,
        bytes: res.bytes,
        error: ok
          ? null
          : `${path} → ${res.status} ${type} ${res.headers.location ?? ""} ${res.text.slice(0, 300)}`
      }
    }

    // Each page once, checked for the content it is supposed to render (a string, or a link at least n times).
    const expectations: Record<string, ReadonlyArray<string | readonly [RegExp, number]>> = {
      "GET /": ["Failing workflows", workflows[1]!.name, "Monitors needing attention", "Coverage per server"],
      "GET /workflows": workflows.map((w) => w.name),
      "GET /workflows/{id}": ["Recent runs", "Changes from v1 to v2", [/href="\/runs\/[^"]+"/g, 20]],
      "GET /monitors": ["Recent checks", [/<a href="\/monitors\/[^"?]+">/g, 50]],
      "GET /monitors/{id}": ['class="chart"', "Latency over the last 24h", "Recent errors"],
      "GET /monitors/{id}?7d": ['class="chart"', "Latency over the last 7d"],
      "GET /runs/{id}": ["Criteria", 'class="timeline"', "Trace", "get_order"]
    }
    for (const w of pages) {
      const { res, error } = await once(w, 0, 0)
      if (error !== null) throw new Error(`${w.name}: ${error}`)
      for (const e of expectations[w.name] ?? []) {
        const missing =
          typeof e === "string" ? !res.text.includes(e) : (res.text.match(e[0]) ?? []).length < e[1]
        if (missing) throw new Error(`${w.name}: the page lacks ${e}:\n${res.text.slice(0, 2000)}`)
      }
    }
    log("every page renders its content; measuring")

    /** `concurrency` loops, back to back, for `duration` seconds. */
    const measure = async (w: Workload, duration: number, concurrency: number): Promise<Sample> => {
      const serverCpu = cpuOf([server.pid])
      // The pool closes connections idle for 10 s and opens new ones: its backends are listed again at the end.
      const pg = backendsCpuOf(database.name)
      const driven = await drive(concurrency, duration, (c, n) => once(w, c, n))
      if (driven.errors.length > 0)
        throw new Error(`${w.name}: ${driven.errors.join("\n")}\n${server.output()}`)
      const count = driven.count
      return {
        rps: driven.rps,
        p50: pct(driven.latencies, 0.5),
        p95: pct(driven.latencies, 0.95),
        p99: pct(driven.latencies, 0.99),
        count,
        bytes: driven.bytes,
        serverCpu: serverCpu() / count,
        pgCpu: pg() / count
      }
    }

    const countChecks = async () => {
      const [row] = await withSql(
        database.url,
        (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM monitor_checks`
      )
      return row!.n
    }
    const checksBefore = await countChecks()
    const workloads = [healthz, ...measured]
    log(`warm-up: ${warmupSeconds} s per page`)
    for (const w of workloads) await measure(w, warmupSeconds, clients)
    const loaded = new Map<string, Sample[]>(workloads.map((w) => [w.name, []]))
    const alone = new Map<string, Sample[]>(workloads.map((w) => [w.name, []]))
    for (let round = 0; round < rounds; round++) {
      const order = [healthz, ...(round % 2 === 0 ? measured : [...measured].reverse())]
      for (const w of order) {
        loaded.get(w.name)!.push(await measure(w, seconds, clients))
        alone.get(w.name)!.push(await measure(w, seconds, 1))
      }
      log(`round ${round + 1}/${rounds} done`)
    }
    // No monitor was due while measuring: the worker checked nothing (checks are only added).
    const checksAfter = await countChecks()
    return {
      workloads: workloads.map((w) => w.name),
      loaded,
      alone,
      checks: checksBefore,
      checkedWhileMeasuring: checksAfter - checksBefore
    }
  } finally {
    keepAlive.close()
    await server.stop()
    await demo.close()
  }
}

const { database, result } = await onFreshDatabase(run)

const floorName = result.workloads[0]!
console.log(
  `Dashboard pages: armature serve (dist/armature.mjs) on PostgreSQL ${database.version}, ` +
    `${monitorCount} monitors (${result.checks.toLocaleString("en-US")} checks), ` +
    `${runCount.toLocaleString("en-US")} runs of ${workflowCount} workflows over 7 days; ` +
    `${clients} clients back to back, then 1 client, ${seconds} s per page and round`
)
console.log(
  `p95/goal: the p95 over the goal's ${goalMs} ms; p95/floor: over /healthz's p95 at the same concurrency\n` +
    "cpu ms/req: server process, this database's PostgreSQL backends (/proc, 10 ms ticks)\n"
)
const header = `round  page                    clients    req/s   p50 ms   p95 ms   p99 ms │ p95/goal  p95/floor │  KB/resp │ cpu ms/req: server      pg`
const line = (label: string, name: string, concurrency: number, s: Sample, floor: Sample) =>
  console.log(
    `${label.padStart(5)}  ${name.padEnd(24)}${num(concurrency, 0, 6)}  ${num(s.rps, 0, 7)}  ${num(s.p50, 1)}  ${num(s.p95, 1)}  ${num(s.p99, 1)} │ ${num(s.p95 / goalMs, 2, 7)}×  ${num(s.p95 / floor.p95, 1, 8)}× │ ${num(s.bytes / 1024, 1, 8)} │ ${num(s.serverCpu, 2, 18)}  ${num(s.pgCpu, 2, 6)}`
  )
console.log(header)
for (let round = 0; round < rounds; round++) {
  for (const [samples, concurrency] of [
    [result.loaded, clients],
    [result.alone, 1]
  ] as const) {
    const floor = samples.get(floorName)![round]!
    for (const name of result.workloads)
      line(String(round + 1), name, concurrency, samples.get(name)![round]!, floor)
  }
}
const loadedMedian = new Map(result.workloads.map((name) => [name, medianOfEach(result.loaded.get(name)!)]))
const aloneMedian = new Map(result.workloads.map((name) => [name, medianOfEach(result.alone.get(name)!)]))
console.log(`\nmedian of ${rounds} rounds:`)
console.log(header)
for (const [medians, concurrency] of [
  [loadedMedian, clients],
  [aloneMedian, 1]
] as const) {
  for (const name of result.workloads)
    line("", name, concurrency, medians.get(name)!, medians.get(floorName)!)
}
console.log(
  `\ngoal (issue): every page ≤ ${goalMs} ms p95 with ${runCount.toLocaleString("en-US")} runs and ${monitorCount} monitors`
)
for (const name of result.workloads.slice(1)) {
  const verdict = (s: Sample) => `${s.p95.toFixed(1)} ms ${s.p95 <= goalMs ? "MEETS" : "MISSES"}`
  const perRound = (xs: ReadonlyArray<Sample>) => xs.map((s) => s.p95.toFixed(1)).join(" / ")
  console.log(
    `  ${name.padEnd(24)} 1 client p95 ${verdict(aloneMedian.get(name)!)} (rounds ${perRound(result.alone.get(name)!)}), ` +
      `${clients} clients p95 ${verdict(loadedMedian.get(name)!)} (rounds ${perRound(result.loaded.get(name)!)})`
  )
}
console.log(
  `monitor checks by the worker while measuring: ${result.checkedWhileMeasuring} (every monitor hourly, all checked before)`
)
