/**
 * The server end to end on its embedded default: real HTTP, PGlite in a fresh data dir, the real
 * runner against the demo MCP server, and the tester and judge driven by scripted models
 * through the real `ai` SDK path.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ApiKeys } from "@armature/core"
import { HttpServer } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Context, Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import * as App from "../src/app/App.js"
import * as Bootstrap from "../src/app/Bootstrap.js"
import * as ServerConfig from "../src/config/ServerConfig.js"
import { scriptedModels } from "./support/scriptedModels.js"
import { rest } from "./support/serverProcess.js"

describe("armature serve on the embedded default", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "armature-e2e-"))
  const scope = Effect.runSync(Scope.make())
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  let base = ""
  let key = ""

  beforeAll(async () => {
    demo = await startDemoServer({ port: 0 })
    const config = ConfigProvider.fromMap(
      new Map([
        ["ARMATURE_DATA_DIR", dataDir],
        ["HOST", "127.0.0.1"],
        ["PORT", "0"],
        ["ARMATURE_ALLOW_LOOPBACK", "true"]
      ])
    )
    const app = App.make({
      models: scriptedModels
    }).pipe(
      Layer.provide(ServerConfig.layer),
      Layer.provide(NodeContext.layer),
      Layer.provide(Layer.setConfigProvider(config)),
      // Access logs of every request would bury a failure's output.
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )
    const context = await Effect.runPromise(Scope.extend(Layer.build(app), scope))
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
    base = `http://127.0.0.1:${address.port}`
    // The owner key was printed once at bootstrap; mint a fresh one as the operator instead.
    key = await Effect.runPromise(
      Effect.flatMap(Bootstrap.operator, (caller) =>
        ApiKeys.create(caller, { name: "e2e", role: "owner" })
      ).pipe(
        Effect.map((created) => created.token),
        Effect.provide(context)
      )
    )
  }, 60_000)

  afterAll(async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await demo?.close()
    rmSync(dataDir, { recursive: true, force: true })
  }, 60_000)

  it("registers the demo server, monitors it, runs a workflow once per idempotency key and reads it back", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect((await fetch(`${base}/readyz`)).status).toBe(200)

    const { server, probe } = await rest(base, key, "POST", "/mcp-servers", {
      name: "demo-shop",
      baseUrl: demo.url,
      authProfiles: [{ name: "none", kind: "none" }]
    })
    expect(probe.ok).toBe(true)

    const monitor = await rest(base, key, "POST", "/monitors", {
      name: "order lookup",
      mcpServerId: server.id,
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: 10
    })

    const workflow = await rest(base, key, "POST", "/workflows", {
      name: "Customer can look up an order",
      mcpServerId: server.id,
      prompt: "Find order A-1001 and tell the customer its status and total.",
      criteria: [{ text: "The agent looked the order up with get_order" }],
      assertions: [{ type: "tool_called", tool: "get_order" }],
      testerModels: ["scripted:tester"],
      judgeModel: "scripted:judge"
    })

    const first = await rest(base, key, "POST", `/workflows/${workflow.id}/runs`, {
      idempotencyKey: "deploy-42"
    })
    const second = await rest(base, key, "POST", `/workflows/${workflow.id}/runs`, {
      idempotencyKey: "deploy-42"
    })
    expect(second.run.runId).toBe(first.run.runId)
    expect(second.created).toBe(false)

    let run: any
    for (let i = 0; i < 100; i++) {
      run = await rest(base, key, "GET", `/runs/${first.run.runId}`)
      if (!["pending", "running"].includes(run.status)) break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(run.status).toBe("pass")
    const listed = await rest(base, key, "GET", `/runs?workflowId=${workflow.id}`)
    expect(listed.items.map((r: { runId: string }) => r.runId)).toEqual([first.run.runId])

    const trace = JSON.stringify(await rest(base, key, "GET", `/runs/${first.run.runId}/trace`))
    expect(trace).toContain("get_order")
    expect(trace).toContain("A-1001")

    // The run called get_order successfully, and only get_order: it is covered, list_products not.
    const coverage = await rest(base, key, "GET", `/mcp-servers/${server.id}/coverage`)
    expect(coverage.covered.map((c: { tool: string }) => c.tool)).toEqual(["get_order"])
    expect(coverage.covered[0].workflows.map((w: { workflowId: string }) => w.workflowId)).toEqual([
      workflow.id
    ])
    expect(coverage.uncovered).toContain("list_products")

    let checks: any
    for (let i = 0; i < 100; i++) {
      checks = await rest(base, key, "GET", `/monitors/${monitor.id}/checks`)
      if (checks.items.length > 0) break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(checks.items[0].outcome).toBe("pass")

    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/armature_monitor_checks_total\{outcome="pass"\} [1-9]/)
    expect(metrics).toMatch(/armature_runs_total\{status="pass"\} 1/)

    // The demo regression breaks get_order: the monitor's next check fails (the loop allows three
    // intervals, so a busy machine does not make this flaky; the scheduler's lateness is a metric).
    demo.state.regression = true
    try {
      const switchedAt = Date.now()
      let failed: any
      for (let i = 0; i < 150 && failed === undefined; i++) {
        const latest = await rest(base, key, "GET", `/monitors/${monitor.id}/checks`)
        failed = latest.items.find(
          (c: { outcome: string; startedAt: string }) =>
            c.outcome === "fail" && Date.parse(c.startedAt) >= switchedAt
        )
        if (failed === undefined) await new Promise((r) => setTimeout(r, 200))
      }
      expect(failed).toBeDefined()
    } finally {
      demo.state.regression = false
    }
  }, 90_000)
})
