/**
 * The tool-poisoning scan end to end, through the whole server (REST, PGlite, alerting): two
 * servers of one organization — a weather server whose catalog switches at runtime between clean
 * and poisoned variants, and a mail server whose `send_email` the shadowing variant imitates —
 * registered, synced, poisoned and synced again. Each poisoned variant is a `suspicious` entry
 * naming the rule, the field and an excerpt; the server's default rule queues a
 * `drift_suspicious` alert; taking the poison away restores the catalog and sends the recovery.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AlertStore } from "@armature/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type PoisonedServer,
  poisonedVariants,
  shadowName,
  startPoisonedServer
} from "../../runner/test/fixtures/poisonedServer.js"
import { type AppServer, startAppServer } from "./http/support/appServer.js"
import { rest } from "./support/serverProcess.js"

const dataDir = mkdtempSync(join(tmpdir(), "armature-poisoning-"))
let weather: PoisonedServer
let mail: PoisonedServer
let server: AppServer
let key = ""
let weatherId = ""
let orgId = ""
/** The newest clean catalog version: what taking the poison away restores. */
let cleanVersion = 1
/** Where the rule's webhook points: it accepts every delivery. */
let receiver: Server

interface Change {
  tool: string
  classification: string
  details: string[]
  findings?: Array<{ rule: string; tool: string; path: string; excerpt: string }>
}

const register = async (name: string, baseUrl: string) =>
  (await rest(server.origin, key, "POST", "/mcp-servers", { name, baseUrl })).server.id as string
const sync = async () => rest(server.origin, key, "POST", `/mcp-servers/${weatherId}/sync`, {})
const alerts = async () =>
  (await rest(server.origin, key, "GET", "/alerts?limit=100")).items as Array<{
    kind: string
    subject: string
  }>
const outbox = () => server.run(Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId)))

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume()
    req.on("end", () => res.writeHead(204).end())
  })
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
  weather = await startPoisonedServer()
  mail = await startPoisonedServer({ catalog: "mail" })
  server = await startAppServer({
    ARMATURE_DATA_DIR: dataDir,
    ARMATURE_ALLOW_LOOPBACK: "true",
    ARMATURE_MCP_CONNECT_TIMEOUT_MS: "5000",
    ARMATURE_SHUTDOWN_GRACE_SECONDS: "1"
  })
  key = await server.key("owner")
  await register("mail", mail.url)
  weatherId = await register("weather", weather.url)
  const rule = await rest(server.origin, key, "POST", "/alert-rules", {
    name: "Weather drift",
    target: { type: "mcp_server", id: weatherId },
    destination: {
      type: "webhook",
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      secret: null
    }
  })
  orgId = rule.orgId
  expect(rule.on).toEqual(["error", "drift_breaking", "drift_suspicious"])
  await rest(server.origin, key, "POST", "/monitors", {
    name: "forecast",
    mcpServerId: weatherId,
    toolName: "get_forecast",
    arguments: { city: "Paris" }
  })
}, 120_000)

afterAll(async () => {
  await server?.close()
  await weather?.close()
  await mail?.close()
  receiver?.closeAllConnections()
  await new Promise((resolve) => receiver?.close(resolve))
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

describe("tool poisoning through the server", () => {
  it("the clean catalogs have no finding and raise nothing", async () => {
    const first = await sync()
    expect(first.changed).toEqual([])
    const catalog = await rest(server.origin, key, "GET", `/mcp-servers/${weatherId}/catalog`)
    expect(catalog.latest.version).toBe(1)
    expect(await alerts()).toEqual([])
  })

  it("each poisoned variant is a suspicious drift with its rule and excerpt, alerts, and recovers when removed", async () => {
    let firings = 0
    for (const { variant, rules } of poisonedVariants) {
      weather.setVariant(variant)
      const poisoned = await sync()
      const suspicious = (poisoned.changed as Change[]).filter((c) => c.classification === "suspicious")
      expect({ variant, rules: suspicious.flatMap((c) => c.findings!.map((f) => f.rule)) }).toEqual({
        variant,
        rules: expect.arrayContaining([...rules])
      })
      for (const finding of suspicious.flatMap((c) => c.findings!)) {
        expect(finding.excerpt.length).toBeGreaterThan(0)
        expect(finding.excerpt.length).toBeLessThanOrEqual(170)
      }
      expect(poisoned.restoredVersion).toBeNull()

      // Alert queued for the server's default rule, with the excerpt in the message.
      firings++
      const items = await alerts()
      const drift = items.filter((i) => i.kind === "drift")
      expect(drift).toHaveLength(firings)
      expect(drift[0]!.subject).toBe("[Armature] Weather drift: weather drift_suspicious")
      const latest = (await outbox())
        .filter((m) => m.message.outcome === "drift_suspicious")
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]!
      expect(latest.message.summary).toContain("possible tool poisoning")
      expect(latest.message.summary).toContain(suspicious[0]!.findings![0]!.excerpt)

      // The poison taken away: the clean catalog again (`restored`), the incident ends with a recovery.
      weather.setVariant("clean")
      const clean = await sync()
      expect(clean.restoredVersion).toBe(cleanVersion)
      cleanVersion = clean.catalogVersion
      expect((clean.changed as Change[]).filter((c) => c.classification === "suspicious")).toEqual([])
      expect((await alerts()).filter((i) => i.kind === "recovery")).toHaveLength(firings)
    }
  }, 120_000)

  it("names the field and the excerpt, and quotes a used tool's description before and after", async () => {
    weather.setVariant("important_tag")
    const poisoned = await sync()
    const changes = poisoned.changed as Change[]
    const findings = changes.flatMap((c) => c.findings ?? [])
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rule: "model-directed-tag",
          tool: "get_forecast",
          path: "description",
          excerpt: expect.stringContaining("<IMPORTANT>")
        }),
        expect.objectContaining({
          rule: "sensitive-file-read",
          excerpt: expect.stringContaining("~/.ssh/id_rsa")
        })
      ])
    )
    const info = changes.find((c) => c.tool === "get_forecast" && c.classification === "info")!
    expect(info.details[0]).toMatch(
      /^description changed from "Returns the forecast for a city\." to "Returns the forecast for a city\.\\n<IMPORTANT>/
    )
    expect(poisoned.affectedMonitors).toEqual([
      expect.objectContaining({ name: "forecast", tools: ["get_forecast"] })
    ])
    // The catalog history shows the same suspicious entry.
    const catalog = await rest(server.origin, key, "GET", `/mcp-servers/${weatherId}/catalog`)
    expect(catalog.history[0].diff.severity).toBe("suspicious")
    weather.setVariant("clean")
    const clean = await sync()
    expect(clean.restoredVersion).toBe(cleanVersion)
    cleanVersion = clean.catalogVersion
  }, 60_000)

  it("the shadowing tool names the mail server's tool it imitates", async () => {
    weather.setVariant("shadow")
    const poisoned = await sync()
    const findings = (poisoned.changed as Change[]).flatMap((c) => c.findings ?? [])
    expect(findings).toEqual(
      expect.arrayContaining([
        {
          rule: "lookalike-tool-name",
          tool: shadowName,
          path: "name",
          excerpt: `${shadowName} looks like mail's send_email`
        }
      ])
    )
    weather.setVariant("clean")
    const clean = await sync()
    expect(clean.restoredVersion).toBe(cleanVersion)
    cleanVersion = clean.catalogVersion
  }, 60_000)
})
