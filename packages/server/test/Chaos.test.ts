/**
 * Chaos: `armature serve` on PostgreSQL is killed with SIGKILL while a workflow run waits on its
 * model, then started again (SPEC §8). The run is not left `running`: the new process recovers
 * its expired lease and retries it once, as its retry policy allows. Every monitor fire is
 * executed at most once, and exactly once when the restart comes within the misfire grace (one
 * interval). Finally SIGTERM with a run hanging returns within the shutdown grace and hands the
 * run back. Leases are shortened by the server's settings; everything is on loopback.
 */
import { createServer, type ServerResponse } from "node:http"
import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { Effect, Exit, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import { freshDatabaseUrl, postgresAvailable } from "../../store-postgres/test/support/databases.js"
import { rest, type ServerProcess, startServer } from "./support/serverProcess.js"

const available = await postgresAvailable("packages/server/test/Chaos.test.ts")

const intervalSeconds = 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Calls `read` until `ok` holds (at most `seconds`); returns the value that satisfied it. */
const until = async <A>(read: () => Promise<A>, ok: (a: A) => boolean, seconds = 60): Promise<A> => {
  const end = Date.now() + seconds * 1000
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > end) throw new Error(`condition not reached in ${seconds} s: ${JSON.stringify(value)}`)
    await sleep(200)
  }
}

/**
 * A loopback OpenAI-compatible endpoint. While `hang` is set it never answers (a provider stuck
 * on a dead connection); otherwise the tester answers at once and the judge passes `c1`.
 */
const startModel = async () => {
  const held: ServerResponse[] = []
  const state = { hang: false, received: 0 }
  const http = createServer(async (req, res) => {
    let raw = ""
    for await (const c of req) raw += c
    state.received++
    if (state.hang) {
      held.push(res)
      return
    }
    const body = JSON.parse(raw)
    const content =
      body.response_format === undefined
        ? "Order A-1001 has shipped."
        : JSON.stringify({
            verdicts: [{ criterionId: "c1", verdict: "pass", reasoning: "ok", evidence: [] }]
          })
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        id: `chatcmpl-${state.received}`,
        object: "chat.completion",
        created: 1_700_000_000,
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
      })
    )
  })
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r))
  const port = (http.address() as { port: number }).port
  return {
    state,
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () => {
      for (const res of held) res.destroy()
      http.closeAllConnections()
      return new Promise<void>((r) => http.close(() => r()))
    }
  }
}

