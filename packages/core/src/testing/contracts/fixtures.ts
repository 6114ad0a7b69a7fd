/** Builders of valid records for the contract suites; every id is fresh, so suites can share a database. */
import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import type { AlertRule, OutboxMessage } from "../../domain/Alert.js"
import type { CatalogVersion } from "../../domain/Catalog.js"
import type { AuthProfile, McpServer } from "../../domain/McpServer.js"
import type { Monitor, MonitorCheck } from "../../domain/Monitor.js"
import type { ApiKey, Invitation, Member, Organization } from "../../domain/Organization.js"
import type { Proposal } from "../../domain/Proposal.js"
import type { Run, ToolCall } from "../../domain/Run.js"
import type { SlackInstallation, SlackInstallLink } from "../../domain/Slack.js"
import type { Workflow, WorkflowSpec, WorkflowVersion } from "../../domain/Workflow.js"
import type { Conflict, StoreError } from "../../Errors.js"
import type { AlertIncident } from "../../ports/AlertStore.js"
import type { JobRequest } from "../../ports/JobQueue.js"
import { OrgStore } from "../../ports/OrgStore.js"

/** A fresh UUID. */
export const uid = (): string => randomUUID()

/** An instant `seconds` after 2026-01-01T00:00:00Z. */
export const at = (seconds = 0): Date => new Date(Date.UTC(2026, 0, 1) + seconds * 1000)

/**
 * A random instant in the 20th century, for operations that act across organizations
 * (claims, recovery, pruning): rows there belong to no other suite, so a claim at that time
 * never takes another test's work.
 */
export const era = (): Date =>
  new Date(Date.UTC(1900, 0, 1) + Math.floor(Math.random() * 3_000_000_000) * 1000)

/** `base` plus `seconds`. */
export const plus = (base: Date, seconds: number): Date => new Date(base.getTime() + seconds * 1000)

export const organization = (overrides: Partial<Organization> = {}): Organization => {
  const id = overrides.id ?? uid()
  return { id, name: "Contract org", slug: `c-${id}`, createdAt: at(), ...overrides }
}

export const member = (orgId: string, overrides: Partial<Member> = {}): Member => ({
  id: uid(),
  orgId,
  email: `${uid()}@example.com`,
  name: "Ada",
  role: "editor",
  slackUserId: null,
  createdAt: at(),
  ...overrides
})

export const apiKey = (orgId: string, overrides: Partial<ApiKey> = {}): ApiKey => ({
  id: `k${uid().replaceAll("-", "").slice(0, 16)}`,
  orgId,
  name: "ci",
  role: "editor",
  createdBy: null,
  secretHash: "scrypt$c2FsdA$aGFzaA",
  createdAt: at(),
  lastUsedAt: null,
  ...overrides
})

export const invitation = (orgId: string, overrides: Partial<Invitation> = {}): Invitation => ({
  id: uid(),
  orgId,
  email: null,
  role: "viewer",
  tokenHash: uid(),
  invitedBy: null,
  createdAt: at(),
  expiresAt: at(86_400),
  acceptedAt: null,
  revokedAt: null,
  ...overrides
})

export const server = (orgId: string, overrides: Partial<McpServer> = {}): McpServer => ({
  id: uid(),
  orgId,
  name: `server ${uid()}`,
  transport: "streamable_http",
  baseUrl: "http://127.0.0.1:9/mcp",
  command: null,
  args: [],
  env: {},
  extraHeaders: {},
  launchApproved: false,
  state: "active",
  lastProbeError: null,
  lastProbedAt: null,
  createdAt: at(),
  updatedAt: at(),
  ...overrides
})

export const authProfile = (
  orgId: string,
  serverId: string,
  overrides: Partial<AuthProfile> = {}
): AuthProfile => ({
  id: uid(),
  orgId,
  serverId,
  name: `profile ${uid()}`,
  kind: "bearer",
  headerName: null,
  tokenUrl: null,
  clientId: null,
  scopes: [],
  secretRef: null,
  createdAt: at(),
  ...overrides
})

