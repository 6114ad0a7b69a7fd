/**
 * Every error code of SPEC §9.2, provoked once through the MCP SDK's client over real HTTP, table
 * driven: the JSON-RPC number, `data` as an ApiError (`{ code, message, details? }` with
 * `details: { fieldErrors, warnings }` only where there is something to say), the field path
 * where there is one, and a JSON-RPC message that states the code and the field errors in words.
 *
 * Provoked elsewhere, not repeated here:
 * - `proposal_expired`, `proposal_already_applied`, `version_conflict`: RepairLoop.test.ts, on
 *   proposals of a real repair.
 * - `run_wait_timeout`, `secret_in_arguments`: McpApi.test.ts.
 * - `rate_limited`: AuditAndLimits.test.ts, with the per-key budget REST and MCP share.
 * - `monitor_not_found` cannot be provoked over MCP: no tool argument and no resource takes a
 *   monitor id. The `monitor_not_found` test pins that down, so whoever adds one is sent here.
 *
 * `read_only_workspace` and `quota_exceeded` (plans, SPEC §11) need a server with billing
 * (`ARMATURE_BILLING=manual`), so they have a server of their own in the last `describe`: a
 * free workspace at its runs per month, then a lapsed subscription.
 */

import { randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Plans, RunIds, RunStore } from "@armature/core"
import { McpHttp } from "@armature/mcp-api"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import type { McpError } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Logger } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { rest } from "../support/serverProcess.js"
import { createOrderWorkflow, registerServer } from "./support/demoShop.js"
import { apiError, connect, failure } from "./support/mcpClient.js"

const dataDir = mkdtempSync(join(tmpdir(), "armature-mcp-errors-"))
const unknownId = "00000000-0000-4000-8000-000000000000"

let demo: Awaited<ReturnType<typeof startDemoServer>>
let server: AppServer
const ids = { server: "", downServer: "", workflow: "", version: "" }
let clients: Record<"viewer" | "editor" | "admin", Client>

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  server = await startAppServer({
    ARMATURE_DATA_DIR: dataDir,
    ARMATURE_ALLOW_LOOPBACK: "true",
    ARMATURE_MCP_CONNECT_TIMEOUT_MS: "3000",
    ARMATURE_SHUTDOWN_GRACE_SECONDS: "1"
  })
  const owner = await server.key("owner")
  const register = (name: string, baseUrl: string) => registerServer(server.origin, owner, name, baseUrl)
  ids.server = await register("demo-shop", demo.url)
  // A server that was up when registered (its catalog is stored) and is down now.
  const doomed = await startDemoServer({ port: 0 })
  ids.downServer = await register("shop-that-went-down", doomed.url)
  await doomed.close()
  const workflow = await createOrderWorkflow(server.origin, owner, ids.server)
  ids.workflow = workflow.id
  ids.version = workflow.currentVersionId
  clients = {
    viewer: await connect(server.origin, await server.key("viewer")),
    editor: await connect(server.origin, await server.key("editor")),
    admin: await connect(server.origin, await server.key("admin"))
  }
}, 120_000)

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) await client.close()
  await server?.close()
  await demo?.close()
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

/**
 * `data` is exactly an ApiError, and the JSON-RPC message states its code, its message and
 * every field error in words. Returns `data`.
 */
const expectApiError = (error: McpError, jsonRpc: number, code: string) => {
  expect(error.code).toBe(jsonRpc)
  const data = apiError(error)
  expect(Object.keys(data).sort()).toEqual(
    data.details === undefined ? ["code", "message"] : ["code", "details", "message"]
  )
  expect(data.code).toBe(code)
  expect(typeof data.message).toBe("string")
  expect(data.message.length).toBeGreaterThan(0)
  expect(error.message).toContain(`${code}: ${data.message}`)
  if (data.details !== undefined) {
    for (const key of Object.keys(data.details)) {
      expect(["fieldErrors", "warnings", "reason", "retryAfterSeconds"]).toContain(key)
    }
    for (const fieldError of data.details.fieldErrors ?? []) {
      expect(Object.keys(fieldError).sort()).toEqual(["field", "message"])
      expect(error.message).toContain(fieldError.field)
      expect(error.message).toContain(fieldError.message)
    }
    for (const warning of data.details.warnings ?? []) expect(typeof warning).toBe("string")
  }
  return data
}

interface Case {
  readonly code: string
  readonly jsonRpc: number
  /** The failing request. */
  readonly provoke: () => Promise<unknown>
  /** `details` exactly, when it has any (field paths rooted at the argument names). */
  readonly details?: Record<string, unknown>
  /** Text the message must carry besides the code. */
  readonly says?: ReadonlyArray<string>
}

