/** Records and layers shared by the runner tests. */
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import {
  type AuthProfile,
  type McpServer,
  type Monitor,
  type Run,
  SecretNotFound,
  SecretStore,
  WorkflowSpec,
  type WorkflowSpecInput
} from "@armature/core"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as McpConnector from "../src/McpConnector.js"

export const orgId = "00000000-0000-4000-8000-00000000000a"
const epoch = new Date("2026-01-01T00:00:00Z")

/** A registered server record. */
export const server = (over: Partial<McpServer> = {}): McpServer => ({
  id: "00000000-0000-4000-8000-000000000051",
  orgId,
  name: "fixture",
  transport: "streamable_http",
  baseUrl: null,
  command: null,
  args: [],
  env: {},
  extraHeaders: {},
  launchApproved: false,
  state: "active",
  lastProbeError: null,
  lastProbedAt: null,
  createdAt: epoch,
  updatedAt: epoch,
  ...over
})

/** An auth profile whose secret is `secretRef` in the test secret store. */
export const profile = (over: Partial<AuthProfile> = {}): AuthProfile => ({
  id: "00000000-0000-4000-8000-0000000000a1",
  orgId,
  serverId: server().id,
  name: "default",
  kind: "bearer",
  headerName: null,
  tokenUrl: null,
  clientId: null,
  scopes: [],
  secretRef: "ref-1",
  createdAt: epoch,
  ...over
})

/** A SecretStore over a fixed map of reference → value. */
export const secretsLayer = (values: Record<string, string> = {}) =>
  Layer.succeed(SecretStore, {
    put: () => Effect.die("not used"),
    get: (_org, ref) =>
      ref in values
        ? Effect.succeed(Redacted.make(values[ref]!))
        : Effect.fail(new SecretNotFound({ message: "no such secret", ref })),
    delete: () => Effect.void,
    matching: (_org, candidates) =>
      Effect.succeed(new Set(candidates.filter((c) => Object.values(values).includes(c))))
  })

/** The real connector with loopback allowed (tests only talk to 127.0.0.1). */
export const connectorLayer = (secrets: Record<string, string> = {}) =>
  McpConnector.layer({ allowLoopback: true }).pipe(Layer.provide(secretsLayer(secrets)))

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

/** A stdio server record that starts the fixture over stdio through tsx. */
export const stdioFixture = (env: Record<string, string> = {}): McpServer =>
  server({
    transport: "stdio",
    launchApproved: true,
    command: process.execPath,
    args: ["--import", "tsx", here("./fixtures/fixtureStdio.ts")],
    env
  })

/** A stdio server record for `@modelcontextprotocol/server-everything`. */
export const everythingStdio = (): McpServer =>
  server({
    name: "everything",
    transport: "stdio",
    launchApproved: true,
    command: process.execPath,
    args: [
      createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js"),
      "stdio"
    ]
  })

/** A monitor of the fixture's `get_order` with short timeouts. */
export const monitor = (over: Partial<Monitor> = {}): Monitor => ({
  id: "00000000-0000-4000-8000-000000000071",
  orgId,
  name: "get order",
  mcpServerId: server().id,
  authProfileId: null,
  toolName: "get_order",
  arguments: { orderId: "ord-1" },
  assertions: [],
  nextSteps: [],
  intervalSeconds: 60,
  timeoutMs: 1000,
  degradedAboveMs: null,
  failAboveMs: null,
  retries: 1,
  state: "active",
  muted: false,
  allowDestructive: false,
  nextCheckAt: epoch,
  lastOutcome: null,
  lastCheckedAt: null,
  mutedUntil: null,
  createdAt: epoch,
  updatedAt: epoch,
  ...over
})

/** A workflow spec with defaults, from its input form. */
export const spec = (over: Partial<WorkflowSpecInput> = {}): WorkflowSpec =>
  Schema.decodeSync(WorkflowSpec)({
    name: "order lookup",
    mcpServerId: server().id,
    prompt: "Look up order ord-1 and report its status.",
    criteria: [
      { id: "c1", text: "The agent looked up order ord-1" },
      { id: "c2", text: "The answer states the order status" }
    ],
    testerModels: ["test:tester"],
    judgeModel: "test:judge",
    ...over
  })

/** A pending run of `spec()`. */
export const pendingRun = (over: Partial<Run> = {}): Run => ({
  id: "00000000-0000-4000-8000-0000000000f1",
  orgId,
  workflowId: "00000000-0000-4000-8000-0000000000e1",
  workflowVersionId: "00000000-0000-4000-8000-0000000000e2",
  workflowVersion: 1,
  workflowName: "order lookup",
  mcpServerId: server().id,
  testerModel: "test:tester",
  judgeModel: "test:judge",
  trigger: "manual",
  reason: null,
  idempotencyKey: null,
  baselineRunId: null,
  sampleGroupId: null,
  fireAt: null,
  attempt: 1,
  status: "pending",
  createdAt: epoch,
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  finalAnswer: null,
  toolCalls: [],
  trace: [],
  criteria: [],
  assertions: [],
  usage: [],
  costUsd: 0,
  serverInfo: null,
  catalogHash: null,
  error: null,
  ...over
})
