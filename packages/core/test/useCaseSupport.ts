/** Shared fixtures of the use-case tests: callers, a fake MCP connector, a recording alert sink. */
import { Effect, Layer } from "effect"
import type { AlertMessage, Destination } from "../src/domain/Alert.js"
import type { Caller } from "../src/domain/Audit.js"
import type { Tool } from "../src/domain/Catalog.js"
import type { Role } from "../src/domain/Organization.js"
import { ServerUnreachable } from "../src/Errors.js"
import { AlertSink, DeliveryFailed } from "../src/ports/AlertSink.js"
import * as IdsLayer from "../src/ports/Ids.js"
import { McpConnector, type McpSession } from "../src/ports/McpConnector.js"
import { MemoryStore } from "../src/testing/index.js"

export const orgId = "00000000-0000-4000-8000-0000000000aa"

/** A caller of `orgId` with `role`. */
export const callerOf = (role: Role, org = orgId): Caller => ({
  orgId: org,
  actor: { keyId: `key-${role}`, memberId: null, role }
})

export const weather: Tool = {
  name: "get_weather",
  description: "Current weather",
  inputSchema: {
    type: "object",
    properties: {
      city: { type: "string" },
      days: { type: "integer", minimum: 1 },
      units: { type: "string", enum: ["metric", "imperial"] }
    },
    required: ["city", "units"]
  },
  annotations: { readOnlyHint: true }
}

export const createOrder: Tool = {
  name: "create_order",
  inputSchema: {
    type: "object",
    properties: { sku: { type: "string" }, quantity: { type: "integer" } },
    required: ["sku"]
  },
  annotations: { destructiveHint: true }
}

export const getOrder: Tool = {
  name: "get_order",
  inputSchema: {
    type: "object",
    properties: { id: { type: "string" }, expand: { type: "boolean" } },
    required: ["id"]
  },
  annotations: { readOnlyHint: true }
}

/** What the fake server currently does: list these tools, or fail to connect. */
export interface FakeServer {
  tools: ReadonlyArray<Tool>
  failure: ServerUnreachable | null
  connects: number
}

export const fakeServer = (tools: ReadonlyArray<Tool> = [weather, createOrder, getOrder]): FakeServer => ({
  tools,
  failure: null,
  connects: 0
})

export const refused = () =>
  new ServerUnreachable({ message: "connect ECONNREFUSED 127.0.0.1:9", reason: "connection_refused" })

/** A connector whose every session lists `server.tools` at connect time, or fails with `server.failure`. */
export const connectorLayer = (server: FakeServer) =>
  Layer.succeed(McpConnector, {
    connect: () =>
      Effect.suspend(() => {
        server.connects++
        if (server.failure !== null) return Effect.fail(server.failure)
        const session: McpSession = {
          serverInfo: { name: "fake", version: "1.0.0" },
          protocolVersion: "2025-06-18",
          capabilities: { tools: {} },
          listTools: Effect.sync(() => server.tools),
          callTool: () => Effect.succeed({ content: [], isError: false })
        }
        return Effect.succeed(session)
      }),
    // Like the runner's guard for literal addresses: link-local and metadata are refused.
    checkAddress: (url) =>
      new URL(url).hostname.startsWith("169.254.")
        ? Effect.fail(new ServerUnreachable({ message: `${url} is link-local`, reason: "ssrf_blocked" }))
        : Effect.void
  })

/** Deliveries a sink received, and how it should answer the next ones. */
export interface SinkState {
  delivered: Array<{ orgId: string; message: AlertMessage; destination: Destination }>
  fail: DeliveryFailed | null
}

export const sinkState = (): SinkState => ({ delivered: [], fail: null })

export const sinkLayer = (state: SinkState) =>
  Layer.succeed(AlertSink, {
    deliver: ({ orgId, message, destination }) =>
      Effect.suspend(() => {
        if (state.fail !== null) return Effect.fail(state.fail)
        state.delivered.push({ orgId, message, destination })
        return Effect.void
      }),
    validate: () => Effect.succeed([])
  })

export const deliveryFailed = (retryable: boolean) =>
  new DeliveryFailed({ message: "destination down", retryable })

/** The in-memory store with sequential ids, plus the given extra layers. */
export const testLayer = <ROut>(extra: Layer.Layer<ROut>) =>
  Layer.mergeAll(MemoryStore.layer, extra).pipe(Layer.provideMerge(IdsLayer.layerSequential))

/**
 * What `testLayer(extra)` provides. Test helpers type their effect with it, so a test that needs a
 * service its layer lacks fails to compile instead of failing at run time.
 */
export type TestServices<ROut> = Layer.Layer.Success<ReturnType<typeof testLayer<ROut>>>