export const catalogVersion = (
  orgId: string,
  serverId: string,
  version: number,
  overrides: Partial<CatalogVersion> = {}
): CatalogVersion => ({
  id: uid(),
  orgId,
  serverId,
  version,
  hash: `hash-${version}`,
  serverInfo: { name: "contract", version: "1.0.0" },
  protocolVersion: "2025-06-18",
  capabilities: { tools: {} },
  tools: [{ name: "get_weather", inputSchema: { type: "object" } }],
  createdAt: at(version),
  ...overrides
})

export const spec = (mcpServerId: string, overrides: Partial<WorkflowSpec> = {}): WorkflowSpec => ({
  name: `workflow ${uid()}`,
  description: "",
  mcpServerId,
  authProfileId: null,
  prompt: "Check the weather in Oslo.",
  criteria: [{ id: "c1", text: "Reports the temperature.", required: true }],
  assertions: [],
  testerModels: ["openai:gpt-5-mini"],
  judgeModel: "openai:gpt-5-mini",
  schedule: null,
  toolPolicy: {},
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
  ...overrides
})

/** A workflow at version 1 with that version. */
export const workflow = (
  orgId: string,
  overrides: Partial<WorkflowSpec> = {}
): { readonly workflow: Workflow; readonly version: WorkflowVersion } => {
  const id = uid()
  const version = versionOf(orgId, id, 1, spec(uid(), overrides))
  return {
    workflow: {
      id,
      orgId,
      currentVersionId: version.id,
      version: 1,
      state: "active",
      spec: version.spec,
      createdAt: at(),
      updatedAt: at()
    },
    version
  }
}

export const versionOf = (
  orgId: string,
  workflowId: string,
  version: number,
  s: WorkflowSpec
): WorkflowVersion => ({
  id: uid(),
  orgId,
  workflowId,
  version,
  spec: s,
  createdBy: null,
  createdAt: at(version)
})

export const toolCall = (name: string, overrides: Partial<ToolCall> = {}): ToolCall => ({
  id: uid(),
  phase: "agent",
  step: 1,
  name,
  arguments: { city: "Oslo" },
  content: [{ type: "text", text: "21C" }],
  isError: false,
  refused: false,
  error: null,
  startedAt: at(),
  durationMs: 12,
  ...overrides
})

export const run = (orgId: string, overrides: Partial<Run> = {}): Run => ({
  id: uid(),
  orgId,
  workflowId: uid(),
  workflowVersionId: uid(),
  workflowVersion: 1,
  workflowName: "Weather check",
  mcpServerId: uid(),
  testerModel: "openai:gpt-5-mini",
  judgeModel: "openai:gpt-5-mini",
  trigger: "manual",
  reason: null,
  idempotencyKey: null,
  baselineRunId: null,
  sampleGroupId: null,
  fireAt: null,
  attempt: 1,
  status: "pass",
  createdAt: at(),
  startedAt: at(),
  finishedAt: at(10),
  durationMs: 10_000,
  finalAnswer: "It is 21C.",
  toolCalls: [],
  trace: [],
  criteria: [],
  assertions: [],
  usage: [],
  costUsd: 0,
  serverInfo: null,
  catalogHash: null,
  error: null,
  ...overrides
})

export const monitor = (orgId: string, overrides: Partial<Monitor> = {}): Monitor => ({
  id: uid(),
  orgId,
  name: `monitor ${uid()}`,
  mcpServerId: uid(),
  authProfileId: null,
  toolName: "get_weather",
  arguments: { city: "Oslo" },
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
  nextCheckAt: at(),
  lastOutcome: null,
  lastCheckedAt: null,
  mutedUntil: null,
  createdAt: at(),
  updatedAt: at(),
  ...overrides
})

export const check = (
  monitor: Monitor,
  scheduledAt: Date,
  overrides: Partial<MonitorCheck> = {}
): MonitorCheck => ({
  id: uid(),
  orgId: monitor.orgId,
  monitorId: monitor.id,
  scheduledAt,
  startedAt: scheduledAt,
  outcome: "pass",
  latencyMs: 100,
  error: null,
  resultExcerpt: "21C",
  attempts: 1,
  ...overrides
})

