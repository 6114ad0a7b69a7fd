import { McpConnector, type McpServer } from "@armature/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startEverythingHttp } from "./fixtures/everythingHttp.js"
import { connectorLayer, everythingStdio, server } from "./helpers.js"

/** Probe-like use of a real third-party server: tools listed, `echo` and `get-sum` called. */
const exercise = (srv: McpServer) =>
  Effect.gen(function* () {
    const session = yield* (yield* McpConnector).connect(srv, null, { connectTimeoutMs: 10_000 })
    expect(session.serverInfo.name).toBe("mcp-servers/everything")
    const tools = yield* session.listTools
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["echo", "get-sum"]))
    const echo = yield* session.callTool("echo", { message: "hello" }, { timeoutMs: 5000 })
    expect(JSON.stringify(echo.content)).toContain("hello")
    const sum = yield* session.callTool("get-sum", { a: 2, b: 3 }, { timeoutMs: 5000 })
    expect(JSON.stringify(sum.content)).toContain("5")
    const bad = yield* session.callTool("get-sum", { a: "x" }, { timeoutMs: 5000 })
    expect(bad.isError).toBe(true)
  }).pipe(Effect.scoped, Effect.provide(connectorLayer()))

describe("@modelcontextprotocol/server-everything", () => {
  it.live("over stdio", () => exercise(everythingStdio()))

  it.live("over Streamable HTTP", () =>
    Effect.acquireUseRelease(
      Effect.promise(() => startEverythingHttp()),
      (e) => exercise(server({ name: "everything", baseUrl: e.url })),
      (e) => Effect.promise(() => e.close())
    )
  )
})
