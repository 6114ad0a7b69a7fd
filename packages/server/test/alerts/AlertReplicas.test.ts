/**
 * Alerts across two `armature serve` processes on one PostgreSQL database (SPEC §7, §8), each
 * started with `--apply` of the same monitoring-as-code file:
 * - the file's alert rule (a signed webhook whose secret comes from `secretEnv`) delivers when
 *   its monitor fails, once, though both processes dispatch the outbox;
 * - `POST /alert-rules/{id}/test` goes through the real webhook sink and reports the result;
 * - 200 queued messages are delivered by the two dispatchers together, each at least once under
 *   its own id. Duplicates are counted and reported; with `SKIP LOCKED` claims and no crash there
 *   should be none.
 */
import { randomUUID } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AlertStore } from "@armature/core"
import { PgSecretStore, PgStore } from "@armature/store-postgres"
import { Effect, Either, Exit, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type Destinations, startDestinations } from "../../../alerts/test/support/destinations.js"
import { listen } from "../../../alerts/test/support/recorder.js"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { rest, type ServerProcess, startServer } from "../support/serverProcess.js"
import { sleep, until } from "./support/waiting.js"

const available = await postgresAvailable("packages/server/test/alerts/AlertReplicas.test.ts")

/** `armature_alert_deliveries_total{result="delivered"}` of one process. */
const deliveredBy = async (p: ServerProcess) => {
  const text = await (await fetch(`${p.baseUrl}/metrics`)).text()
  const line = text
    .split("\n")
    .find((l) => l.startsWith('armature_alert_deliveries_total{result="delivered"}'))
  return line === undefined ? 0 : Number(line.split(" ").at(-1))
}

