import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Coverage from "../src/Coverage.js"
import type { Caller } from "../src/domain/Audit.js"
import type { CatalogVersion, Tool } from "../src/domain/Catalog.js"
import type { McpServer } from "../src/domain/McpServer.js"
import { Monitor } from "../src/domain/Monitor.js"
import type { Run, ToolCall } from "../src/domain/Run.js"
import { type ToolPolicy, Workflow } from "../src/domain/Workflow.js"
import { MonitorStore } from "../src/ports/MonitorStore.js"
import { RunStore, type ToolCallRecord } from "../src/ports/RunStore.js"
import { ServerStore } from "../src/ports/ServerStore.js"
import { WorkflowStore } from "../src/ports/WorkflowStore.js"
import { MemoryStore } from "../src/testing/index.js"

const tool = (name: string, properties: Record<string, unknown> = {}): Tool => ({
  name,
  inputSchema: { type: "object", properties }
})

const workflow = (id: string, toolPolicy: ToolPolicy, state: "active" | "paused" = "active") =>
  Schema.decodeUnknownSync(Workflow)({
    id,
    orgId: "org",
    currentVersionId: `${id}-v1`,
    version: 1,
    state,
    spec: {
      name: `Workflow ${id}`,
      mcpServerId: "srv",
      prompt: "Do things",
      criteria: [{ id: "c1", text: "Works" }],
      testerModels: ["openai:gpt-5-mini"],
      judgeModel: "openai:gpt-5-mini",
      toolPolicy
    },
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z"
  })

const monitor = (id: string, toolName: string, nextSteps: ReadonlyArray<string> = [], state = "active") =>
  Schema.decodeUnknownSync(Monitor)({
    id,
    orgId: "org",
    name: `Monitor ${id}`,
    mcpServerId: "srv",
    toolName,
    nextSteps: nextSteps.map((t) => ({ toolName: t })),
    state,
    nextCheckAt: "2026-01-01T00:00:00Z",
    lastOutcome: null,
    lastCheckedAt: null,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z"
  })

const minute = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, n))
let seq = 0
/** A record carrying a whole `ToolCall`, more than `recentToolCalls` returns: coverage reads only its part. */
const record = (
  name: string,
  opts: { run?: string; workflow?: string; at?: number; call?: Partial<ToolCall> } = {}
): ToolCallRecord & { call: ToolCall } => ({
  runId: opts.run ?? "r1",
  workflowId: opts.workflow ?? "w1",
  runStartedAt: minute(opts.at ?? 0),
  call: {
    id: `call-${++seq}`,
    phase: "agent",
    step: 1,
    name,
    arguments: {},
    content: [],
    isError: false,
    refused: false,
    error: null,
    startedAt: minute(opts.at ?? 0),
    durationMs: 5,
    ...opts.call
  }
})

const compute = (input: Partial<Coverage.CoverageInput>) =>
  Coverage.compute({ tools: [], workflows: [], calls: [], monitors: [], ...input })

const tools = [tool("create_order"), tool("delete_order"), tool("get_order"), tool("list_orders")]

describe("covered by tool policy: exact allowedTools names only", () => {
  it("an exact name in allowedTools covers the tool, with the workflow and via tool_policy", () => {
    const report = compute({ tools, workflows: [workflow("w1", { allowedTools: ["get_order"] })] })
    expect(report.covered).toEqual([
      {
        tool: "get_order",
        workflows: [{ workflowId: "w1", name: "Workflow w1", via: ["tool_policy"] }],
        lastSuccessfulCall: null
      }
    ])
    expect(report.uncovered).toEqual(["create_order", "delete_order", "list_orders"])
  })

  it("wildcards cover nothing (*, ? and [ are globs)", () => {
    const report = compute({
      tools,
      workflows: [workflow("w1", { allowedTools: ["*_order", "get_orde?", "list_order[s]", "*"] })]
    })
    expect(report.covered).toEqual([])
    expect(report.percentage).toBe(0)
  })

  it("an open policy (no allowedTools) covers nothing", () => {
    const report = compute({ tools, workflows: [workflow("w1", {}), workflow("w2", { deniedTools: ["x"] })] })
    expect(report.covered).toEqual([])
  })

  it("an exact name taken back by deniedTools covers nothing", () => {
    const report = compute({
      tools,
      workflows: [workflow("w1", { allowedTools: ["get_order", "delete_order"], deniedTools: ["delete_*"] })]
    })
    expect(report.covered.map((c) => c.tool)).toEqual(["get_order"])
  })

  it("names of tools not in the catalog are ignored", () => {
    const report = compute({ tools, workflows: [workflow("w1", { allowedTools: ["gone_tool"] })] })
    expect(report.covered).toEqual([])
  })

  it("paused workflows' policies still count", () => {
    const report = compute({ tools, workflows: [workflow("w1", { allowedTools: ["get_order"] }, "paused")] })
    expect(report.covered.map((c) => c.tool)).toEqual(["get_order"])
  })
})

