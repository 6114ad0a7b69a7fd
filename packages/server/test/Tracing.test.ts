/**
 * OpenTelemetry export: the whole server in-process (embedded store, the demo MCP server behind a
 * bearer profile, scripted models) with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a loopback
 * OTLP/HTTP JSON receiver. One monitor check and one workflow run later the server stops, which
 * sends what is left, and the receiver holds their spans — without a credential in any of it.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ApiKeys } from "@armature/core"
import { HttpServer } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Context, Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import * as App from "../src/app/App.js"
import * as Bootstrap from "../src/app/Bootstrap.js"
import * as ServerConfig from "../src/config/ServerConfig.js"
import { scriptedModels } from "./support/scriptedModels.js"
import { rest, restReply } from "./support/serverProcess.js"

interface OtlpValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly boolValue?: boolean
}
interface OtlpAttribute {
  readonly key: string
  readonly value: OtlpValue
}
interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes: ReadonlyArray<OtlpAttribute>
  readonly status?: { readonly code?: number; readonly message?: string }
}
interface TracesBody {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<OtlpAttribute> }
    readonly scopeSpans: ReadonlyArray<{ readonly spans: ReadonlyArray<OtlpSpan> }>
  }>
}

/** A loopback OTLP/HTTP receiver: keeps the raw body of every `POST /v1/traces`. */
const startReceiver = async () => {
  const bodies: string[] = []
  const paths: string[] = []
  const server: Server = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on("end", () => {
      paths.push(`${req.method} ${req.url}`)
      if (req.method === "POST" && req.url === "/v1/traces") {
        bodies.push(body)
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      } else res.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    paths,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const attribute = (span: { readonly attributes: ReadonlyArray<OtlpAttribute> }, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value?.stringValue ?? value?.intValue ?? value?.boolValue
}

const poll = async <A>(read: () => Promise<A>, done: (a: A) => boolean): Promise<A> => {
  let value = await read()
  for (let i = 0; i < 150 && !done(value); i++) {
    await new Promise((r) => setTimeout(r, 200))
    value = await read()
  }
  return value
}

describe("OpenTelemetry export to OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "armature-tracing-"))
  const token = "tracing-bearer-token-7f3a9c1e5b"
  const invitationToken = "invitation-token-0d9e8f7a6b"
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  let key = ""
  let monitorId = ""
  let runId = ""
  const quoted = "quoted-input-5e1d"
  let refused: { status: number; body: unknown } = { status: 0, body: null }

  beforeAll(async () => {
    receiver = await startReceiver()
    demo = await startDemoServer({ port: 0 })
    const scope = Effect.runSync(Scope.make())
    const config = ConfigProvider.fromMap(
      new Map([
        ["ARMATURE_DATA_DIR", dataDir],
        ["HOST", "127.0.0.1"],
        ["PORT", "0"],
        ["ARMATURE_ALLOW_LOOPBACK", "true"],
        ["OTEL_EXPORTER_OTLP_ENDPOINT", `${receiver.url}/`],
        ["OTEL_SERVICE_NAME", "armature-tracing-test"]
      ])
    )
    const app = App.make({ models: scriptedModels }).pipe(
      Layer.provide(ServerConfig.layer),
      Layer.provide(NodeContext.layer),
      Layer.provide(Layer.setConfigProvider(config)),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )
    const context = await Effect.runPromise(Scope.extend(Layer.build(app), scope))
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
    const base = `http://127.0.0.1:${address.port}`
    key = await Effect.runPromise(
      Effect.flatMap(Bootstrap.operator, (caller) =>
        ApiKeys.create(caller, { name: "tracing", role: "owner" })
      ).pipe(
        Effect.map((created) => created.token),
        Effect.provide(context)
      )
    )

    const { server } = await rest(base, key, "POST", "/mcp-servers", {
      name: "demo-shop",
      baseUrl: demo.url,
      authProfiles: [{ name: "ci", kind: "bearer", token }]
    })
    const monitor = await rest(base, key, "POST", "/monitors", {
      name: "order lookup",
      mcpServerId: server.id,
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: 3600
    })
    monitorId = monitor.id
    const workflow = await rest(base, key, "POST", "/workflows", {
      name: "Customer can look up an order",
      mcpServerId: server.id,
      prompt: "Find order A-1001 and tell the customer its status and total.",
      criteria: [{ text: "The agent looked the order up with get_order" }],
      testerModels: ["scripted:tester"],
      judgeModel: "scripted:judge"
    })
    runId = (await rest(base, key, "POST", `/workflows/${workflow.id}/runs`, {})).run.runId
    const run = await poll(
      () => rest(base, key, "GET", `/runs/${runId}`),
      (r) => !["pending", "running"].includes(r.status)
    )
    expect(run.status).toBe("pass")
    const checks = await poll(
      () => rest(base, key, "GET", `/monitors/${monitorId}/checks`),
      (c) => c.items.length > 0
    )
    expect(checks.items[0].outcome).toBe("pass")
    // A credential in a query string, as an invitation link carries it.
    await fetch(`${base}/invitations/accept?token=${invitationToken}`)
    // A refused input whose answer quotes the value given. The last request before the stop: its
    // spans are still buffered (exports run every 5 s), so they arrive by the flush on close.
    refused = await restReply(base, key, "POST", "/monitors", {
      name: "refused",
      mcpServerId: server.id,
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: quoted
    })

    // Stopping the server sends the spans still buffered.
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }, 90_000)

  afterAll(async () => {
    await demo?.close()
    await receiver?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const received = () => receiver.bodies.map((b) => JSON.parse(b) as TracesBody)
  const spans = () =>
    received().flatMap((body) => body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)))
  const descendants = (root: OtlpSpan) => {
    const all = spans()
    const found: OtlpSpan[] = []
    const ids = new Set([root.spanId])
    for (let grew = true; grew; ) {
      grew = false
      for (const span of all) {
        if (span.parentSpanId !== undefined && ids.has(span.parentSpanId) && !ids.has(span.spanId)) {
          ids.add(span.spanId)
          found.push(span)
          grew = true
        }
      }
    }
    return found
  }

  it("sends traces only, as JSON to <endpoint>/v1/traces, with the service name of OTEL_SERVICE_NAME", () => {
    expect(receiver.bodies.length).toBeGreaterThan(0)
    expect(new Set(receiver.paths)).toEqual(new Set(["POST /v1/traces"]))
    for (const body of received()) {
      for (const resource of body.resourceSpans) {
        expect(attribute(resource.resource, "service.name")).toBe("armature-tracing-test")
      }
    }
  })

  it("traces a monitor check as MonitorCheck.execute, with its ids and the MCP tool call inside", () => {
    const check = spans().find(
      (s) => s.name === "MonitorCheck.execute" && attribute(s, "armature.monitor_id") === monitorId
    )
    expect(check).toBeDefined()
    expect(attribute(check!, "armature.tool_name")).toBe("get_order")
    expect(attribute(check!, "armature.check_outcome")).toBe("pass")
    const call = descendants(check!).find((s) => s.name === "McpSession.callTool")
    expect(call).toBeDefined()
    expect(attribute(call!, "armature.tool_name")).toBe("get_order")
  })

  it("traces the workflow run as RunExecutor.execute, inside its job's span, with the run's phases inside", () => {
    const execute = spans().find(
      (s) => s.name === "RunExecutor.execute" && attribute(s, "armature.run_id") === runId
    )
    expect(execute).toBeDefined()
    const job = spans().find((s) => s.spanId === execute!.parentSpanId)
    expect(job?.name).toBe("RunJob.executeRun")
    const inside = descendants(execute!).map((s) => s.name)
    expect(inside).toContain("McpConnector.connect")
    expect(inside.length).toBeGreaterThan(1)
  })

  it("traces HTTP requests and the use cases they call in one trace", () => {
    const create = spans().find((s) => s.name === "Monitors.create")
    expect(create).toBeDefined()
    const parent = spans().find((s) => s.spanId === create!.parentSpanId)
    expect(parent?.name).toMatch(/^http\.server POST/)
    expect(attribute(parent!, "http.response.status_code")).toBe(201)
  })

  it("records a failure as its error's tag and code, not its message, which may quote input", () => {
    expect(refused.status).toBe(400)
    expect(JSON.stringify(refused.body)).toContain(quoted)
    const failed = spans().find((s) => s.name === "Monitors.create" && s.status?.code === 2)
    expect(failed?.status?.message).toBe("validation_failed")
    expect(receiver.bodies.join("\n")).not.toContain(quoted)
  })

  it("leaves out SQL outside traced work (the loops' polls), keeps it inside", () => {
    const queries = spans().filter((s) => s.name.startsWith("sql."))
    expect(queries.filter((s) => s.parentSpanId === undefined)).toEqual([])
    const check = spans().find((s) => s.name === "Monitors.recordCheck")
    expect(check).toBeDefined()
    expect(descendants(check!).some((s) => s.name === "sql.execute")).toBe(true)
  })

  it("sends no credential: not the API key, the server's bearer token or a token in a query string", () => {
    const all = receiver.bodies.join("\n")
    expect(all).not.toContain(key)
    expect(all).not.toContain(key.slice(-20))
    expect(all).not.toContain(token)
    expect(all).not.toContain(invitationToken)
    expect(all).toContain("token=***")
  })
})
