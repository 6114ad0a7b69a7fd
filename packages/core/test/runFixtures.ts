/**
 * Recorded runs for the diagnosis, comparison and health tests: terminal runs with tool calls,
 * trace events and judge verdicts as the runner's recorder writes them (`tc-N` calls, `ev-N`
 * events, call errors as `kind: message`), and catalog versions of the orders server.
 */
import { Effect } from "effect"
import type { CatalogVersion, Tool } from "../src/domain/Catalog.js"
import type { CriterionResult, Run, ToolCall, TraceEvent } from "../src/domain/Run.js"
import type { Workflow } from "../src/domain/Workflow.js"
import { pendingRun } from "../src/internal/runRecords.js"
import { RunStore } from "../src/ports/RunStore.js"
import { ServerStore } from "../src/ports/ServerStore.js"
import { orgId, serverId } from "./workflowFixtures.js"

export const day = 86_400_000
/** The instant the health tests run at (set on the TestClock). */
export const now = new Date("2026-03-10T12:00:00Z")
export const ago = (ms: number) => new Date(now.getTime() - ms)

/** A recorded tool call; by default a successful agent call answering "ok". */
export const call = (id: string, name: string, patch: Partial<ToolCall> = {}): ToolCall => ({
  id,
  phase: "agent",
  step: 1,
  name,
  arguments: {},
  content: [{ type: "text", text: "ok" }],
  isError: false,
  refused: false,
  error: null,
  startedAt: new Date(0),
  durationMs: 25,
  ...patch
})

export const event = (
  id: string,
  type: TraceEvent["type"],
  text: string,
  patch: Partial<TraceEvent> = {}
): TraceEvent => ({ id, at: new Date(0), type, text, ...patch })

export const verdict = (
  criterionId: string,
  text: string,
  v: CriterionResult["verdict"],
  reasoning: string,
  evidence: ReadonlyArray<string> = [],
  required = true
): CriterionResult => ({ criterionId, text, required, verdict: v, reasoning, evidence: [...evidence] })

/** A terminal run of `workflow` (its current version) started at `startedAt`, passing unless patched. */
export const recorded = (workflow: Workflow, id: string, startedAt: Date, patch: Partial<Run> = {}): Run => {
  const base = pendingRun(
    workflow,
    {
      id,
      testerModel: workflow.spec.testerModels[0]!,
      trigger: "api",
      reason: null,
      idempotencyKey: null,
      baselineRunId: null,
      sampleGroupId: null,
      fireAt: null
    },
    startedAt
  )
  return {
    ...base,
    status: "pass",
    startedAt,
    finishedAt: new Date(startedAt.getTime() + 4_000),
    durationMs: 4_000,
    finalAnswer: "Done.",
    usage: [
      { model: base.testerModel, role: "tester", inputTokens: 1_000, outputTokens: 200, costUsd: 0.002 },
      { model: base.judgeModel, role: "judge", inputTokens: 500, outputTokens: 100, costUsd: 0.001 }
    ],
    costUsd: 0.003,
    serverInfo: { name: "orders", version: "1.0.0" },
    ...patch
  }
}

/** A bare terminal run, for the pure comparison tests. */
export const bareRun = (id: string, patch: Partial<Run> = {}): Run => ({
  id,
  orgId,
  workflowId: "wf-1",
  workflowVersionId: "wf-1-v1",
  workflowVersion: 1,
  workflowName: "Order lookup",
  mcpServerId: serverId,
  testerModel: "openai:gpt-5-mini",
  judgeModel: "openai:gpt-5",
  trigger: "api",
  reason: null,
  idempotencyKey: null,
  baselineRunId: null,
  sampleGroupId: null,
  fireAt: null,
  attempt: 1,
  status: "pass",
  createdAt: new Date(0),
  startedAt: new Date(0),
  finishedAt: new Date(1000),
  durationMs: 1000,
  finalAnswer: "Done.",
  toolCalls: [],
  trace: [],
  criteria: [],
  assertions: [],
  usage: [],
  costUsd: 0,
  serverInfo: { name: "orders", version: "1.0.0" },
  catalogHash: null,
  error: null,
  ...patch
})

export const insertRuns = (...runs: ReadonlyArray<Run>) =>
  Effect.flatMap(RunStore, (store) => Effect.forEach(runs, (run) => store.insertRun(run), { discard: true }))

/** A catalog version of the orders server with hash `hash-<version>` unless given. */
export const catalogVersion = (
  version: number,
  tools: ReadonlyArray<Tool>,
  createdAt: Date,
  hash = `hash-${version}`,
  server = serverId
): CatalogVersion => ({
  id: `cat-${server}-${version}`,
  orgId,
  serverId: server,
  version,
  hash,
  serverInfo: { name: "orders", version: `1.${version}.0` },
  protocolVersion: "2025-06-18",
  capabilities: { tools: {} },
  tools,
  createdAt
})

export const insertCatalogs = (...versions: ReadonlyArray<CatalogVersion>) =>
  Effect.flatMap(ServerStore, (store) =>
    Effect.forEach(versions, (v) => store.insertCatalogVersion(v), { discard: true })
  )

const object = (
  properties: Record<string, unknown>,
  required: ReadonlyArray<string> = []
): Tool["inputSchema"] => ({
  type: "object",
  properties,
  required: [...required]
})

/** The orders tools before the breaking change: `get_order` takes `id`. */
export const ordersV2: ReadonlyArray<Tool> = [
  {
    name: "get_order",
    inputSchema: object({ id: { type: "string" } }, ["id"]),
    annotations: { readOnlyHint: true }
  },
  {
    name: "list_orders",
    inputSchema: object({ status: { type: "string" } }),
    annotations: { readOnlyHint: true }
  },
  {
    name: "create_order",
    inputSchema: object({ sku: { type: "string" } }, ["sku"]),
    annotations: { destructiveHint: true }
  },
  { name: "reset_fixtures", inputSchema: object({}) }
]

/** After the breaking change: `get_order` takes a required `orderId` instead of `id`. */
export const ordersV3: ReadonlyArray<Tool> = ordersV2.map((t) =>
  t.name === "get_order" ? { ...t, inputSchema: object({ orderId: { type: "string" } }, ["orderId"]) } : t
)