describe("covered by runs: a successful call in the window", () => {
  it("a successful call covers the tool, listing the workflow (via runs) and the last successful call", () => {
    const older = record("get_order", { run: "r1", at: 1 })
    const newer = record("get_order", { run: "r2", at: 5 })
    const report = compute({ tools, workflows: [workflow("w1", {})], calls: [newer, older] })
    expect(report.covered).toEqual([
      {
        tool: "get_order",
        workflows: [{ workflowId: "w1", name: "Workflow w1", via: ["runs"] }],
        lastSuccessfulCall: { runId: "r2", callId: newer.call.id, at: minute(5) }
      }
    ])
  })

  it("calls with isError do not cover", () => {
    const report = compute({ tools, calls: [record("get_order", { call: { isError: true } })] })
    expect(report.covered).toEqual([])
    expect(report.uncovered).toContain("get_order")
  })

  it("calls with a transport error or refused by the policy do not cover", () => {
    const report = compute({
      tools,
      calls: [
        record("get_order", { call: { error: "timeout" } }),
        record("list_orders", { call: { refused: true } })
      ]
    })
    expect(report.covered).toEqual([])
  })

  it("setup and teardown calls cover: they exercise the tool too", () => {
    const report = compute({ tools, calls: [record("get_order", { call: { phase: "setup", step: 0 } })] })
    expect(report.covered.map((c) => c.tool)).toEqual(["get_order"])
  })

  it("a workflow covering both ways is listed once with both vias; workflows are ordered by name", () => {
    const report = compute({
      tools,
      workflows: [workflow("w2", { allowedTools: ["get_order"] }), workflow("w1", {})],
      calls: [record("get_order", { workflow: "w2" }), record("get_order", { workflow: "w1" })]
    })
    expect(report.covered[0]!.workflows).toEqual([
      { workflowId: "w1", name: "Workflow w1", via: ["runs"] },
      { workflowId: "w2", name: "Workflow w2", via: ["tool_policy", "runs"] }
    ])
  })

  it("a run of a workflow that is no longer listed still covers, with a null name", () => {
    const report = compute({ tools, calls: [record("get_order", { workflow: "gone" })] })
    expect(report.covered[0]!.workflows).toEqual([{ workflowId: "gone", name: null, via: ["runs"] }])
  })

  it("calls of tools not in the catalog are ignored", () => {
    const report = compute({ tools, calls: [record("removed_tool")] })
    expect(report.covered).toEqual([])
    expect(report.arguments.map((a) => a.tool)).not.toContain("removed_tool")
  })
})

