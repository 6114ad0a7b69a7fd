/** Fixtures of the Workflows, Proposals and Runs tests: a seeded server, callers, a model catalog. */
import { Effect, Layer } from "effect"
import type { Caller } from "../src/domain/Audit.js"
import type { Tool } from "../src/domain/Catalog.js"
import type { Role } from "../src/domain/Organization.js"
import type { Run } from "../src/domain/Run.js"
import type { WorkflowSpecInput } from "../src/domain/Workflow.js"
import * as IdsLayer from "../src/ports/Ids.js"
import { LanguageModels, type ModelCatalogEntry, ModelNotConfigured } from "../src/ports/LanguageModels.js"
import { RunStore } from "../src/ports/RunStore.js"
import { ServerStore } from "../src/ports/ServerStore.js"
import { MemoryStore } from "../src/testing/index.js"

export const orgId = "org-1"
export const otherOrgId = "org-2"
export const serverId = "srv-orders"
export const profileId = "prof-orders"
/** A second server, with its own profile and no catalog. */
export const bareServerId = "srv-bare"
export const bareProfileId = "prof-bare"

export const callerOf = (role: Role, org = orgId): Caller => ({
  orgId: org,
  actor: { keyId: `key-${role}`, memberId: null, role }
})
export const viewer = callerOf("viewer")
export const editor = callerOf("editor")

const tool = (name: string, annotations: Tool["annotations"] = {}): Tool => ({
  name,
  inputSchema: { type: "object" },
  annotations
})
export const tools: ReadonlyArray<Tool> = [
  tool("get_order", { readOnlyHint: true }),
  tool("list_orders", { readOnlyHint: true }),
  tool("create_order", { destructiveHint: true }),
  tool("reset_fixtures")
]

const model = (id: string): ModelCatalogEntry => ({
  id,
  displayName: id,
  provider: id.split(":")[0]!,
  inputPricePerMTok: 1,
  outputPricePerMTok: 2
})

/** A `LanguageModels` that knows `ids` and resolves none (the use cases only read the catalog). */
export const modelsLayer = (
  ids: ReadonlyArray<string> = ["openai:gpt-5-mini", "openai:gpt-5", "anthropic:claude"]
) =>
  Layer.succeed(LanguageModels, {
    catalog: Effect.succeed(ids.map(model)),
    resolve: (modelId) => Effect.fail(new ModelNotConfigured({ message: "not in tests", modelId }))
  })

/** A fresh in-memory store with sequential ids and the given model catalog. */
export const testLayer = (models = modelsLayer()) =>
  Layer.mergeAll(MemoryStore.layer, models).pipe(Layer.provideMerge(IdsLayer.layerSequential))

/** What `testLayer()` provides; test helpers type their effect with it instead of `any`. */
export type FixtureServices = Layer.Layer.Success<ReturnType<typeof testLayer>>

const epoch = new Date(0)

/** Seeds the orders server (with a catalog) and the bare server (without one). */
export const seed = Effect.gen(function* () {
  const servers = yield* ServerStore
  for (const [id, name] of [
    [serverId, "Orders"],
    [bareServerId, "Bare"]
  ] as const) {
    yield* servers.insertServer({
      id,
      orgId,
      name,
      transport: "streamable_http",
      baseUrl: `https://${id}.example.com/mcp`,
      command: null,
      args: [],
      env: {},
      extraHeaders: {},
      launchApproved: false,
      state: "active",
      lastProbeError: null,
      lastProbedAt: epoch,
      createdAt: epoch,
      updatedAt: epoch
    })
  }
  for (const [id, server] of [
    [profileId, serverId],
    [bareProfileId, bareServerId]
  ] as const) {
    yield* servers.insertAuthProfile({
      id,
      orgId,
      serverId: server,
      name: "default",
      kind: "none",
      headerName: null,
      tokenUrl: null,
      clientId: null,
      scopes: [],
      secretRef: null,
      createdAt: epoch
    })
  }
  yield* servers.insertCatalogVersion({
    id: "cat-1",
    orgId,
    serverId,
    version: 1,
    hash: "hash-1",
    serverInfo: { name: "orders", version: "1.0.0" },
    protocolVersion: "2025-06-18",
    capabilities: { tools: {} },
    tools,
    createdAt: epoch
  })
})

/** Runs `effect` after `seed` on a fresh `layer`; it may use only the services the layer provides. */
export const runSeeded = <A, E>(effect: Effect.Effect<A, E, FixtureServices>, layer = testLayer()) =>
  Effect.zipRight(seed, effect).pipe(Effect.provide(layer))

/** A valid spec as a user writes it: criterion ids and most defaults left out. */
/** Overrides may name unknown keys too, to test that they are refused. */
export const specInput = (
  overrides: Partial<Record<keyof WorkflowSpecInput, unknown>> & Record<string, unknown> = {}
) => ({
  name: "Order lookup",
  mcpServerId: serverId,
  authProfileId: profileId,
  prompt: "Look up order 42 and report its status.",
  criteria: [
    { text: "The agent called get_order with id 42" },
    { text: "The answer states the order status" },
    { text: "The answer is polite", required: false }
  ],
  testerModels: ["openai:gpt-5-mini", "anthropic:claude"],
  judgeModel: "openai:gpt-5",
  schedule: { cron: "*/15 * * * *", timezone: "Europe/Oslo" },
  toolPolicy: { allowedTools: ["get_order", "list_*"] },
  ...overrides
})

/** Field paths of a failure, for assertions that name fields. */
export const fieldsOf = (error: unknown): string[] =>
  ((error as { fieldErrors?: ReadonlyArray<{ field: string }> }).fieldErrors ?? []).map((e) => e.field)

/** Rewrites a stored run to a terminal state, as the worker would. */
export const finish = (run: Run, status: "pass" | "fail" | "partial" | "error", patch: Partial<Run> = {}) =>
  Effect.flatMap(RunStore, (runs) =>
    runs.updateRun({
      ...run,
      status,
      startedAt: run.startedAt ?? run.createdAt,
      finishedAt: new Date(run.createdAt.getTime() + 1000),
      durationMs: 1000,
      ...patch
    })
  )
