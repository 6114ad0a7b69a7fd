/**
 * `npm run bench -w @armature/server` (after the alerts bench): read throughput and latency of the
 * MCP API (`POST /api/mcp`, `tools/call search_runs` and `inspect_run`) beside the same reads
 * over REST (`GET /api/armature/v1/runs?after=…&limit=20`, `GET /api/armature/v1/runs/{id}`), in
 * one run, through the bundled server (`dist/armature.mjs`) on PostgreSQL. Goal of a later
 * performance issue, printed but not asserted: ≥ 1,500 req/s and p99 ≤ 30 ms over MCP.
 *
 * Load: `BENCH_CLIENTS` (10) clients, each sending its next request as soon as the last one
 * answered, for `BENCH_SECONDS` (3) per workload and round, `BENCH_ROUNDS` (3) rounds after one
 * unrecorded warm-up second per workload. Workloads alternate MCP and REST within a round (the
 * order of each pair flips every round), so drift of a shared machine hits both alike. The client
 * is `node:http` with keep-alive sockets (one per client) and raw JSON-RPC, not the MCP SDK: the
 * endpoint is stateless, so after one `initialize` (whose negotiated version every later request
 * sends as `MCP-Protocol-Version`, as an SDK client does) each `tools/call` is one POST answered in
 * JSON (`Accept: application/json, text/event-stream`). Every MCP response is checked to be a
 * JSON-RPC result, every REST one a 200; any other answer fails the bench.
 *
 * The runs read are real: a loopback OpenAI-compatible endpoint scripts the tester (it calls the
 * demo MCP server's `get_order`, then answers) and the judge (passes the criterion), and
 * `BENCH_RUNS` (30) runs of one workflow are dispatched over REST and executed by the server's
 * worker before anything is measured. `inspect_run` / `GET /runs/{id}` go round those runs.
 * Every `tools/call` writes its audit-log row, as in production (counted at the end). The key's
 * request budget is off (`ARMATURE_RATE_LIMIT_PER_MINUTE=0`) and the failed-key limiter is set
 * out of reach (every request carries a valid key anyway).
 *
 * Where the time goes, beside each figure: floors with no run read — MCP `ping` (key check, a
 * fresh SDK server and transport; no tool, no audit row) and REST `GET /org` (key check, two small
 * reads) — and a baseline, the same client against a loopback server in another process that
 * answers every request with a stored `GET /runs/{id}` body (the client's own ceiling). Last in
 * each round, MCP `tools/list`, which builds and sends the whole tool listing. CPU per request,
 * from /proc: the server process, this database's PostgreSQL backends, and this client.
 *
 *   BENCH_ROUNDS=3 BENCH_SECONDS=3 npm run bench -w @armature/server
 *
 * `BENCH_CPU_PROF=<dir>` starts the server with `--cpu-prof` into that directory (written when it
 * exits), to see where its time goes.
 *
 * PostgreSQL from ARMATURE_BENCH_DATABASE_URL (or ARMATURE_TEST_DATABASE_URL); a fresh database
 * is created for the run and dropped afterwards. No timing is asserted.
 */
import { backendsOf } from "./support/cpu.js"
import { type BenchDatabase, onFreshDatabase, withSql } from "./support/database.js"
import { keepAliveClient, restClient } from "./support/http.js"
import { clients, rounds, seconds, warmupSeconds } from "./support/load.js"
import { logger, num } from "./support/report.js"
import { storeRuns } from "./support/seed.js"
import { startChild } from "./support/serverProcess.js"
import { startStack } from "./support/stack.js"
import { medianOfEach } from "./support/stats.js"
import { sleep } from "./support/wait.js"
import { measure, type Sample, type Workload } from "./support/workload.js"

const runCount = Number(process.env.BENCH_RUNS ?? 30)
const goal = { rps: 1500, p99: 30 }
const log = logger("mcp")

// The baseline server: another process (so its CPU is not this client's), one stored body.
const echoServer = `
const { createServer } = await import("node:http")
const body = Buffer.from(process.env.BENCH_BODY ?? "{}")
const server = createServer((req, res) => {
  req.resume()
  req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body))
})
server.listen(0, "127.0.0.1", () => console.log("listening " + server.address().port))
process.on("SIGTERM", () => process.exit(0))
`
const startEcho = async (body: string) => {
  const echo = await startChild("baseline server", ["--input-type=module", "-e", echoServer], {
    env: { BENCH_BODY: body },
    ready: (printed) => /listening (\d+)/.test(printed),
    stderr: "inherit"
  })
  return { ...echo, origin: `http://127.0.0.1:${/listening (\d+)/.exec(echo.printed)![1]}` }
}

/** One keep-alive socket per client. */
const keepAlive = keepAliveClient(clients)
const send = keepAlive.send