describe("the window: only the 50 most recent runs count", () => {
  it("calls of runs older than the 50 most recent are ignored", () => {
    // 60 runs, newest first as the store lists them; only the oldest ones called delete_order.
    const calls: ToolCallRecord[] = []
    for (let i = 59; i >= 0; i--) {
      calls.push(record(i < 10 ? "delete_order" : "get_order", { run: `r${i}`, at: i }))
    }
    const report = compute({ tools, calls })
    expect(report.runsWithCalls).toBe(Coverage.RUN_WINDOW)
    expect(report.covered.map((c) => c.tool)).toEqual(["get_order"])
    expect(report.uncovered).toContain("delete_order")
  })

  it("the window is by run, not by call: a recent run with many calls counts whole", () => {
    const calls = [
      ...Array.from({ length: 120 }, () => record("get_order", { run: "recent", at: 59 })),
      record("list_orders", { run: "recent", at: 59 })
    ]
    expect(compute({ tools, calls }).covered.map((c) => c.tool)).toEqual(["get_order", "list_orders"])
  })

  it("the calls the store returns for the window (50 runs) all count", () => {
    const calls = Array.from({ length: 50 }, (_, i) =>
      record(i === 0 ? "delete_order" : "get_order", { run: `r${i}`, at: i })
    )
    const report = compute({ tools, calls })
    expect(report.runsWithCalls).toBe(50)
    expect(report.covered.map((c) => c.tool)).toEqual(["delete_order", "get_order"])
  })
})

describe("the tool limit: at most 100 tools, the first by name", () => {
  const many = Array.from({ length: 130 }, (_, i) => tool(`tool_${String(i).padStart(3, "0")}`)).reverse()

  it("considers the first 100 tools by name and reports truncated with the total", () => {
    const report = compute({ tools: many })
    expect(report.totalTools).toBe(130)
    expect(report.consideredTools).toBe(Coverage.TOOL_LIMIT)
    expect(report.truncated).toBe(true)
    expect(report.uncovered).toHaveLength(100)
    expect(report.uncovered[0]).toBe("tool_000")
    expect(report.uncovered[99]).toBe("tool_099")
  })

  it("tools beyond the limit are neither covered nor counted in the percentage", () => {
    const report = compute({
      tools: many,
      workflows: [workflow("w1", { allowedTools: ["tool_000", "tool_120"] })],
      calls: [record("tool_125")]
    })
    expect(report.covered.map((c) => c.tool)).toEqual(["tool_000"])
    expect(report.percentage).toBe(1)
  })

  it("exactly 100 tools are not truncated", () => {
    const report = compute({ tools: many.slice(0, 100) })
    expect(report.truncated).toBe(false)
    expect(report.consideredTools).toBe(100)
  })
})

describe("percentage", () => {
  it("is covered over considered tools, 0–100 with one decimal", () => {
    const three = [tool("a"), tool("b"), tool("c")]
    expect(compute({ tools: three, calls: [record("a")] }).percentage).toBe(33.3)
    expect(compute({ tools: three, calls: [record("a"), record("b")] }).percentage).toBe(66.7)
    expect(compute({ tools: three, calls: [record("a"), record("b"), record("c")] }).percentage).toBe(100)
  })

  it("is null when the catalog has no tools", () => {
    const report = compute({ calls: [record("a")] })
    expect(report.percentage).toBeNull()
    expect(report.totalTools).toBe(0)
    expect(report.truncated).toBe(false)
  })
})

describe("monitored tools", () => {
  it("lists tools of active monitors, including later steps of multi-step monitors", () => {
    const report = compute({
      tools,
      monitors: [
        monitor("m1", "get_order"),
        monitor("m2", "list_orders", ["get_order", "delete_order"]),
        monitor("m3", "create_order", [], "paused"),
        monitor("m4", "not_in_catalog")
      ]
    })
    expect(report.monitored).toEqual([
      { tool: "delete_order", monitors: [{ monitorId: "m2", name: "Monitor m2" }] },
      {
        tool: "get_order",
        monitors: [
          { monitorId: "m1", name: "Monitor m1" },
          { monitorId: "m2", name: "Monitor m2" }
        ]
      },
      { tool: "list_orders", monitors: [{ monitorId: "m2", name: "Monitor m2" }] }
    ])
  })

  it("a monitor does not make a tool covered", () => {
    expect(compute({ tools, monitors: [monitor("m1", "get_order")] }).covered).toEqual([])
  })
})