const cases = (): ReadonlyArray<Case> => [
  {
    code: "validation_failed",
    jsonRpc: -32602,
    // Schema-valid, but wrong against the base version (one criterion) and the model catalog.
    provoke: () =>
      clients.viewer.callTool({
        name: "propose_workflow_patch",
        arguments: {
          workflowId: ids.workflow,
          baseVersionId: ids.version,
          rationale: "Reword the second criterion and use another tester",
          changes: {
            criteria: [{ op: "update", position: 1, text: "The agent reported the total" }],
            testerModels: ["scripted:no-such-model"]
          }
        }
      }),
    details: {
      fieldErrors: expect.arrayContaining([
        { field: "changes.criteria[0].position", message: expect.any(String) },
        { field: "changes.testerModels[0]", message: expect.any(String) }
      ])
    }
  },
  {
    code: "forbidden_role",
    jsonRpc: -32003,
    provoke: () =>
      clients.viewer.callTool({ name: "apply_workflow_change", arguments: { proposalId: unknownId } }),
    says: ["editor", "viewer"]
  },
  {
    code: "run_not_found",
    jsonRpc: -32004,
    provoke: () => clients.viewer.callTool({ name: "diagnose_run", arguments: { runId: unknownId } }),
    says: [unknownId]
  },
  {
    code: "workflow_not_found",
    jsonRpc: -32004,
    provoke: () =>
      clients.editor.callTool({ name: "run_workflow_now", arguments: { workflowId: unknownId } }),
    says: [unknownId]
  },
  {
    code: "mcp_server_not_found",
    jsonRpc: -32004,
    provoke: () =>
      clients.admin.callTool({
        name: "sync_mcp_server_capabilities",
        arguments: { mcpServerId: unknownId }
      }),
    says: [unknownId]
  },
  {
    code: "proposal_not_found",
    jsonRpc: -32004,
    provoke: () =>
      clients.editor.callTool({ name: "apply_workflow_change", arguments: { proposalId: unknownId } }),
    says: [unknownId]
  },
  {
    code: "server_unreachable",
    jsonRpc: -32020,
    provoke: () =>
      clients.admin.callTool({
        name: "sync_mcp_server_capabilities",
        arguments: { mcpServerId: ids.downServer }
      }),
    details: { reason: "connection_refused" }
  }
]

describe("each error code of SPEC §9.2 over real HTTP", () => {
  for (const c of cases()) {
    it(`${c.code} is ${c.jsonRpc}`, async () => {
      const data = expectApiError(await failure(c.provoke()), c.jsonRpc, c.code)
      if (c.details === undefined) expect(data.details).toBeUndefined()
      else expect(data.details).toEqual(c.details)
      for (const text of c.says ?? []) expect(data.message).toContain(text)
    })
  }
})

/** A Web-standard handler served by a plain node http server, as an embedder outside Effect would. */
const serveWeb = async (handle: (request: Request) => Promise<Response>) => {
  const http: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
        headers.append(name, v)
    }
    const response = await handle(
      new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method ?? "GET",
        headers,
        ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: Buffer.concat(chunks) })
      })
    )
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(Buffer.from(await response.arrayBuffer()))
  })
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve))
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve()))
  }
}

describe("internal_error", () => {
  it("a store that fails unexpectedly is -32603 with a generic message that leaks nothing", async () => {
    const secret = "postgres://armature:hunter2@db.internal:5432/prod"
    // The run store dies (a defect, not a typed failure) with a message that must not reach clients.
    const dying = new Proxy(
      {},
      { get: () => () => Effect.die(new Error(`connection to ${secret} lost mid-query`)) }
    ) as RunStore["Type"]
    const logged: string[] = []
    const runtime = await server.run(
      Effect.runtime<McpHttp.HandlerRequirements>().pipe(
        Effect.provideService(RunStore, dying),
        Effect.provide(
          Logger.replace(
            Logger.defaultLogger,
            Logger.map(Logger.logfmtLogger, (l) => void logged.push(l))
          )
        )
      )
    )
    const web = await serveWeb(McpHttp.toWebHandler(runtime, { allowedOrigins: [] }))
    const client = await connect(web.origin, await server.key("viewer"))
    try {
      // Started one at a time: a call started early would reject with nobody awaiting it yet.
      const calls = [
        () => client.callTool({ name: "search_runs", arguments: {} }),
        () => client.callTool({ name: "inspect_run", arguments: { runId: unknownId } }),
        () => client.readResource({ uri: `armature://runs/${unknownId}/trace` })
      ]
      for (const call of calls) {
        const error = await failure(call())
        const data = expectApiError(error, -32603, "internal_error")
        expect(data).toEqual({ code: "internal_error", message: "An unexpected error occurred." })
        const wire = JSON.stringify({ message: error.message, data: error.data })
        for (const leak of ["hunter2", "db.internal", "postgres://", "mid-query", "Error:", "    at "]) {
          expect(wire).not.toContain(leak)
        }
      }
      // The operator gets the cause in the log; the client never does.
      expect(
        logged.some((l) => l.includes("MCP request failed unexpectedly") && l.includes("mid-query"))
      ).toBe(true)
      // The other stores still answer: only what needs the failed one fails.
      const tools = await client.listTools()
      expect(tools.tools.length).toBeGreaterThan(0)
    } finally {
      await client.close()
      await web.close()
    }
  })
})

