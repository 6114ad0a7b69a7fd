/**
 * `npm run bench -w @armature/server` (after the startup bench): alert delivery latency, from a
 * stored failing (or recovered) outcome to the signed webhook arriving at its receiver, through
 * the bundled server (`dist/armature.mjs`) on PostgreSQL with the default dispatcher poll (1 s;
 * `ARMATURE_ALERT_POLL_INTERVAL` is left unset). Goal: p95 ≤ 2 s over ≥ 100 alerts.
 *
 * The path is the one users hit: monitors created over REST on the demo MCP server, one webhook
 * rule each (all to one receiver URL with one signing secret, entered in each rule), and the
 * demo's regression switched on and off. Each switch makes every monitor's next
 * check change outcome, which stores the check and its outbox row in one transaction (firing on
 * the way down, recovery on the way up); the dispatcher claims it at its next poll and POSTs it.
 * Monitors are created `interval / monitors` apart, so their checks (and their alerts) are spread
 * over the interval as they are for monitors created at different times, not one burst.
 *
 * t0 is the outbox row's `createdAt` (`GET /alerts`): the server's clock when it wrote the alert
 * in the transaction that stores the failing check — the stored outcome, just before its commit.
 * (The check's `startedAt`, also the payload's `data.at`, is earlier by the MCP call itself; the
 * breakdown prints that part separately.) t1 is the receiver's clock when the whole request has
 * arrived and its Standard Webhooks signature verified. Both clocks are this machine's.
 *
 * Baseline, measured in the same run after each round: the same receiver, a request of the same
 * size signed the same way and POSTed straight from this process (t0 just before signing).
 *
 *   BENCH_MONITORS=25 BENCH_TOGGLES=8 npm run bench -w @armature/server
 *
 * PostgreSQL from ARMATURE_BENCH_DATABASE_URL (or ARMATURE_TEST_DATABASE_URL); a fresh database
 * is created for the run and dropped afterwards. No timing is asserted.
 */
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import { type BenchDatabase, onFreshDatabase } from "./support/database.js"
import { logger } from "./support/report.js"
import { startServer } from "./support/serverProcess.js"
import { pct } from "./support/stats.js"
import { sleep, until } from "./support/wait.js"

const monitors = Number(process.env.BENCH_MONITORS ?? 25)
const toggles = Number(process.env.BENCH_TOGGLES ?? 8)
/** The shortest interval a monitor accepts. */
const intervalSeconds = 10
/** The server's default `ARMATURE_ALERT_POLL_INTERVAL`, which this bench does not set. */
const defaultPollMs = 1000
const goalP95Ms = 2000
const log = logger("alerts")

interface Arrival {
  readonly id: string
  /** Wall clock, to compare with the server's timestamps. */
  readonly at: number
  /** Monotonic, sub-millisecond, for the baseline (both ends in this process). */
  readonly mono: number
  readonly round: number
  readonly raw: string
  readonly body: any
}

