/**
 * The library on its own: `McpHttp.toWebHandler` over an in-memory store, driven by the MCP SDK's
 * client through a `fetch` that calls the handler directly — the way a backend that is not the
 * reference server mounts the API. Here, too, an unexpected failure is a bare `internal_error`.
 */
import { ApiKeys, IdsLayer, LanguageModels, McpConnector, RunStore, Servers } from "@armature/core"
import { MemoryStore } from "@armature/core/testing"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { McpError } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { McpHttp } from "../src/index.js"

const unused = (name: string) => () => {
  throw new Error(`${name} is not used by these tests`)
}

/** Services the tools called here never reach. */
const outside = Layer.mergeAll(
  Layer.succeed(McpConnector, new Proxy({}, { get: unused("McpConnector") }) as never),
  Layer.succeed(LanguageModels, new Proxy({}, { get: unused("LanguageModels") }) as never),
  Layer.succeed(Servers.ServerPolicy, {
    allowInsecureHttp: false,
    probeTimeoutMs: 1000,
    apiStdioCommands: []
  })
)

/** The in-memory store, with run searches failing the way a broken driver would. */
const brokenSearch = Layer.effect(
  RunStore,
  Effect.map(RunStore, (runs) => ({
    ...runs,
    searchRuns: () => Effect.die(new Error("connection to postgres://armature:hunter22@db failed"))
  }))
)

const runtime = ManagedRuntime.make(
  Layer.mergeAll(brokenSearch, outside, IdsLayer.layer, Logger.minimumLogLevel(LogLevel.None)).pipe(
    Layer.provideMerge(MemoryStore.layer),
    Layer.provideMerge(IdsLayer.layer)
  )
)

afterAll(() => runtime.dispose())

const handler = McpHttp.toWebHandler(runtime, { allowedOrigins: [] })

const connect = async (token: string) => {
  const client = new Client({ name: "library-test", version: "0.0.0" })
  await client.connect(
    new StreamableHTTPClientTransport(new URL("http://embedded.test/mcp"), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      fetch: (url, init) => handler(new Request(url, init))
    })
  )
  return client
}

describe("McpHttp.toWebHandler", () => {
  it("serves the tools to a client whose key the store knows", async () => {
    const { token } = await runtime.runPromise(ApiKeys.mintForBootstrap("org-1", "agent", "viewer", null))
    const client = await connect(token)
    const { tools } = await client.listTools()
    expect(tools).toHaveLength(10)
    const health = await client.callTool({ name: "get_organization_health", arguments: {} })
    expect(health.structuredContent).toMatchObject({ workflows: [], windowDays: 7 })
    await client.close()
  })

  it("an unexpected failure is -32603 internal_error, without the cause", async () => {
    const { token } = await runtime.runPromise(ApiKeys.mintForBootstrap("org-1", "agent", "viewer", null))
    const client = await connect(token)
    const error = await client.callTool({ name: "search_runs", arguments: {} }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(McpError)
    const mcpError = error as McpError
    expect(mcpError.code).toBe(-32603)
    expect(mcpError.data).toEqual({ code: "internal_error", message: "An unexpected error occurred." })
    expect(JSON.stringify({ message: mcpError.message, data: mcpError.data })).not.toMatch(
      /hunter22|postgres|at /
    )
    await client.close()
  })

  it("refuses a request without a key with 401 and WWW-Authenticate: Bearer", async () => {
    const response = await handler(
      new Request("http://embedded.test/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })
      })
    )
    expect(response.status).toBe(401)
    expect(response.headers.get("www-authenticate")).toBe("Bearer")
    expect(await response.json()).toMatchObject({ error: { code: "unauthenticated" } })
  })
})
