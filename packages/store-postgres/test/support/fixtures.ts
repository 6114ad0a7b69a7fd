/** Domain records for the store tests, built with sensible defaults and overridable fields. */
import { randomUUID } from "node:crypto"
import type {
  JobRequest,
  McpServer,
  Monitor,
  MonitorCheck,
  Organization,
  OutboxMessage,
  Run,
  ToolCall,
  Workflow,
  WorkflowSpec,
  WorkflowVersion
} from "@armature/core"

export const at = (iso: string) => new Date(iso)
export const t0 = at("2026-01-01T00:00:00.000Z")
export const plus = (date: Date, ms: number) => new Date(date.getTime() + ms)

export const organization = (o: Partial<Organization> = {}): Organization => {
  const id = o.id ?? randomUUID()
  return { id, name: "Acme", slug: `acme-${id.slice(0, 8)}`, createdAt: t0, ...o }
}

export const server = (orgId: string, o: Partial<McpServer> = {}): McpServer => ({
  id: randomUUID(),
  orgId,
  name: `server-${randomUUID().slice(0, 8)}`,
  transport: "streamable_http",
  baseUrl: "https://mcp.example.com/mcp",
  command: null,
  args: [],
  env: {},
  extraHeaders: { "x-team": "qa" },
  launchApproved: false,
  state: "active",
  lastProbeError: null,
  lastProbedAt: null,
  createdAt: t0,
  updatedAt: t0,
  ...o
})

export const spec = (mcpServerId: string, o: Partial<WorkflowSpec> = {}): WorkflowSpec => ({
  name: `workflow-${randomUUID().slice(0, 8)}`,
  description: "",
  mcpServerId,
  authProfileId: null,
  prompt: "Create an order and read it back",
  criteria: [{ id: "c1", text: "The order exists", required: true }],
  assertions: [],
  testerModels: ["openai:gpt-5-mini"],
  judgeModel: "openai:gpt-5",
  schedule: { cron: "*/15 * * * *", timezone: "UTC" },
  toolPolicy: { allowedTools: ["create_order", "get_order"] },
  limits: {
    maxSteps: 20,
    maxToolCalls: 25,
    timeoutSeconds: 300,
    callTimeoutSeconds: 60,
    callTimeoutCapSeconds: 300
  },
  setup: [],
  teardown: [],
  variables: {},
  retryPolicy: { retryOnWorkerLost: true },
  ...o
})

/** A workflow with its first version. */
export const workflow = (
  orgId: string,
  s: WorkflowSpec
): { workflow: Workflow; version: WorkflowVersion } => {
  const id = randomUUID()
  const versionId = randomUUID()
  return {
    workflow: {
      id,
      orgId,
      currentVersionId: versionId,
      version: 1,
      state: "active",
      spec: s,
      createdAt: t0,
      updatedAt: t0
    },
    version: { id: versionId, orgId, workflowId: id, version: 1, spec: s, createdBy: null, createdAt: t0 }
  }
}

export const toolCall = (name: string, startedAt: Date, o: Partial<ToolCall> = {}): ToolCall => ({
  id: `call-${randomUUID().slice(0, 8)}`,
  phase: "agent",
  step: 1,
  name,
  arguments: { sku: "A-1", quantity: 2 },
  content: [{ type: "text", text: `${name} ok` }],
  structuredContent: { ok: true },
  isError: false,
  refused: false,
  error: null,
  startedAt,
  durationMs: 12.5,
  ...o
})

/** A terminal run of `wf`, started at `startedAt`, with `calls` tool calls. */
export const run = (wf: Workflow, startedAt: Date, o: Partial<Run> = {}, calls = 3): Run => ({
  id: randomUUID(),
  orgId: wf.orgId,
  workflowId: wf.id,
  workflowVersionId: wf.currentVersionId,
  workflowVersion: wf.version,
  workflowName: wf.spec.name,
  mcpServerId: wf.spec.mcpServerId,
  testerModel: "openai:gpt-5-mini",
  judgeModel: "openai:gpt-5",
  trigger: "scheduled",
  reason: null,
  idempotencyKey: null,
  baselineRunId: null,
  sampleGroupId: null,
  fireAt: startedAt,
  attempt: 1,
  status: "pass",
  createdAt: startedAt,
  startedAt,
  finishedAt: plus(startedAt, 5000),
  durationMs: 5000,
  finalAnswer: "done",
  toolCalls: Array.from({ length: calls }, (_, i) =>
    toolCall(i % 2 === 0 ? "create_order" : "get_order", plus(startedAt, i * 100), {
      isError: i === 2,
      ...(i === 1 ? { structuredContent: undefined } : {})
    })
  ).map(({ structuredContent, ...call }) =>
    structuredContent === undefined ? call : { ...call, structuredContent }
  ),
  trace: [{ id: "e1", at: startedAt, type: "message", role: "user", text: "hello" }],
  criteria: [
    {
      criterionId: "c1",
      text: "The order exists",
      required: true,
      verdict: "pass",
      reasoning: "ok",
      evidence: ["e1"]
    }
  ],
  assertions: [],
  usage: [{ model: "openai:gpt-5-mini", role: "tester", inputTokens: 10, outputTokens: 5, costUsd: 0.001 }],
  costUsd: 0.001,
  serverInfo: { name: "shop", version: "1.0.0" },
  catalogHash: "abc",
  error: null,
  ...o
})

export const monitor = (orgId: string, mcpServerId: string, o: Partial<Monitor> = {}): Monitor => ({
  id: randomUUID(),
  orgId,
  name: `get order ${randomUUID().slice(0, 8)}`,
  mcpServerId,
  authProfileId: null,
  toolName: "get_order",
  arguments: { id: "1" },
  assertions: [],
  nextSteps: [],
  intervalSeconds: 60,
  timeoutMs: 30_000,
  degradedAboveMs: null,
  failAboveMs: null,
  retries: 1,
  state: "active",
  muted: false,
  allowDestructive: false,
  nextCheckAt: t0,
  lastOutcome: null,
  lastCheckedAt: null,
  mutedUntil: null,
  createdAt: t0,
  updatedAt: t0,
  ...o
})

export const check = (m: Monitor, scheduledAt: Date, o: Partial<MonitorCheck> = {}): MonitorCheck => ({
  id: randomUUID(),
  orgId: m.orgId,
  monitorId: m.id,
  scheduledAt,
  startedAt: scheduledAt,
  outcome: "pass",
  latencyMs: 42,
  error: null,
  resultExcerpt: "ok",
  attempts: 1,
  ...o
})

export const outbox = (orgId: string, o: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: randomUUID(),
  orgId,
  ruleId: null,
  destination: { type: "email", address: "ops@example.com" },
  message: {
    kind: "firing",
    ruleName: "orders",
    subject: "orders failed",
    objectName: "orders",
    outcome: "fail",
    summary: "The order was not created",
    link: null,
    at: t0
  },
  status: "pending",
  attempts: 0,
  nextAttemptAt: t0,
  lastError: null,
  createdAt: t0,
  deliveredAt: null,
  ...o
})

export const jobRequest = (orgId: string, o: Partial<JobRequest> = {}): JobRequest => ({
  orgId,
  kind: "workflow_run",
  targetId: randomUUID(),
  model: "openai:gpt-5-mini",
  fireAt: t0,
  runAfter: t0,
  payload: { reason: "scheduled" },
  maxAttempts: 3,
  ...o
})