/** The loopback receiver: verifies each request as the alerts README tells users to. */
const startReceiver = async (secret: string) => {
  const verifier = new Webhook(Buffer.from(secret, "utf8").toString("base64"))
  const arrivals = new Map<string, Arrival>()
  const state = { round: -1, forged: 0, duplicates: 0 }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const at = Date.now()
      const mono = performance.now()
      const raw = Buffer.concat(chunks).toString("utf8")
      const headers = {
        "webhook-id": String(req.headers["webhook-id"]),
        "webhook-timestamp": String(req.headers["webhook-timestamp"]),
        "webhook-signature": String(req.headers["webhook-signature"])
      }
      let body: any
      try {
        body = verifier.verify(raw, headers)
      } catch {
        state.forged++
        res.writeHead(400).end()
        return
      }
      if (arrivals.has(headers["webhook-id"])) state.duplicates++
      else
        arrivals.set(headers["webhook-id"], {
          id: headers["webhook-id"],
          at,
          mono,
          round: state.round,
          raw,
          body
        })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    arrivals,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

interface Delivery {
  readonly id: string
  readonly kind: string
  readonly status: string
  readonly attempts: number
  readonly createdAt: string
  readonly deliveredAt: string | null
}

const run = async (database: BenchDatabase) => {
  const secret = `bench-secret-${randomBytes(12).toString("hex")}`
  const signer = new Webhook(Buffer.from(secret, "utf8").toString("base64"))
  const receiver = await startReceiver(secret)
  const hookUrl = `${receiver.origin}/armature`
  const demo = await startDemoServer({ port: 0 })
  // The default poll is what is measured, whatever the caller's environment says.
  const server = await startServer(database.url, { ARMATURE_ALERT_POLL_INTERVAL: undefined })
  try {
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.origin}/api/armature/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${server.key}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`)
      return JSON.parse(text) as any
    }
    const regression = (on: boolean) =>
      fetch(`${demo.url.replace(/\/mcp$/, "")}/regression`, { method: "POST", body: JSON.stringify({ on }) })

    const { server: shop } = await api("POST", "/mcp-servers", {
      name: "demo-shop",
      baseUrl: demo.url,
      authProfiles: [{ name: "none", kind: "none" }]
    })
    log(`creating ${monitors} monitors ${((intervalSeconds * 1000) / monitors).toFixed(0)} ms apart`)
    for (let i = 0; i < monitors; i++) {
      const monitor = await api("POST", "/monitors", {
        name: `Order lookup ${i + 1}`,
        mcpServerId: shop.id,
        toolName: "get_order",
        arguments: { orderId: "A-1001" },
        intervalSeconds
      })
      await api("POST", "/alert-rules", {
        name: `Orders ${i + 1} to the pager`,
        target: { type: "monitor", id: monitor.id },
        destination: { type: "webhook", url: hookUrl, secret }
      })
      await sleep((intervalSeconds * 1000) / monitors)
    }
    await until(
      "every monitor passing",
      async () =>
        ((await api("GET", "/monitors")).items as Array<any>).filter((m) => m.lastOutcome === "pass")
          .length === monitors,
      3 * intervalSeconds
    )

    const baseline = new Map<string, { t0: number; round: number }>()
    const direct = async (round: number, template: Arrival, n: number) => {
      const body = JSON.parse(template.raw)
      for (let k = 0; k < n; k++) {
        const id = `msg_baseline_${round}_${k}`
        // Same length as a real id, so the same request size.
        const padded = `${id}_${"0".repeat(Math.max(0, String(body.id).length - id.length - 1))}`
        const raw = JSON.stringify({ ...body, id: padded })
        const t0 = performance.now()
        const now = new Date()
        const signature = signer.sign(padded, now, raw)
        baseline.set(padded, { t0, round })
        const res = await fetch(hookUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "Armature-Webhooks/1",
            "webhook-id": padded,
            "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
            "webhook-signature": signature
          },
          body: raw
        })
        await res.arrayBuffer()
      }
    }

    const alertCount = () => [...receiver.arrivals.values()].filter((a) => !baseline.has(a.id)).length
    for (let round = 0; round < toggles; round++) {
      const on = round % 2 === 0
      receiver.state.round = round
      await regression(on)
      await until(
        `${monitors} ${on ? "firing" : "recovery"} webhooks in round ${round + 1}`,
        () => alertCount() >= monitors * (round + 1),
        3 * intervalSeconds + 30
      )
      const template = [...receiver.arrivals.values()].find((a) => a.round === round && !baseline.has(a.id))!
      await direct(round, template, monitors)
      log(`round ${round + 1}/${toggles}: ${on ? "firing" : "recovery"} delivered`)
    }
    // Anything sent twice or late would show up here.
    await sleep(2 * defaultPollMs)

    const deliveries: Delivery[] = []
    let cursor: string | null = null
    do {
      const page: { items: Delivery[]; nextCursor: string | null } = await api(
        "GET",
        `/alerts?limit=100${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
      )
      deliveries.push(...page.items)
      cursor = page.nextCursor
    } while (cursor !== null)
    return { deliveries, arrivals: [...receiver.arrivals.values()], baseline, state: { ...receiver.state } }
  } finally {
    await server.stop()
    await demo.close()
    await receiver.close()
  }
}

const { database, result } = await onFreshDatabase(run)

