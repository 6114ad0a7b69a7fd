/**
 * Two `armature serve` processes on one PostgreSQL database share the work, and each fire is
 * executed exactly once: every monitor check the store recorded reached the MCP server once,
 * and every dispatched run's job was claimed once.
 */
import { createServer } from "node:http"
import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { Effect, Exit, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import { freshDatabaseUrl, postgresAvailable } from "../../store-postgres/test/support/databases.js"
import { rest, type ServerProcess, startServer } from "./support/serverProcess.js"

const available = await postgresAvailable("packages/server/test/TwoProcesses.test.ts")

describe.runIf(available)("two serve processes on one PostgreSQL", () => {
  const database = Effect.runSync(Scope.make())
  let url: string
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  // A model endpoint that refuses every request: runs end in `error`, which is enough to see
  // that each run's job was executed once; the model's answers are tested elsewhere.
  const model = createServer((_req, res) => {
    res.writeHead(400, { "content-type": "application/json" })
    res.end(JSON.stringify({ error: { message: "refused by the test", type: "invalid_request_error" } }))
  })
  const processes: ServerProcess[] = []

  beforeAll(async () => {
    url = await Effect.runPromise(Scope.extend(freshDatabaseUrl, database))
    // Each process checks one monitor at a time and a check takes 300 ms: when the monitors fall
    // due together, the first process to poll cannot take them all before the other polls (every
    // 500 ms), so both take part whichever polls first.
    demo = await startDemoServer({ port: 0, toolLatencyMs: 300 })
    await new Promise<void>((r) => model.listen(0, "127.0.0.1", r))
    const modelPort = (model.address() as { port: number }).port
    const env = {
      OPENAI_API_KEY: "test",
      OPENAI_BASE_URL: `http://127.0.0.1:${modelPort}/v1`,
      DATABASE_URL: url,
      ARMATURE_SECRET_KEY: Buffer.alloc(32, 7).toString("base64"),
      ARMATURE_ALLOW_LOOPBACK: "true",
      ARMATURE_WORKER_CONCURRENCY: "2",
      ARMATURE_MONITOR_CONCURRENCY: "1"
    }
    // Started together: they race on migrations and bootstrap, which must yield one organization.
    processes.push(...(await Promise.all([startServer(env), startServer(env)])))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()))
    await demo?.close()
    model.close()
    await Effect.runPromise(Scope.close(database, Exit.void))
  }, 60_000)

  it("creates one organization and executes each monitor fire and each run once", async () => {
    const keys = processes.map((p) => p.ownerKey).filter((k): k is string => k !== null)
    expect(keys).toHaveLength(1)
    const key = keys[0]!
    const [a, b] = processes as [ServerProcess, ServerProcess]
    expect((await rest(a.baseUrl, key, "GET", "/org")).organization.id).toBe(
      (await rest(b.baseUrl, key, "GET", "/org")).organization.id
    )

    const { server } = await rest(a.baseUrl, key, "POST", "/mcp-servers", {
      name: "demo-shop",
      baseUrl: demo.url,
      authProfiles: [{ name: "none", kind: "none" }]
    })
    const monitorCount = 6
    for (let i = 0; i < monitorCount; i++) {
      await rest(i % 2 === 0 ? a.baseUrl : b.baseUrl, key, "POST", "/monitors", {
        name: `products ${i}`,
        mcpServerId: server.id,
        toolName: "list_products",
        arguments: { maxPriceEur: 10 + i },
        intervalSeconds: 10
      })
    }
    const workflow = await rest(a.baseUrl, key, "POST", "/workflows", {
      name: "lookup",
      mcpServerId: server.id,
      prompt: "Find order A-1001.",
      criteria: [{ text: "The agent found the order" }],
      testerModels: ["openai:gpt-5-mini"],
      judgeModel: "openai:gpt-5-mini"
    })
    const dispatched = 8
    for (let i = 0; i < dispatched; i++) {
      await rest(i % 2 === 0 ? a.baseUrl : b.baseUrl, key, "POST", `/workflows/${workflow.id}/runs`, {
        idempotencyKey: `k${i}`
      })
    }

    // Two or three rounds of every monitor, shared by both processes.
    await new Promise((r) => setTimeout(r, 25_000))
    const perProcess = await Promise.all(
      processes.map(async (p) => {
        const text = await (await fetch(`${p.baseUrl}/metrics`)).text()
        return [...text.matchAll(/^armature_monitor_checks_total\{[^}]*\} (\d+)/gm)].reduce(
          (n, m) => n + Number(m[1]),
          0
        )
      })
    )
    console.log(`checks executed per process: ${perProcess.join(", ")}`)
    await Promise.all(processes.map((p) => p.stop()))

    const rows = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* PgClient.make({ url: Redacted.make(url), maxConnections: 1 })
          const checks = yield* sql<{ monitor_id: string; n: number; distinct_fires: number }>`
            SELECT monitor_id, count(*)::int AS n, count(DISTINCT scheduled_at)::int AS distinct_fires
            FROM monitor_checks GROUP BY monitor_id`
          const jobs = yield* sql<{ state: string; attempts: number }>`SELECT state, attempts FROM jobs`
          const runs = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM runs`
          return { checks, jobs, runs: runs[0]!.n }
        })
      ).pipe(Effect.provide(Reactivity.layer))
    )

    expect(rows.checks).toHaveLength(monitorCount)
    for (const m of rows.checks) {
      expect(m.n).toBeGreaterThanOrEqual(2)
      expect(m.distinct_fires).toBe(m.n)
    }
    const recorded = rows.checks.reduce((sum, m) => sum + m.n, 0)
    // Each recorded check called the server once (no retries: the demo server answers); a fire
    // run by both processes would show up here as more calls than checks.
    expect(demo.state.calls.list_products).toBe(recorded)
    // Both processes took part, and between them executed exactly what was recorded.
    expect(perProcess.every((n) => n > 0)).toBe(true)
    expect(perProcess[0]! + perProcess[1]!).toBe(recorded)

    expect(rows.runs).toBe(dispatched)
    expect(rows.jobs).toHaveLength(dispatched)
    for (const job of rows.jobs) {
      expect(job.state).not.toBe("queued")
      expect(job.attempts).toBe(1)
    }
  }, 120_000)
})