const run = async (database: BenchDatabase) => {
  const stack = await startStack(database.url)
  const { demo, server } = stack
  let echo: Awaited<ReturnType<typeof startEcho>> | undefined
  try {
    const auth = { authorization: `Bearer ${server.key}` }
    const rest = restClient(send, server.origin, server.key)

    const { runIds } = await storeRuns(rest, demo.url, runCount, log).catch((error) => {
      throw new Error(`${error}\n${server.output()}`)
    })

    // MCP: one initialize, as a client does once; then stateless POSTs with the negotiated version.
    const mcpHeaders: Record<string, string> = {
      ...auth,
      "content-type": "application/json",
      accept: "application/json, text/event-stream"
    }
    // The endpoint keeps no session: even a tools/call before any initialize is answered.
    const cold = await send(
      `${server.origin}/api/mcp`,
      "POST",
      mcpHeaders,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "tools/call",
        params: { name: "get_organization_health", arguments: {} }
      })
    )
    const sessionless = cold.status === 200 && JSON.parse(cold.text).result !== undefined
    const init = await send(
      `${server.origin}/api/mcp`,
      "POST",
      mcpHeaders,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "bench", version: "0" }
        }
      })
    )
    const protocolVersion: string = JSON.parse(init.text).result.protocolVersion
    mcpHeaders["mcp-protocol-version"] = protocolVersion
    // Every tools/call sent, by tool: each should leave one audit row.
    const sent = { search_runs: 0, inspect_run: 0 }
    const rpc = (method: string, params: unknown, id: number) => {
      const tool = (params as { name?: string }).name
      if (method === "tools/call" && (tool === "search_runs" || tool === "inspect_run")) sent[tool]++
      return send(
        `${server.origin}/api/mcp`,
        "POST",
        mcpHeaders,
        JSON.stringify({ jsonrpc: "2.0", id, method, params })
      )
    }
    const after = new Date(Date.now() - 7 * 86_400_000).toISOString()
    const searchArgs = { after, limit: 20 }

    // Same answers both ways, checked once before anything is timed.
    const viaMcp = JSON.parse(
      (await rpc("tools/call", { name: "search_runs", arguments: searchArgs }, 1)).text
    )
    const viaRest = await rest("GET", `/runs?after=${encodeURIComponent(after)}&limit=20`)
    if (viaMcp.result?.structuredContent?.runs?.length !== 20 || viaRest.items.length !== 20)
      throw new Error(`expected 20 runs both ways: ${JSON.stringify(viaMcp).slice(0, 500)}`)
    const inspected = JSON.parse(
      (await rpc("tools/call", { name: "inspect_run", arguments: { runId: runIds[0] } }, 2)).text
    )
    if (inspected.result?.structuredContent?.id !== runIds[0])
      throw new Error(`inspect_run: ${JSON.stringify(inspected).slice(0, 500)}`)
    const runBody = (await send(`${server.origin}/api/armature/v1/runs/${runIds[0]}`, "GET", auth)).text
    log(
      `MCP protocol ${protocolVersion}; tools/call before any initialize: ` +
        (sessionless ? "answered (stateless)" : `refused (${cold.status} ${cold.text.slice(0, 200)})`)
    )

    echo = await startEcho(runBody)
    const echoOrigin = echo.origin
    const echoPid = echo.pid
    const serverPid = () => [server.pid]
    const mcp = (name: string, method: string, params: (c: number, n: number) => unknown): Workload => ({
      name,
      cpuPid: serverPid,
      once: async (c, n) => {
        const res = await rpc(method, params(c, n), n)
        const ok =
          res.status === 200 && res.text.includes('"result":') && !res.text.includes('"error":{"code":')
        return { error: ok ? null : `${res.status} ${res.text.slice(0, 300)}`, bytes: res.bytes }
      }
    })
    const get = (
      name: string,
      path: (c: number, n: number) => string,
      origin = server.origin,
      pid = serverPid
    ): Workload => ({
      name,
      cpuPid: pid,
      once: async (c, n) => {
        const res = await send(`${origin}${path(c, n)}`, "GET", auth)
        return {
          error: res.status === 200 ? null : `${res.status} ${res.text.slice(0, 300)}`,
          bytes: res.bytes
        }
      }
    })
    const runOf = (c: number, n: number) => runIds[(c * 7 + n) % runIds.length]!
    const pairs: ReadonlyArray<readonly [Workload, Workload]> = [
      [get("REST GET /org", () => "/api/armature/v1/org"), mcp("MCP ping", "ping", () => ({}))],
      [
        get("REST GET /runs", () => `/api/armature/v1/runs?after=${encodeURIComponent(after)}&limit=20`),
        mcp("MCP search_runs", "tools/call", () => ({ name: "search_runs", arguments: searchArgs }))
      ],
      [
        get("REST GET /runs/{id}", (c, n) => `/api/armature/v1/runs/${runOf(c, n)}`),
        mcp("MCP inspect_run", "tools/call", (c, n) => ({
          name: "inspect_run",
          arguments: { runId: runOf(c, n) }
        }))
      ]
    ]
    // Not a floor: the listing is ~50 KB of JSON Schema, built and serialized per request.
    const listing = mcp("MCP tools/list", "tools/list", () => ({}))
    const baseline = get(
      "baseline (stored body)",
      () => "/",
      echoOrigin,
      () => [echoPid]
    )
    const workloads = [baseline, ...pairs.flat(), listing]
    const pgPids = () => backendsOf(database.name)

    log(`warm-up: ${warmupSeconds} s per workload`)
    for (const w of workloads) await measure(w, warmupSeconds, pgPids)
    const samples = new Map<string, Sample[]>(workloads.map((w) => [w.name, []]))
    for (let round = 0; round < rounds; round++) {
      const order = [baseline, ...pairs.flatMap(([a, b]) => (round % 2 === 0 ? [a, b] : [b, a])), listing]
      for (const w of order) samples.get(w.name)!.push(await measure(w, seconds, pgPids))
      log(`round ${round + 1}/${rounds} done`)
    }

    // Every tools/call wrote its audit row (the warm-up's and the checks' included).
    await sleep(500)
    const audited = await withSql(
      database.url,
      (sql) => sql<{ action: string; n: number }>`
        SELECT action, count(*)::int AS n FROM audit_log GROUP BY action ORDER BY action`
    )
    return {
      workloads: workloads.map((w) => w.name),
      pairs: pairs.map(([a, b]) => [a.name, b.name] as const),
      samples,
      audited,
      sent,
      protocolVersion
    }
  } finally {
    keepAlive.close()
    await echo?.stop()
    await stack.close()
  }
}