/** A rule named after its id: rule names are unique in an organization. */
export const alertRule = (orgId: string, overrides: Partial<AlertRule> = {}): AlertRule => {
  const id = uid()
  return {
    id,
    orgId,
    name: `Weather down ${id.slice(0, 8)}`,
    target: { type: "workflow", id: uid() },
    destination: { type: "email", address: "ops@example.com" },
    on: ["fail", "error"],
    notifyRecovery: true,
    reminderMinutes: null,
    state: "enabled",
    firingSince: null,
    lastFiredAt: null,
    mutedUntil: null,
    createdAt: at(),
    ...overrides
  }
}

export const outboxMessage = (orgId: string, overrides: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: uid(),
  orgId,
  ruleId: null,
  destination: { type: "slack", channel: "C123" },
  message: {
    kind: "firing",
    ruleName: "Weather down",
    subject: "Weather check failed",
    objectName: "Weather check",
    outcome: "fail",
    summary: "The temperature was missing.",
    link: "https://armature.example/runs/1",
    at: at()
  },
  status: "pending",
  attempts: 0,
  nextAttemptAt: at(),
  lastError: null,
  createdAt: at(),
  deliveredAt: null,
  ...overrides
})

export const alertIncident = (orgId: string, overrides: Partial<AlertIncident> = {}): AlertIncident => ({
  id: uid(),
  orgId,
  serverId: uid(),
  serverName: "Shop",
  kind: "server",
  openedAt: at(),
  resolvedAt: null,
  summary: "Probe failed: connection refused",
  monitorsDown: false,
  baselineVersion: null,
  ruleIds: [],
  notified: [],
  ...overrides
})

export const proposal = (orgId: string, overrides: Partial<Proposal> = {}): Proposal => ({
  id: uid(),
  orgId,
  kind: "update",
  workflowId: uid(),
  baseVersionId: uid(),
  spec: spec(uid()),
  diff: [{ field: "prompt", before: "a", after: "b" }],
  rationale: "Clearer prompt.",
  evidence: [],
  warnings: [],
  createdBy: null,
  createdAt: at(),
  expiresAt: at(86_400),
  appliedAt: null,
  appliedVersionId: null,
  ...overrides
})

export const jobRequest = (orgId: string, kind: string, overrides: Partial<JobRequest> = {}): JobRequest => ({
  orgId,
  kind,
  targetId: uid(),
  model: "openai:gpt-5-mini",
  fireAt: at(),
  runAfter: at(),
  payload: { n: 1 },
  maxAttempts: 2,
  ...overrides
})

export const slackInstallation = (
  orgId: string,
  overrides: Partial<SlackInstallation> = {}
): SlackInstallation => ({
  orgId,
  teamId: `T${uid().slice(0, 8).toUpperCase()}`,
  teamName: "Contract workspace",
  botUserId: "U0BOT",
  scopes: ["chat:write", "chat:write.public", "channels:read", "commands"],
  installedAt: at(),
  installedBy: { keyId: "k1", memberId: null, role: "admin" },
  slackUserId: "U0ADMIN",
  proposalsChannel: null,
  ...overrides
})

export const slackInstallLink = (
  orgId: string,
  overrides: Partial<SlackInstallLink> = {}
): SlackInstallLink => ({
  id: uid(),
  orgId,
  secretHash: uid(),
  createdBy: { keyId: "k1", memberId: uid(), role: "admin" },
  createdAt: at(),
  expiresAt: at(3_600),
  usedAt: null,
  ...overrides
})

/** Creates a fresh organization (adapters may require it before any of its rows) and returns its id. */
export const newOrg: Effect.Effect<string, Conflict | StoreError, OrgStore> = Effect.gen(function* () {
  const org = organization()
  yield* Effect.flatMap(OrgStore, (s) => s.createOrganization(org))
  return org.id
})