describe("argument coverage", () => {
  const create = tool("create_order", {
    sku: { type: "string" },
    quantity: { type: "integer" },
    priority: { type: "string", enum: ["low", "normal", "high"] },
    channel: { anyOf: [{ const: "web" }, { const: "phone" }] },
    tags: { type: "array", items: { type: "string", enum: ["gift", "rush", "fragile"] } },
    note: { type: "string" }
  })
  const call = (args: unknown, extra: Partial<ToolCall> = {}) =>
    record("create_order", { call: { arguments: args, ...extra } })

  it("lists which top-level properties any call exercised and which none did", () => {
    const report = compute({
      tools: [create],
      calls: [call({ sku: "A", quantity: 1 }), call({ sku: "B", priority: "high" })]
    })
    const args = report.arguments[0]!
    expect(args.tool).toBe("create_order")
    expect(args.calls).toBe(2)
    expect(args.exercised).toEqual(["sku", "quantity", "priority"])
    expect(args.unexercised).toEqual(["channel", "tags", "note"])
  })

  it("lists enum values seen and not seen, in schema order; values outside the enum are ignored", () => {
    const report = compute({
      tools: [create],
      calls: [
        call({ priority: "high", channel: "phone", tags: ["rush", "gift"] }),
        call({ priority: "low", tags: ["rush"] }),
        call({ priority: "urgent" })
      ]
    })
    expect(report.arguments[0]!.enums).toEqual([
      { property: "priority", seen: ["low", "high"], unseen: ["normal"] },
      { property: "channel", seen: ["phone"], unseen: ["web"] },
      { property: "tags", seen: ["gift", "rush"], unseen: ["fragile"] }
    ])
  })

  it("failed calls exercise arguments too; refused calls and calls outside the window do not", () => {
    const report = compute({
      tools: [create],
      calls: [call({ sku: "A" }, { isError: true }), call({ note: "x" }, { refused: true })]
    })
    expect(report.arguments[0]!.exercised).toEqual(["sku"])
  })

  it("tools without calls or without properties have empty or fully unexercised lists", () => {
    const report = compute({ tools: [create, { name: "ping", inputSchema: {} }] })
    expect(report.arguments).toEqual([
      {
        tool: "create_order",
        calls: 0,
        exercised: [],
        unexercised: ["sku", "quantity", "priority", "channel", "tags", "note"],
        enums: [
          { property: "priority", seen: [], unseen: ["low", "normal", "high"] },
          { property: "channel", seen: [], unseen: ["web", "phone"] },
          { property: "tags", seen: [], unseen: ["gift", "rush", "fragile"] }
        ]
      },
      { tool: "ping", calls: 0, exercised: [], unexercised: [], enums: [] }
    ])
  })

  it("arguments that are not an object exercise nothing and do not throw", () => {
    const report = compute({ tools: [create], calls: [call(null), call("text"), call([1, 2])] })
    expect(report.arguments[0]!.calls).toBe(3)
    expect(report.arguments[0]!.exercised).toEqual([])
  })

  it("object enum values compare by value, whatever the key order", () => {
    const t = tool("t", { mode: { enum: [{ a: 1, b: 2 }, { a: 3 }] } })
    const report = compute({
      tools: [t],
      calls: [record("t", { call: { arguments: { mode: { b: 2, a: 1 } } } })]
    })
    expect(report.arguments[0]!.enums).toEqual([
      { property: "mode", seen: [{ a: 1, b: 2 }], unseen: [{ a: 3 }] }
    ])
  })
})

describe("error-path coverage", () => {
  it("lists tools seen returning isError with a count and the last such call", () => {
    const first = record("get_order", { run: "r1", at: 1, call: { isError: true } })
    const last = record("get_order", { run: "r2", at: 3, call: { isError: true } })
    const report = compute({
      tools,
      calls: [last, first, record("get_order", { at: 2 }), record("list_orders", { call: { isError: true } })]
    })
    expect(report.errorPaths).toEqual([
      {
        tool: "get_order",
        count: 2,
        lastSeenAt: minute(3),
        lastCall: { runId: "r2", callId: last.call.id, at: minute(3) }
      },
      expect.objectContaining({ tool: "list_orders", count: 1 })
    ])
    // An isError call counts for the error path but does not cover the tool.
    expect(report.covered.map((c) => c.tool)).toEqual(["get_order"])
  })

  it("transport errors and refused calls are not error paths of the tool", () => {
    const report = compute({
      tools,
      calls: [
        record("get_order", { call: { error: "timeout" } }),
        record("list_orders", { call: { refused: true, isError: true } })
      ]
    })
    expect(report.errorPaths).toEqual([])
  })
})