describe.runIf(available)("alerts with two serve processes on PostgreSQL", () => {
  const database = Effect.runSync(Scope.make())
  const dir = mkdtempSync(join(tmpdir(), "armature-alert-replicas-"))
  const secretKey = Buffer.alloc(32, 9).toString("base64")
  let url = ""
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  let to: Destinations
  const processes: ServerProcess[] = []
  let key = ""
  const api = (i: number, method: string, path: string, body?: unknown) =>
    rest(processes[i]!.baseUrl, key, method, path, body)

  beforeAll(async () => {
    url = await Effect.runPromise(Scope.extend(freshDatabaseUrl, database))
    demo = await startDemoServer({ port: 0 })
    to = await startDestinations()
    const file = join(dir, "armature.yaml")
    writeFileSync(
      file,
      [
        "servers:",
        "  - name: demo-shop",
        `    baseUrl: ${demo.url}`,
        "monitors:",
        "  - name: Order lookup answers",
        "    server: demo-shop",
        "    toolName: get_order",
        '    arguments: { orderId: "A-1001" }',
        "    intervalSeconds: 10",
        "alertRules:",
        "  - name: Orders to the pager",
        '    target: { monitor: "Order lookup answers" }',
        `    destination: { webhook: "${to.webhookUrl}", secretEnv: ARMATURE_TEST_HOOK_SECRET }`
      ].join("\n")
    )
    const env = {
      DATABASE_URL: url,
      ARMATURE_SECRET_KEY: secretKey,
      ARMATURE_ALLOW_LOOPBACK: "true",
      ARMATURE_ALERT_POLL_INTERVAL: "200 millis",
      ARMATURE_TEST_HOOK_SECRET: to.webhookSecret
    }
    // One after the other: the first creates the organization and prints the owner's key.
    processes.push(await startServer(env, ["--apply", file]))
    processes.push(await startServer(env, ["--apply", file]))
    key = processes[0]!.ownerKey!
  }, 120_000)

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()))
    await demo?.close()
    await to?.close()
    await Effect.runPromise(Scope.close(database, Exit.void))
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it("the config file's rule delivers once, and its test message goes through the real sink", async () => {
    const rules = (await api(1, "GET", "/alert-rules")).items as Array<any>
    expect(rules.map((r) => r.name)).toEqual(["Orders to the pager"])
    const rule = rules[0]!
    // The secret came from the environment and is never shown.
    expect(JSON.stringify(rule)).not.toContain(to.webhookSecret)

    await fetch(`${demo.url.replace(/\/mcp$/, "")}/regression`, {
      method: "POST",
      body: JSON.stringify({ on: true })
    })
    await until("the firing webhook", () => to.webhooks().length >= 1)
    await sleep(2000)
    expect(to.webhooks().map((w) => w.body.type)).toEqual(["armature.alert.firing"])
    expect(to.webhooks()[0]!.body.data.rule.name).toBe("Orders to the pager")

    const tested = await api(0, "POST", `/alert-rules/${rule.id}/test`)
    expect(tested).toEqual({ delivered: true })
    expect(to.webhooks()).toHaveLength(2)
    expect(to.webhooks()[1]!.body.data.outcome).toBe("test")
    expect(to.forged()).toBe(0)

    // A destination that refuses the test is reported, not retried.
    to.down = true
    const refused = await api(1, "POST", `/alert-rules/${rule.id}/test`)
    to.down = false
    expect(refused).toMatchObject({ delivered: false, retryable: true })
    expect(refused.error).toContain("503")
  }, 120_000)

  it("two dispatchers deliver 200 queued messages, each under its own id", async () => {
    const counter = new Map<string, number>()
    const receiver = await listen((r) => {
      const id = String(r.headers["webhook-id"])
      counter.set(id, (counter.get(id) ?? 0) + 1)
      return { status: 204 }
    })
    const orgId = (await api(0, "GET", "/org")).organization.id as string
    const ids = Array.from({ length: 200 }, () => randomUUID())
    const before = await Promise.all(processes.map(deliveredBy))
    const keys = [Either.getOrThrow(PgSecretStore.parseKey(secretKey))]
    try {
      // Written straight into the outbox, as the engine does, in one go: both dispatchers then
      // race for the same rows.
      await Effect.runPromise(
        Effect.gen(function* () {
          const store = yield* AlertStore
          const now = new Date()
          yield* Effect.forEach(ids, (id, i) =>
            store.enqueue({
              id,
              orgId,
              ruleId: null,
              // Ten receivers' worth of destinations: the dispatchers deliver them concurrently.
              destination: { type: "webhook", url: `${receiver.url}/hook/${i % 10}`, secretRef: null },
              message: {
                kind: "firing",
                ruleName: "Load",
                subject: `[Armature] Load ${i}`,
                objectName: `monitor ${i}`,
                outcome: "fail",
                summary: "queued by the test",
                link: null,
                at: now
              },
              status: "pending",
              attempts: 0,
              nextAttemptAt: now,
              lastError: null,
              createdAt: now,
              deliveredAt: null
            })
          )
        }).pipe(
          Effect.provide(PgStore.layer({ url: Redacted.make(url), maxConnections: 2, secretKeys: keys })),
          Effect.scoped
        )
      )
      await until("every queued message delivered", () => ids.every((id) => counter.has(id)), 90)
      await sleep(1000)
      const duplicates = ids.filter((id) => counter.get(id)! > 1).length
      const after = await Promise.all(processes.map(deliveredBy))
      const share = after.map((n, i) => n - before[i]!)
      console.log(
        `two dispatchers: 200 messages, ${duplicates} delivered more than once; ` +
          `delivered by each process: ${share.join(" + ")}`
      )
      expect(duplicates).toBe(0)
      expect(share[0]! + share[1]!).toBe(200)
      // `/alerts` lists each as delivered once, page by page.
      const listed: Array<any> = []
      let cursor: string | null = null
      do {
        const page: any = await api(
          0,
          "GET",
          `/alerts?status=delivered&limit=100${cursor ? `&cursor=${cursor}` : ""}`
        )
        listed.push(...page.items)
        cursor = page.nextCursor
      } while (cursor !== null)
      const listedIds = new Set(listed.map((d) => d.id))
      expect(ids.every((id) => listedIds.has(id))).toBe(true)
      expect(listed.filter((d) => ids.includes(d.id)).every((d) => d.attempts === 1)).toBe(true)
    } finally {
      await receiver.close()
    }
  }, 150_000)
})