describe("monitor_not_found", () => {
  it("cannot be provoked over MCP: no tool argument and no resource takes a monitor id", async () => {
    const { tools } = await clients.viewer.listTools()
    const argumentNames = tools.flatMap((t) => Object.keys(t.inputSchema.properties ?? {}))
    expect(argumentNames.filter((name) => /monitor/i.test(name))).toEqual([])
    const { resources } = await clients.viewer.listResources()
    const { resourceTemplates } = await clients.viewer.listResourceTemplates()
    const uris = [...resources.map((r) => r.uri), ...resourceTemplates.map((t) => t.uriTemplate)]
    expect(uris.filter((uri) => /monitor/i.test(uri))).toEqual([])
  })
})

describe("plan limits (manual billing): read_only_workspace and quota_exceeded", () => {
  const billingDir = mkdtempSync(join(tmpdir(), "armature-mcp-plans-"))
  let billed: AppServer
  let owner = ""
  let editor: Client
  let workflowId = ""
  let orgId = ""

  /** What the billing overview counts now (owner, REST). */
  const usage = async () => (await rest(billed.origin, owner, "GET", "/billing")).usage as { runs: number }
  const runExists = (id: string) =>
    billed.run(Effect.flatMap(RunStore, (runs) => runs.getRun(orgId, id))).then((r) => r._tag === "Some")

  beforeAll(async () => {
    billed = await startAppServer({
      ARMATURE_DATA_DIR: billingDir,
      ARMATURE_ALLOW_LOOPBACK: "true",
      ARMATURE_BILLING: "manual",
      ARMATURE_SHUTDOWN_GRACE_SECONDS: "1"
    })
    owner = await billed.key("owner")
    const mcpServerId = await registerServer(billed.origin, owner, "demo-shop", demo.url)
    workflowId = (await createOrderWorkflow(billed.origin, owner, mcpServerId)).id
    orgId = (await rest(billed.origin, owner, "GET", "/org")).organization.id
    editor = await connect(billed.origin, await billed.key("editor"))
  }, 120_000)

  afterAll(async () => {
    await editor?.close()
    await billed?.close()
    rmSync(billingDir, { recursive: true, force: true })
  }, 60_000)

  it("quota_exceeded is -32012: a free workspace at its runs per month dispatches nothing more", async () => {
    // One real run over MCP, then the rest of the month's 300 seeded through the store.
    const first = await editor.callTool({
      name: "run_workflow_now",
      arguments: { workflowId, idempotencyKey: "first", wait: true }
    })
    const runId = (first.structuredContent as { runId: string }).runId
    const run = await billed.run(Effect.flatMap(RunStore, (runs) => runs.getRun(orgId, runId)))
    if (run._tag === "None") throw new Error("the dispatched run is not stored")
    const free = Plans.plans.free.maxRunsPerMonth
    await billed.run(
      Effect.flatMap(RunStore, (runs) =>
        Effect.forEach(
          Array.from({ length: free - 1 }, (_, i) => i),
          (i) => runs.insertRun({ ...run.value, id: randomUUID(), idempotencyKey: `seeded-${i}` }),
          { discard: true }
        )
      )
    )
    expect((await usage()).runs).toBe(free)

    const error = await failure(
      editor.callTool({ name: "run_workflow_now", arguments: { workflowId, idempotencyKey: "one-too-many" } })
    )
    const data = expectApiError(error, -32012, "quota_exceeded")
    expect(data.details).toEqual({
      fieldErrors: [{ field: "maxRunsPerMonth", message: data.message }]
    })
    expect(data.message).toContain(`Free plan allows ${free} runs this month`)
    // Nothing was written: the run this dispatch would have made does not exist, the count is the same.
    expect(await runExists(RunIds.runId({ workflowId, idempotencyKey: "one-too-many" }))).toBe(false)
    expect((await usage()).runs).toBe(free)
  })

  it("read_only_workspace is -32012: a lapsed subscription refuses writing tools, reading tools still work", async () => {
    const workspace = await billed.run(
      Plans.setPlan(orgId, { plan: "team", status: "past_due", currentPeriodEnd: "2020-01-01" })
    )
    expect(workspace.readOnly).toBe(true)
    const before = (await usage()).runs

    const dispatch = await failure(
      editor.callTool({ name: "run_workflow_now", arguments: { workflowId, idempotencyKey: "read-only" } })
    )
    const data = expectApiError(dispatch, -32012, "read_only_workspace")
    expect(data.details).toBeUndefined()
    // Refused before anything else is looked at: even an unknown proposal is not looked up.
    const apply = await failure(
      editor.callTool({ name: "apply_workflow_change", arguments: { proposalId: unknownId } })
    )
    expect(expectApiError(apply, -32012, "read_only_workspace")).toEqual(data)

    expect(await runExists(RunIds.runId({ workflowId, idempotencyKey: "read-only" }))).toBe(false)
    expect((await usage()).runs).toBe(before)
    const found = await editor.callTool({ name: "search_runs", arguments: { workflowId } })
    expect(found.isError).toBeFalsy()
    expect((found.structuredContent as { runs: unknown[] }).runs.length).toBeGreaterThan(0)
  })
})
