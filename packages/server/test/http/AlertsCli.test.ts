/**
 * `armature alerts list|test`, parsed and run in this process over the store and recording sink
 * of an API server (PGlite), as the deployment's operator: the first organization.
 */
import { randomUUID } from "node:crypto"
import { RecordingAlertSink } from "@armature/core/testing"
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest"
import * as Alerts from "../../src/cli/commands/alerts.js"
import { exitOnError } from "../../src/cli/reportError.js"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let owner: Awaited<ReturnType<ApiServer["organization"]>>

/** Runs `armature alerts <args>`; returns what it printed and its exit code. */
const alerts = async (...args: ReadonlyArray<string>) => {
  const context = Layer.succeedContext((await api.runtime.runtime()).context)
  const lines: string[] = []
  const capture = (...parts: unknown[]) => void lines.push(parts.join(" "))
  const log = vi.spyOn(console, "log").mockImplementation(capture)
  const error = vi.spyOn(console, "error").mockImplementation(capture)
  try {
    await Effect.runPromise(
      Command.run(Alerts.make(context), { name: "armature", version: "0.0.0" })([
        "node",
        "armature",
        ...args
      ]).pipe(exitOnError, Effect.provide(NodeContext.layer))
    )
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
  const code = process.exitCode ?? 0
  process.exitCode = undefined
  return { output: lines.join("\n"), code }
}

beforeAll(async () => {
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
  const server = await api.request("POST", "/mcp-servers", {
    token: owner.token,
    // Registered even though nothing answers there (state `unreachable`): a target is all a rule needs.
    body: { name: "shop", baseUrl: "http://127.0.0.1:9/mcp" }
  })
  for (const [name, channel] of [
    ["Shop down", "C123"],
    ["Shop refused", "C_FAIL"]
  ]) {
    const created = await api.request("POST", "/alert-rules", {
      token: owner.token,
      body: {
        name,
        target: { type: "mcp_server", id: server.body.server.id },
        destination: { type: "slack", channel }
      }
    })
    expect(created.status).toBe(201)
  }
}, 120_000)
afterAll(() => api?.close())
afterEach(() => {
  process.exitCode = undefined
})

describe("armature alerts", () => {
  it("list shows each rule with its status, target and destination", async () => {
    const { output, code } = await alerts("list")
    expect(code).toBe(0)
    expect(output).toContain("Shop down — Watching — never fired")
    expect(output).toContain('server "shop" → Slack C123; fires on error, drift_breaking, drift_suspicious')
  })

  it("test sends through the rule's destination, by name or id, and says it was delivered", async () => {
    const before = await api.run(Effect.flatMap(RecordingAlertSink.Recorder, (r) => r.deliveries))
    const { output, code } = await alerts("test", "shop DOWN")
    expect(code).toBe(0)
    expect(output).toBe('Sent a test message of "Shop down" to Slack C123: delivered.')
    const after = await api.run(Effect.flatMap(RecordingAlertSink.Recorder, (r) => r.deliveries))
    expect(after.length).toBe(before.length + 1)
    expect(after.at(-1)?.message.subject).toBe("[Armature] Shop down: test message")

    const rules = (await api.request("GET", "/alert-rules", { token: owner.token })).body.items
    const byId = await alerts("test", rules[0].id)
    expect(byId.code).toBe(0)
  })

  it("exits 1 with the destination's answer when it refuses, and names an unknown rule", async () => {
    const refused = await alerts("test", "Shop refused")
    expect(refused.code).toBe(1)
    expect(refused.output).toBe(
      'error: Slack C_FAIL did not take the test message of "Shop refused": rejected by the recording sink (retrying will not help)'
    )
    const unknown = await alerts("test", randomUUID())
    expect(unknown.code).toBe(1)
    expect(unknown.output).toContain("No alert rule named")
  })
})