describe("the report is encodable", () => {
  it("encodes and decodes with the CoverageReport schema", () => {
    const report = compute({
      tools,
      workflows: [workflow("w1", { allowedTools: ["get_order"] })],
      calls: [record("list_orders"), record("create_order", { call: { isError: true } })],
      monitors: [monitor("m1", "get_order")]
    })
    const encoded = Schema.encodeSync(Coverage.CoverageReport)(report)
    expect(JSON.parse(JSON.stringify(encoded)).errorPaths[0].lastSeenAt).toBe("2026-01-01T00:00:00.000Z")
    expect(Schema.decodeUnknownSync(Coverage.CoverageReport)(JSON.parse(JSON.stringify(encoded)))).toEqual(
      report
    )
  })
})

// --- The use case, over the in-memory store -----------------------------------------------------

const viewer: Caller = { orgId: "org", actor: { keyId: "k1", memberId: null, role: "viewer" } }

const serverRow = (orgId: string, id: string): McpServer => ({
  id,
  orgId,
  name: `Server ${id}`,
  transport: "streamable_http",
  baseUrl: "https://mcp.example.com/mcp",
  command: null,
  args: [],
  env: {},
  extraHeaders: {},
  launchApproved: false,
  state: "active",
  lastProbeError: null,
  lastProbedAt: null,
  createdAt: minute(0),
  updatedAt: minute(0)
})

const catalogRow = (
  serverId: string,
  version: number,
  catalogTools: ReadonlyArray<Tool>
): CatalogVersion => ({
  id: `${serverId}-catalog-${version}`,
  orgId: "org",
  serverId,
  version,
  hash: `hash-${version}`,
  serverInfo: { name: "demo", version: "1.0.0" },
  protocolVersion: "2025-06-18",
  capabilities: {},
  tools: catalogTools,
  createdAt: minute(version)
})

const runRow = (
  id: string,
  workflowId: string,
  mcpServerId: string,
  at: number,
  calls: ReadonlyArray<ToolCall>
): Run => ({
  id,
  orgId: "org",
  workflowId,
  workflowVersionId: `${workflowId}-v1`,
  workflowVersion: 1,
  workflowName: `Workflow ${workflowId}`,
  mcpServerId,
  testerModel: "openai:gpt-5-mini",
  judgeModel: "openai:gpt-5-mini",
  trigger: "scheduled",
  reason: null,
  idempotencyKey: null,
  baselineRunId: null,
  sampleGroupId: null,
  fireAt: null,
  attempt: 1,
  status: "pass",
  createdAt: minute(at),
  startedAt: minute(at),
  finishedAt: minute(at),
  durationMs: 1000,
  finalAnswer: "done",
  toolCalls: calls,
  trace: [],
  criteria: [],
  assertions: [],
  usage: [],
  costUsd: 0,
  serverInfo: null,
  catalogHash: null,
  error: null
})

const callAt = (name: string, at: number): ToolCall => ({ ...record(name).call, startedAt: minute(at) })