const byId = new Map(result.deliveries.map((d) => [d.id, d]))
const alerts = result.arrivals
  .filter((a) => !result.baseline.has(a.id))
  .map((a) => {
    const d = byId.get(a.id)
    if (d === undefined) throw new Error(`webhook ${a.id} is not in GET /alerts`)
    const created = Date.parse(d.createdAt)
    return {
      round: a.round,
      kind: String(a.body.data.kind),
      latency: a.at - created,
      checkToRow: created - Date.parse(a.body.data.at),
      rowToMarked: d.deliveredAt === null ? Number.NaN : Date.parse(d.deliveredAt) - created,
      attempts: d.attempts
    }
  })
const base = result.arrivals
  .filter((a) => result.baseline.has(a.id))
  .map((a) => ({ round: a.round, latency: a.mono - result.baseline.get(a.id)!.t0 }))

const ms = (n: number) => n.toFixed(0).padStart(7)
const fine = (n: number) => n.toFixed(1).padStart(7)
console.log(
  `alert delivery latency: armature serve (dist/armature.mjs) on PostgreSQL ${database.version}, ` +
    `${monitors} monitors every ${intervalSeconds} s, one webhook rule each`
)
console.log(`dispatcher poll ${defaultPollMs} ms (the default: ARMATURE_ALERT_POLL_INTERVAL unset)`)
console.log(
  "t0 = outbox row createdAt (written with the check); t1 = arrival at the receiver, signature verified"
)
console.log("baseline = the same receiver, a same-size signed POST straight from the bench process\n")
console.log("round  kind       alerts   p50 ms   p95 ms   max ms │ baseline p50 ms   p95 ms")
for (let round = 0; round < toggles; round++) {
  const xs = alerts.filter((a) => a.round === round).map((a) => a.latency)
  const bs = base.filter((b) => b.round === round).map((b) => b.latency)
  const kind = round % 2 === 0 ? "firing" : "recovery"
  console.log(
    `${String(round + 1).padStart(5)}  ${kind.padEnd(9)} ${String(xs.length).padStart(6)}  ${ms(pct(xs, 0.5))}  ${ms(pct(xs, 0.95))}  ${ms(Math.max(...xs))} │         ${fine(pct(bs, 0.5))}  ${fine(pct(bs, 0.95))}`
  )
}
const all = alerts.map((a) => a.latency)
const bAll = base.map((b) => b.latency)
const p95 = pct(all, 0.95)
console.log(
  `  all  ${"".padEnd(9)} ${String(all.length).padStart(6)}  ${ms(pct(all, 0.5))}  ${ms(p95)}  ${ms(Math.max(...all))} │         ${fine(pct(bAll, 0.5))}  ${fine(pct(bAll, 0.95))}`
)
console.log(
  `\nstored outcome → delivered webhook: p50 ${pct(all, 0.5).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, ` +
    `min ${Math.min(...all).toFixed(0)} ms, max ${Math.max(...all).toFixed(0)} ms over ${all.length} alerts; ` +
    `ratio to baseline p50 ${(pct(all, 0.5) / pct(bAll, 0.5)).toFixed(0)}×, p95 ${(p95 / pct(bAll, 0.95)).toFixed(0)}×`
)
console.log(
  `goal p95 ≤ ${goalP95Ms} ms: ${p95 <= goalP95Ms ? "PASS" : "MISS"} ` +
    `(a message waits for the next poll: uniform over 0–${defaultPollMs} ms alone gives p50 ${defaultPollMs / 2}, p95 ${0.95 * defaultPollMs})`
)
const part = (label: string, xs: ReadonlyArray<number>) =>
  console.log(`  ${label.padEnd(38)} p50 ${ms(pct(xs, 0.5))} ms   p95 ${ms(pct(xs, 0.95))} ms`)
console.log("\nwhere the time goes:")
part(
  "check started → outbox row (MCP call)",
  alerts.map((a) => a.checkToRow)
)
part(
  "outbox row → arrived (the figure)",
  alerts.map((a) => a.latency)
)
part(
  "outbox row → marked delivered",
  alerts.map((a) => a.rowToMarked)
)
const retried = alerts.filter((a) => a.attempts > 1).length
const undelivered = result.deliveries.filter((d) => d.status !== "delivered").length
console.log(
  `\n${retried} alerts needed a retry; ${undelivered} outbox rows not delivered; ` +
    `${result.state.duplicates} duplicate deliveries; ${result.state.forged} requests failed verification`
)