const { database, result } = await onFreshDatabase(run)

console.log(
  `MCP API reads vs REST: armature serve (dist/armature.mjs) on PostgreSQL ${database.version}, ` +
    `${clients} clients back to back, ${seconds} s per workload and round, ${runCount} runs stored`
)
console.log(
  "cpu ms/req: server process, this database's PostgreSQL backends, this client (/proc, 10 ms ticks)\n"
)
console.log(
  "round  workload                    req/s   p50 ms   p99 ms │ bytes/resp │ cpu ms/req: server      pg  client"
)
const line = (label: string, name: string, s: Sample) =>
  console.log(
    `${label.padStart(5)}  ${name.padEnd(24)} ${num(s.rps)}  ${num(s.p50, 2)}  ${num(s.p99, 2)} │ ${num(s.bytes, 0, 10)} │ ${num(s.serverCpu, 2, 18)}  ${num(s.pgCpu, 2, 6)}  ${num(s.clientCpu, 2, 6)}`
  )
for (let round = 0; round < rounds; round++)
  for (const name of result.workloads) line(String(round + 1), name, result.samples.get(name)![round]!)
const summary = new Map(
  result.workloads.map((name) => [name, medianOfEach(result.samples.get(name)!)] as const)
)
console.log(`\nmedian of ${rounds} rounds:`)
for (const name of result.workloads) line("", name, summary.get(name)!)
console.log("\nMCP / REST (medians):")
for (const [restName, mcpName] of result.pairs) {
  const r = summary.get(restName)!
  const m = summary.get(mcpName)!
  console.log(
    `  ${mcpName.padEnd(18)} / ${restName.padEnd(20)} req/s ${(m.rps / r.rps).toFixed(2)}×   p50 ${(m.p50 / r.p50).toFixed(2)}×   p99 ${(m.p99 / r.p99).toFixed(2)}×   server cpu/req ${(m.serverCpu / r.serverCpu).toFixed(2)}×`
  )
}
for (const name of ["MCP search_runs", "MCP inspect_run"]) {
  const s = summary.get(name)!
  const pass = s.rps >= goal.rps && s.p99 <= goal.p99
  console.log(
    `goal (later issue) ≥ ${num(goal.rps, 0, 1)} req/s, p99 ≤ ${goal.p99} ms — ${name}: ${num(s.rps, 0, 1)} req/s, p99 ${s.p99.toFixed(1)} ms: ${pass ? "PASS" : "MISS"}`
  )
}
const base = summary.get("baseline (stored body)")!
console.log(
  `\nclient ceiling (baseline, same client, stored body, no Armature): ${num(base.rps, 0, 1)} req/s, p99 ${base.p99.toFixed(2)} ms`
)
const auditedOf = (action: string) => result.audited.find((a) => a.action === action)?.n ?? 0
const oneEach =
  auditedOf("search_runs") === result.sent.search_runs && auditedOf("inspect_run") === result.sent.inspect_run
console.log(
  `audit rows: ${result.audited.map((a) => `${a.action} ${a.n}`).join(", ")} ` +
    `(tools/call sent, warm-up included: search_runs ${result.sent.search_runs}, inspect_run ${result.sent.inspect_run}): ` +
    (oneEach ? "one row per call" : "MISMATCH")
)
