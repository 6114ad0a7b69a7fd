/**
 * Alerts end to end (SPEC §7), on PGlite and on PostgreSQL: the whole server (`App.make`) with a
 * monitor on the demo MCP server and three rules — Slack (the real Web API client), email (the
 * real Resend SDK) and a signed webhook — each pointed at a loopback stand-in. A regression makes
 * the monitor fail: each destination gets one firing message; the fix brings one recovery each.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type Destinations, startDestinations } from "../../../alerts/test/support/destinations.js"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { rest } from "../support/serverProcess.js"
import { sleep, until } from "./support/waiting.js"

const postgres = await postgresAvailable("packages/server/test/alerts/AlertsEndToEnd.test.ts")

const stores = [
  { name: "PGlite", postgres: false },
  ...(postgres ? [{ name: "PostgreSQL", postgres: true }] : [])
]

describe.each(stores)("alerts end to end on $name", ({ postgres: onPostgres }) => {
  const database = Effect.runSync(Scope.make())
  const dataDir = mkdtempSync(join(tmpdir(), "armature-alerts-"))
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  let to: Destinations
  let server: AppServer
  let key = ""
  let monitorId = ""
  const api = (method: string, path: string, body?: unknown) => rest(server.origin, key, method, path, body)
  const regression = (on: boolean) =>
    fetch(`${demo.url.replace(/\/mcp$/, "")}/regression`, { method: "POST", body: JSON.stringify({ on }) })
  /** Checks of the monitor recorded so far, newest first. */
  const checks = async () => (await api("GET", `/monitors/${monitorId}/checks`)).items as Array<any>

  beforeAll(async () => {
    demo = await startDemoServer({ port: 0 })
    to = await startDestinations()
    const store: Record<string, string> = onPostgres
      ? {
          DATABASE_URL: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)),
          ARMATURE_SECRET_KEY: Buffer.alloc(32, 5).toString("base64")
        }
      : { ARMATURE_DATA_DIR: dataDir }
    server = await startAppServer({
      ...store,
      ARMATURE_ALLOW_LOOPBACK: "true",
      SLACK_BOT_TOKEN: "xoxb-e2e",
      ARMATURE_SLACK_API_URL: to.slackApiUrl,
      RESEND_API_KEY: "re_e2e",
      RESEND_BASE_URL: to.resendBaseUrl,
      ARMATURE_EMAIL_FROM: "Armature <alerts@armature.test>",
      ARMATURE_ALERT_POLL_INTERVAL: "200 millis",
      ARMATURE_ALERT_RETRY_BASE: "1 second"
    })
    key = await server.key("editor")
    const { server: shop } = await api("POST", "/mcp-servers", {
      name: "demo-shop",
      baseUrl: demo.url,
      authProfiles: [{ name: "none", kind: "none" }]
    })
    const monitor = await api("POST", "/monitors", {
      name: "Order lookup answers",
      mcpServerId: shop.id,
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: 10
    })
    monitorId = monitor.id ?? monitor.monitor.id
    const target = { type: "monitor", id: monitorId }
    await api("POST", "/alert-rules", {
      name: "Orders to Slack",
      target,
      destination: { type: "slack", channel: "C0ALERTS" }
    })
    await api("POST", "/alert-rules", {
      name: "Orders by email",
      target,
      destination: { type: "email", address: "oncall@shop.test" }
    })
    await api("POST", "/alert-rules", {
      name: "Orders to the pager",
      target,
      destination: { type: "webhook", url: to.webhookUrl, secret: to.webhookSecret }
    })
  }, 120_000)

  afterAll(async () => {
    await server?.close()
    await demo?.close()
    await to?.close()
    await Effect.runPromise(Scope.close(database, Exit.void))
    rmSync(dataDir, { recursive: true, force: true })
  }, 60_000)

  const counts = () => [to.slack().length, to.emails().length, to.webhooks().length]

  it("a failing monitor alerts each destination once, and its recovery once", async () => {
    await regression(true)
    await until("a firing message at each destination", () => counts().every((n) => n >= 1))
    // Another failing check comes and goes: still one message each (fire on the transition only).
    const failing = (await checks()).filter((c) => c.outcome === "fail").length
    const end = Date.now() + 30_000
    while ((await checks()).filter((c) => c.outcome === "fail").length <= failing) {
      if (Date.now() > end) throw new Error("no second failing check in 30 s")
      await sleep(250)
    }
    await sleep(1000)
    expect(counts()).toEqual([1, 1, 1])

    await regression(false)
    await until("a recovery message at each destination", () => counts().every((n) => n >= 2))
    await sleep(1500)
    expect(counts()).toEqual([2, 2, 2])

    expect(to.slack().map((m) => m.channel)).toEqual(["C0ALERTS", "C0ALERTS"])
    expect(to.slack()[0]!.text).toContain("Order lookup answers")
    expect(to.emails().map((m) => m.to)).toEqual([["oncall@shop.test"], ["oncall@shop.test"]])
    expect(to.emails()[0]!.subject).toContain("Orders by email")
    expect(to.webhooks().map((w) => w.body.type)).toEqual([
      "armature.alert.firing",
      "armature.alert.recovery"
    ])
    expect(to.webhooks()[0]!.body.data.outcome).toBe("fail")
    expect(to.forged()).toBe(0)

    // What was sent is listed at /alerts, delivered, with its rule.
    const deliveries = (await api("GET", "/alerts")).items as Array<any>
    expect(deliveries.filter((d) => d.status === "delivered")).toHaveLength(6)
  }, 120_000)

  it("a destination that is down loses nothing, and retries carry the same message id", async () => {
    const [slackBefore, emailBefore, hooksBefore] = counts() as [number, number, number]
    to.down = true
    await regression(true)
    // The retry base is one second: each destination refuses the firing at least twice.
    await until(
      "at least two refused attempts at each destination",
      () => Object.values(to.refused).every((n) => n >= 2),
      90
    )
    const failed = (await api("GET", "/alerts?status=failed")).items as Array<any>
    expect(failed.length).toBeGreaterThanOrEqual(3)
    expect(failed.every((d) => d.attempts >= 1 && d.lastError !== null)).toBe(true)

    to.down = false
    await until("the firing message at each destination once it is back", () =>
      counts().every((n, i) => n > [slackBefore, emailBefore, hooksBefore][i]!)
    )
    await regression(false)
    await until("the recovery at each destination", () =>
      counts().every((n, i) => n >= [slackBefore, emailBefore, hooksBefore][i]! + 2)
    )
    await sleep(1500)
    // Nothing lost, nothing twice: one firing and one recovery each.
    expect(counts()).toEqual([slackBefore + 2, emailBefore + 2, hooksBefore + 2])
    const [firing] = to.webhooks().slice(hooksBefore)
    expect(firing!.body.type).toBe("armature.alert.firing")
    // Every refused attempt of the webhook was the same message, under the id that finally arrived.
    expect(new Set(to.refusedWebhookIds())).toEqual(new Set([firing!.id]))
    // Resend gets the message id as its idempotency key on every attempt.
    const [email] = to.emails().slice(emailBefore)
    expect(new Set(to.refusedEmailKeys())).toEqual(new Set([email!.idempotencyKey]))
    expect(to.forged()).toBe(0)
  }, 180_000)
})
