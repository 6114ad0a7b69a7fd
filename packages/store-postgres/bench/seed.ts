/** Synthetic history for the benchmark: organizations, servers, workflows and their runs. */
import { randomUUID } from "node:crypto"
import type { Run, ToolCall, TraceEvent } from "@armature/core"

export interface Shape {
  readonly orgId: string
  readonly servers: ReadonlyArray<string>
  readonly workflows: ReadonlyArray<{ readonly id: string; readonly name: string; readonly serverId: string }>
}

const toolNames = Array.from({ length: 40 }, (_, i) => `tool_${String(i).padStart(2, "0")}`)
const words = ["orders", "weather", "billing", "search", "inventory", "profile", "checkout", "reports"]

/** An organization with `servers` servers and `workflowsPerServer` workflows each. */
export const shape = (servers = 20, workflowsPerServer = 10): Shape => {
  const serverIds = Array.from({ length: servers }, () => randomUUID())
  return {
    orgId: randomUUID(),
    servers: serverIds,
    workflows: serverIds.flatMap((serverId, s) =>
      Array.from({ length: workflowsPerServer }, (_, w) => ({
        id: randomUUID(),
        name: `${words[(s + w) % words.length]} flow ${s}-${w}`,
        serverId
      }))
    )
  }
}

// Deterministic mix: 70% pass, 14% fail, 9% partial, 5% error, 2% still running.
const statusOf = (i: number): Run["status"] => {
  const r = (i * 7919) % 100
  return r < 70 ? "pass" : r < 84 ? "fail" : r < 93 ? "partial" : r < 98 ? "error" : "running"
}

const call = (i: number, n: number, startedAt: Date): ToolCall => ({
  id: `call-${i}-${n}`,
  phase: "agent",
  step: Math.floor(n / 2) + 1,
  name: toolNames[(i * 31 + n * 7) % toolNames.length]!,
  arguments: { query: `item ${n}`, limit: 10, units: n % 2 === 0 ? "metric" : "imperial" },
  content: [{ type: "text", text: `result ${n} of run ${i}: ${"lorem ipsum ".repeat(12)}` }],
  structuredContent: { ok: true, count: n },
  isError: (i + n) % 23 === 0,
  refused: false,
  error: null,
  startedAt: new Date(startedAt.getTime() + n * 150),
  durationMs: 20 + ((i + n) % 80)
})

/**
 * Run number `i` of `shape`, `i` steps of `spacingMs` before `newest`, with `calls` tool calls.
 * Runs alternate between workflows, so every workflow has history over the whole period.
 */
export const run = (s: Shape, i: number, newest: Date, spacingMs: number, calls: number): Run => {
  const workflow = s.workflows[(i * 13) % s.workflows.length]!
  const startedAt = new Date(newest.getTime() - i * spacingMs)
  const status = statusOf(i)
  const terminal = status !== "running"
  const trace: Array<TraceEvent> = [
    { id: `e${i}-0`, at: startedAt, type: "message", role: "user", text: "Run the scenario." },
    { id: `e${i}-1`, at: startedAt, type: "step", data: { step: 1 } },
    { id: `e${i}-2`, at: startedAt, type: "message", role: "assistant", text: "Done." }
  ]
  return {
    id: randomUUID(),
    orgId: s.orgId,
    workflowId: workflow.id,
    workflowVersionId: workflow.id,
    workflowVersion: 1,
    workflowName: workflow.name,
    mcpServerId: workflow.serverId,
    testerModel: i % 3 === 0 ? "openai:gpt-5" : "openai:gpt-5-mini",
    judgeModel: "openai:gpt-5-mini",
    trigger: i % 10 === 0 ? "manual" : "scheduled",
    reason: i % 1000 === 0 ? `hotfix deploy ${i}` : null,
    idempotencyKey: null,
    baselineRunId: null,
    sampleGroupId: null,
    fireAt: startedAt,
    attempt: 1,
    status,
    createdAt: startedAt,
    startedAt,
    finishedAt: terminal ? new Date(startedAt.getTime() + 30_000) : null,
    durationMs: terminal ? 30_000 : null,
    finalAnswer: terminal ? "The scenario completed." : null,
    toolCalls: terminal ? Array.from({ length: calls }, (_, n) => call(i, n, startedAt)) : [],
    trace,
    criteria: [
      { criterionId: "c1", text: "It works", required: true, verdict: "pass", reasoning: "ok", evidence: [] }
    ],
    assertions: [],
    usage: [
      { model: "openai:gpt-5-mini", role: "tester", inputTokens: 1200, outputTokens: 300, costUsd: 0.002 }
    ],
    costUsd: 0.002,
    serverInfo: { name: "bench", version: "1.0.0" },
    catalogHash: "hash",
    error: status === "error" ? { code: "timeout", message: "timed out" } : null
  }
}