describe.runIf(available)("chaos: serve killed during a workflow run, on PostgreSQL", () => {
  const database = Effect.runSync(Scope.make())
  let url: string
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  let model: Awaited<ReturnType<typeof startModel>>
  let env: Record<string, string>
  const processes: ServerProcess[] = []

  const query = <A extends object>(text: string) =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const sql = yield* PgClient.make({ url: Redacted.make(url), maxConnections: 1 })
          return yield* sql.unsafe<A>(text)
        })
      ).pipe(Effect.provide(Reactivity.layer))
    )

  beforeAll(async () => {
    url = await Effect.runPromise(Scope.extend(freshDatabaseUrl, database))
    demo = await startDemoServer({ port: 0 })
    model = await startModel()
    env = {
      OPENAI_API_KEY: "test",
      OPENAI_BASE_URL: model.baseURL,
      DATABASE_URL: url,
      ARMATURE_SECRET_KEY: Buffer.alloc(32, 9).toString("base64"),
      ARMATURE_ALLOW_LOOPBACK: "true",
      ARMATURE_WORKER_LEASE_SECONDS: "3",
      ARMATURE_SHUTDOWN_GRACE_SECONDS: "2"
    }
  }, 60_000)

  afterAll(async () => {
    for (const p of processes)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL")
    await demo?.close()
    await model?.close()
    await Effect.runPromise(Scope.close(database, Exit.void))
  }, 60_000)

  it("recovers the run, executes each monitor fire once, and drains within the grace", async () => {
    const first = await startServer(env)
    processes.push(first)
    const key = first.ownerKey!
    expect(key).toBeTruthy()

    const { server } = await rest(first.baseUrl, key, "POST", "/mcp-servers", {
      name: "demo-shop",
      baseUrl: demo.url,
      authProfiles: [{ name: "none", kind: "none" }]
    })
    const monitorCount = 3
    for (let i = 0; i < monitorCount; i++) {
      await rest(first.baseUrl, key, "POST", "/monitors", {
        name: `products ${i}`,
        mcpServerId: server.id,
        toolName: "list_products",
        arguments: { maxPriceEur: 10 + i },
        intervalSeconds
      })
    }
    const workflow = await rest(first.baseUrl, key, "POST", "/workflows", {
      name: "lookup",
      mcpServerId: server.id,
      prompt: "Find order A-1001.",
      criteria: [{ text: "The agent found the order" }],
      testerModels: ["openai:gpt-5-mini"],
      judgeModel: "openai:gpt-5-mini"
    })

    // A run in flight: its model call never answers.
    model.state.hang = true
    const received = model.state.received
    const { run } = await rest(first.baseUrl, key, "POST", `/workflows/${workflow.id}/runs`, {
      idempotencyKey: "chaos"
    })
    await until(
      async () => model.state.received,
      (n) => n > received
    )
    expect((await rest(first.baseUrl, key, "GET", `/runs/${run.runId}`)).status).toBe("running")

    // Killed between two monitor fires, so no check is in flight: a check the process had
    // claimed but not recorded would be lost (at most once), which this test is not about.
    const slots = await until(
      () => query<{ at: Date }>("SELECT next_check_at AS at FROM monitors"),
      (rows) => rows.length === monitorCount
    )
    const phase = (t: number) =>
      Math.min(
        ...slots.map(
          (s) =>
            (((t - s.at.getTime()) % (intervalSeconds * 1000)) + intervalSeconds * 1000) %
            (intervalSeconds * 1000)
        )
      )
    await until(
      async () => phase(Date.now()),
      (p) => p > 2000 && p < 4000 && Date.now() > Math.max(...slots.map((s) => s.at.getTime()))
    )
    first.child.kill("SIGKILL")
    await new Promise((r) => first.child.once("exit", r))
    const killedAt = Date.now()
    model.state.hang = false

    const second = await startServer(env)
    processes.push(second)
    const readyAt = Date.now()

    // The lost run is retried once (its retry policy allows it) and completes; never left running.
    const ended = await until(
      () => rest(second.baseUrl, key, "GET", `/runs/${run.runId}`),
      (r) => r.status !== "pending" && r.status !== "running"
    )
    expect(ended.status).toBe("pass")
    expect(ended.attempt).toBe(2)

    // Every monitor fires again after the restart.
    await until(
      () =>
        query<{ n: number }>(
          `SELECT count(DISTINCT monitor_id)::int AS n FROM monitor_checks WHERE started_at > '${new Date(readyAt).toISOString()}'`
        ),
      (rows) => rows[0]!.n === monitorCount
    )

    // SIGTERM while a run hangs on its model: the process drains for the grace, then exits and
    // hands the run back (queued again, or ended when its attempts are used up).
    model.state.hang = true
    const before = model.state.received
    const { run: hanging } = await rest(second.baseUrl, key, "POST", `/workflows/${workflow.id}/runs`, {
      idempotencyKey: "shutdown"
    })
    await until(
      async () => model.state.received,
      (n) => n > before
    )
    const stopped = await Promise.race([
      second.stop().then(() => "exited"),
      sleep(60_000).then(() => "still running")
    ])
    expect(stopped).toBe("exited")

    const checks = await query<{ monitor_id: string; scheduled_at: Date }>(
      "SELECT monitor_id, scheduled_at FROM monitor_checks ORDER BY monitor_id, scheduled_at"
    )
    const recorded = checks.length
    // At most once: every call the demo server received is a recorded check, and no fire is
    // recorded twice.
    expect(demo.state.calls.list_products).toBe(recorded)
    const byMonitor = new Map<string, number[]>()
    for (const c of checks)
      byMonitor.set(c.monitor_id, [...(byMonitor.get(c.monitor_id) ?? []), c.scheduled_at.getTime()])
    expect(byMonitor.size).toBe(monitorCount)
    for (const times of byMonitor.values()) {
      expect(new Set(times).size).toBe(times.length)
      // The fire missed while the server was down is late by less than an interval when the
      // second process claims it: then it runs exactly once and no slot is skipped.
      const missed = times.find((t) => t > killedAt)!
      const withinGrace = readyAt - missed < intervalSeconds * 1000 - 1000
      if (withinGrace) {
        const expected = times.map((_, i) => times[0]! + i * intervalSeconds * 1000)
        expect(times).toEqual(expected)
      } else {
        console.log(
          `restart took ${readyAt - killedAt} ms, beyond the misfire grace: exactly-once not checked`
        )
      }
    }

    const jobs = await query<{
      target_id: string
      state: string
      attempts: number
      last_error: string | null
    }>("SELECT target_id, state, attempts, last_error FROM jobs")
    expect(jobs.find((j) => j.target_id === run.runId)).toMatchObject({ state: "done", attempts: 2 })
    const handedBack = jobs.find((j) => j.target_id === hanging.runId)!
    const [stored] = await query<{ status: string; error: { code: string } | null }>(
      `SELECT status, error FROM runs WHERE id = '${hanging.runId}'`
    )
    if (handedBack.state === "queued") {
      expect(handedBack.last_error).toMatch(/shut down/)
      expect(stored!.status).toBe("running")
    } else {
      expect(handedBack.state).toBe("dead")
      expect(stored!.error?.code).toBe("worker_lost")
    }
  }, 240_000)
})