/** Seeds the store: two catalog versions, two workflows, 60 runs, a run on another server, a monitor. */
const seed = Effect.gen(function* () {
  const servers = yield* ServerStore
  const workflows = yield* WorkflowStore
  const runs = yield* RunStore
  const monitors = yield* MonitorStore
  yield* servers.insertServer(serverRow("org", "srv"))
  yield* servers.insertServer(serverRow("org", "other-srv"))
  yield* servers.insertServer(serverRow("other-org", "foreign"))
  yield* servers.insertCatalogVersion(catalogRow("srv", 1, [tool("old_tool")]))
  yield* servers.insertCatalogVersion(catalogRow("srv", 2, tools))
  for (const w of [
    workflow("w1", { allowedTools: ["*_order", "*_orders"] }),
    workflow("w2", { allowedTools: ["list_orders"] })
  ]) {
    yield* workflows.insertWorkflow(w, {
      id: w.currentVersionId,
      orgId: w.orgId,
      workflowId: w.id,
      version: 1,
      spec: w.spec,
      createdBy: null,
      createdAt: w.createdAt
    })
  }
  // 60 runs: only the 10 oldest called delete_order; the 50 most recent called get_order.
  const inserted: Run[] = []
  for (let i = 0; i < 60; i++) {
    const run = runRow(`run-${i}`, "w1", "srv", i, [callAt(i < 10 ? "delete_order" : "get_order", i)])
    inserted.push(run)
    yield* runs.insertRun(run)
  }
  yield* runs.insertRun(runRow("elsewhere", "w1", "other-srv", 100, [callAt("create_order", 100)]))
  yield* monitors.insertMonitor(monitor("m1", "get_order"))
  return inserted
})

describe("report: the coverage of a server of the caller's organization", () => {
  it.effect("reads the current catalog, the workflows, the 50 most recent runs and the monitors", () =>
    Effect.gen(function* () {
      const runs = yield* seed
      const report = yield* Coverage.report(viewer, "srv")
      expect(report.totalTools).toBe(4)
      expect(report.runsWithCalls).toBe(Coverage.RUN_WINDOW)
      expect(report.covered.map((c) => c.tool)).toEqual(["get_order", "list_orders"])
      // Runs older than the 50 most recent do not count; globs cover nothing; other servers' runs are not read.
      expect(report.uncovered).toEqual(["create_order", "delete_order"])
      expect(report.covered[0]!.lastSuccessfulCall).toEqual({
        runId: "run-59",
        callId: runs[59]!.toolCalls[0]!.id,
        at: minute(59)
      })
      expect(report.covered[0]!.workflows).toEqual([{ workflowId: "w1", name: "Workflow w1", via: ["runs"] }])
      expect(report.covered[1]!.workflows).toEqual([
        { workflowId: "w2", name: "Workflow w2", via: ["tool_policy"] }
      ])
      expect(report.monitored.map((m) => m.tool)).toEqual(["get_order"])
      expect(report.percentage).toBe(50)
    }).pipe(Effect.provide(MemoryStore.layer))
  )

  it.effect("a server without a catalog has no tools and a null percentage", () =>
    Effect.gen(function* () {
      yield* seed
      const report = yield* Coverage.report(viewer, "other-srv")
      expect(report.percentage).toBeNull()
      expect(report.totalTools).toBe(0)
      expect(report.covered).toEqual([])
    }).pipe(Effect.provide(MemoryStore.layer))
  )

  it.effect("a server of another organization is not found (mcp_server_not_found)", () =>
    Effect.gen(function* () {
      yield* seed
      const error = yield* Effect.flip(Coverage.report(viewer, "foreign"))
      expect(error).toMatchObject({ _tag: "NotFound", entity: "mcp_server", id: "foreign" })
      expect(error.code).toBe("mcp_server_not_found")
    }).pipe(Effect.provide(MemoryStore.layer))
  )

  it.effect("an unknown server is not found", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Coverage.report(viewer, "nope"))
      expect(error).toMatchObject({ _tag: "NotFound", entity: "mcp_server", id: "nope" })
    }).pipe(Effect.provide(MemoryStore.layer))
  )

  it.effect("an actor without a known role is refused with forbidden_role", () =>
    Effect.gen(function* () {
      yield* seed
      const stranger = {
        orgId: "org",
        actor: { keyId: "k", memberId: null, role: "nobody" }
      } as unknown as Caller
      const error = yield* Effect.flip(Coverage.report(stranger, "srv"))
      expect(error._tag).toBe("ForbiddenRole")
    }).pipe(Effect.provide(MemoryStore.layer))
  )
})
