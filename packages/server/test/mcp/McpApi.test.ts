/**
 * The agent-facing MCP API (SPEC §9) at `/api/mcp` of the whole server, through the MCP SDK's
 * own client over real HTTP: the tool listing, the role matrix of every tool, errors as JSON-RPC
 * errors with the ApiError in `data`, idempotent dispatch, waiting, and the HTTP refusals that
 * come before any MCP processing. PGlite in a fresh data dir, the demo MCP server as the target
 * (behind a proxy that can stall it), scripted tester and judge models.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Role, Roles } from "@armature/core"
import { type Tool, ToolTable } from "@armature/mcp-api"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { rest } from "../support/serverProcess.js"
import { createOrderWorkflow, registerServer } from "./support/demoShop.js"
import { apiError, connect, failure } from "./support/mcpClient.js"
import { type StallingProxy, startStallingProxy } from "./support/stallingProxy.js"

const dataDir = mkdtempSync(join(tmpdir(), "armature-mcp-"))
const allowedOrigin = "https://armature.example.com"
const unknownId = "00000000-0000-4000-8000-000000000000"
type ToolName = Tool.ToolName

let demo: Awaited<ReturnType<typeof startDemoServer>>
let proxy: StallingProxy
let server: AppServer
const keys = {} as Record<Role, string>
const clients = {} as Record<Role, Client>
let serverId = ""
let workflow: { id: string; currentVersionId: string }
let runId = ""

const waitForRun = async (id: string) => {
  for (let i = 0; i < 150; i++) {
    const run = await rest(server.origin, keys.owner, "GET", `/runs/${id}`)
    if (!["pending", "running"].includes(run.status)) return run
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`run ${id} did not finish`)
}

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  proxy = await startStallingProxy({ host: "127.0.0.1", port: Number(new URL(demo.url).port) })
  server = await startAppServer({
    ARMATURE_DATA_DIR: dataDir,
    ARMATURE_ALLOW_LOOPBACK: "true",
    ARMATURE_MCP_ALLOWED_ORIGINS: allowedOrigin,
    ARMATURE_MCP_CONNECT_TIMEOUT_MS: "3000",
    ARMATURE_SHUTDOWN_GRACE_SECONDS: "1",
    ARMATURE_MAX_BODY_BYTES: "65536",
    ARMATURE_AUTH_FAILURE_LIMIT: "8"
  })
  for (const role of Roles.roles) keys[role] = await server.key(role)
  serverId = await registerServer(
    server.origin,
    keys.owner,
    "demo-shop",
    `http://127.0.0.1:${proxy.port}/mcp`
  )
  workflow = await createOrderWorkflow(server.origin, keys.owner, serverId)
  const dispatched = await rest(server.origin, keys.owner, "POST", `/workflows/${workflow.id}/runs`, {})
  runId = dispatched.run.runId
  expect((await waitForRun(runId)).status).toBe("pass")
  for (const role of Roles.roles) clients[role] = await connect(server.origin, keys[role])
}, 120_000)

afterAll(async () => {
  for (const client of Object.values(clients)) await client.close()
  proxy?.resume()
  await server?.close()
  await proxy?.close()
  await demo?.close()
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

/** A JSON-RPC request to `/api/mcp` without the SDK, to see the HTTP answer itself. */
const post = (
  headers: Record<string, string>,
  body: unknown = { jsonrpc: "2.0", id: 1, method: "tools/list" }
) =>
  fetch(`${server.origin}/api/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers
    },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })

describe("tools/list", () => {
  it("lists the 10 tools of the table to every role, with output schemas, annotations and the minimum role", async () => {
    for (const role of Roles.roles) {
      const { tools } = await clients[role].listTools()
      expect(tools.map((t) => t.name)).toEqual(ToolTable.tools.map((t) => t.name))
      for (const tool of tools) {
        const entry = ToolTable.find(tool.name)!
        expect(tool.outputSchema?.type).toBe("object")
        expect(tool.inputSchema.type).toBe("object")
        expect(tool.inputSchema.properties).toHaveProperty("telemetry")
        expect(tool.annotations).toMatchObject(entry.annotations)
        expect(tool.description).toContain(`Minimum role: ${Roles.minimumRole(entry.name)}.`)
      }
    }
    expect(ToolTable.tools).toHaveLength(10)
  })
})

describe("the read tools", () => {
  it("search_runs finds the run, inspect_run returns it whole, as JSON text and structuredContent", async () => {
    const found = await clients.viewer.callTool({
      name: "search_runs",
      arguments: { workflowId: workflow.id }
    })
    const page = found.structuredContent as { runs: Array<{ runId: string }>; nextCursor: string | null }
    expect(page.runs.map((r) => r.runId)).toContain(runId)
    expect(JSON.parse((found.content as Array<{ text: string }>)[0]!.text)).toEqual(page)

    const inspected = await clients.viewer.callTool({
      name: "inspect_run",
      arguments: { runId, telemetry: { intent: "read the run that passed" } }
    })
    const run = inspected.structuredContent as {
      id: string
      status: string
      toolCalls: Array<{ name: string }>
    }
    expect(run.id).toBe(runId)
    expect(run.status).toBe("pass")
    expect(run.toolCalls.map((c) => c.name)).toContain("get_order")
  })

  it("get_organization_health reports the workflow's pass rate and the server's coverage", async () => {
    const health = (await clients.viewer.callTool({ name: "get_organization_health", arguments: {} }))
      .structuredContent as {
      workflows: Array<{ workflowId: string; passRate: number | null }>
      coverage: Array<{ mcpServerId: string }>
    }
    expect(health.workflows.find((w) => w.workflowId === workflow.id)?.passRate).toBe(1)
    expect(health.coverage.map((c) => c.mcpServerId)).toContain(serverId)
  })
})

describe("errors are JSON-RPC errors with the ApiError in data", () => {
  it("an unknown run id is -32004 run_not_found", async () => {
    const error = await failure(
      clients.viewer.callTool({ name: "inspect_run", arguments: { runId: unknownId } })
    )
    expect(error.code).toBe(-32004)
    expect(apiError(error).code).toBe("run_not_found")
    expect(error.message).toContain("run_not_found")
  })

  it("an unknown tool is -32602", async () => {
    const error = await failure(clients.viewer.callTool({ name: "no_such_tool", arguments: {} }))
    expect(error.code).toBe(-32602)
  })

  it("credential-looking arguments are -32602 secret_in_arguments, naming the field but not the value", async () => {
    const token = "amt_abcd1234_ZXhhbXBsZXNlY3JldHZhbHVl"
    const error = await failure(
      clients.editor.callTool({
        name: "run_workflow_now",
        arguments: { workflowId: workflow.id, reason: `deploy with ${token}`, telemetry: { intent: "x" } }
      })
    )
    expect(error.code).toBe(-32602)
    expect(apiError(error).code).toBe("secret_in_arguments")
    expect(apiError(error).details?.fieldErrors?.map((f) => f.field)).toEqual(["reason"])
    expect(JSON.stringify(error)).not.toContain(token)
  })
})

/** Arguments each tool succeeds with (or fails past the role check, as noted), for every role. */
const validArguments = (role: Role): Record<ToolName, Record<string, unknown>> => ({
  search_runs: { limit: 5 },
  inspect_run: { runId },
  diagnose_run: { runId },
  get_organization_health: {},
  propose_workflow_patch: {
    workflowId: workflow.id,
    baseVersionId: workflow.currentVersionId,
    rationale: `Say what the agent should report (${role})`,
    changes: { description: `Checked by the ${role} key` }
  },
  draft_regression_workflow_from_run: { runId, name: `Regression of the order lookup (${role})` },
  apply_workflow_change: { proposalId: unknownId },
  run_workflow_now: { workflowId: workflow.id, idempotencyKey: `matrix-${role}` },
  compare_runs: { baseRunId: runId, candidateRunId: runId },
  sync_mcp_server_capabilities: { mcpServerId: serverId }
})

/** What an allowed role gets: success, or the error these arguments are meant to provoke. */
const allowedOutcome: Partial<Record<ToolName, string>> = { apply_workflow_change: "proposal_not_found" }

describe("every tool × every role, from the tool table and core's permission table", () => {
  for (const tool of ToolTable.tools) {
    const minimum = Roles.minimumRole(tool.name)
    for (const role of Roles.roles) {
      const allowed = Roles.atLeast(role, minimum)
      it(`${tool.name} as ${role}: ${allowed ? "allowed" : `forbidden_role (-32003), needs ${minimum}`}`, async () => {
        const call = clients[role].callTool({ name: tool.name, arguments: validArguments(role)[tool.name] })
        if (!allowed) {
          const error = await failure(call)
          expect(error.code).toBe(-32003)
          expect(apiError(error)).toMatchObject({ code: "forbidden_role" })
          expect(error.message).toContain("forbidden_role")
          return
        }
        const expected = allowedOutcome[tool.name]
        if (expected === undefined) {
          const result = await call
          expect(result.isError).toBeFalsy()
          expect(result.structuredContent).toBeTypeOf("object")
        } else {
          expect(apiError(await failure(call)).code).toBe(expected)
        }
      })
    }
  }
})

/** Per tool, arguments that fail validation and the field the error must name. */
const invalid = (): Record<ToolName, { arguments: Record<string, unknown>; field: string }> => ({
  search_runs: { arguments: { limit: 0 }, field: "limit" },
  inspect_run: { arguments: {}, field: "runId" },
  diagnose_run: { arguments: { runId: 5 }, field: "runId" },
  get_organization_health: { arguments: { verbose: true }, field: "verbose" },
  propose_workflow_patch: {
    arguments: {
      workflowId: workflow.id,
      baseVersionId: workflow.currentVersionId,
      rationale: "Tighten the criteria",
      changes: { criteria: [{ op: "update", position: -1 }] }
    },
    field: "changes.criteria[0]"
  },
  draft_regression_workflow_from_run: { arguments: { runId, name: "" }, field: "name" },
  apply_workflow_change: { arguments: { proposalId: 42 }, field: "proposalId" },
  run_workflow_now: { arguments: { workflowId: workflow.id, waitSeconds: 601 }, field: "waitSeconds" },
  compare_runs: { arguments: { baseRunId: runId }, field: "candidateRunId" },
  sync_mcp_server_capabilities: { arguments: { mcpServerId: "" }, field: "mcpServerId" }
})

describe("bad arguments are -32602 validation_failed, with field paths rooted at the argument names", () => {
  for (const tool of ToolTable.tools) {
    it(tool.name, async () => {
      const { arguments: args, field } = invalid()[tool.name]
      const error = await failure(clients.owner.callTool({ name: tool.name, arguments: args }))
      expect(error.code).toBe(-32602)
      const body = apiError(error)
      expect(body.code).toBe("validation_failed")
      const fields = body.details?.fieldErrors?.map((f) => f.field) ?? []
      expect(fields.some((f) => f.startsWith(field))).toBe(true)
      // The message states the code and the fields in words, for clients that show only it.
      expect(error.message).toContain("validation_failed")
      expect(error.message).toContain(field)
    })
  }

  it("telemetry is checked like any argument", async () => {
    const error = await failure(
      clients.viewer.callTool({ name: "search_runs", arguments: { telemetry: { intent: 5 } } })
    )
    expect(apiError(error).details?.fieldErrors?.map((f) => f.field)).toEqual(["telemetry.intent"])
  })
})

describe("run_workflow_now", () => {
  it("the same arguments twice name one run", async () => {
    const args = { workflowId: workflow.id, reason: "  Verify   the FIX ", idempotencyKey: "deploy-7" }
    const first = (await clients.editor.callTool({ name: "run_workflow_now", arguments: args }))
      .structuredContent as { runId: string; created: boolean }
    const second = (
      await clients.editor.callTool({
        name: "run_workflow_now",
        arguments: { ...args, reason: "verify the fix" }
      })
    ).structuredContent as { runId: string; created: boolean }
    expect(first.created).toBe(true)
    expect(second).toMatchObject({ runId: first.runId, created: false })
    const runs = (
      await clients.viewer.callTool({
        name: "search_runs",
        arguments: { workflowId: workflow.id, limit: 100 }
      })
    ).structuredContent as { runs: Array<{ runId: string }> }
    expect(runs.runs.filter((r) => r.runId === first.runId)).toHaveLength(1)
    await waitForRun(first.runId)
  })

  it("with wait, returns the finished run", async () => {
    const result = (
      await clients.editor.callTool({
        name: "run_workflow_now",
        arguments: { workflowId: workflow.id, idempotencyKey: "waited", wait: true, waitSeconds: 60 }
      })
    ).structuredContent as { status: string; run?: { id: string; status: string } }
    expect(result.status).toBe("pass")
    expect(result.run?.status).toBe("pass")
  })

  it("a wait past waitSeconds on a run that cannot finish is -32008 run_wait_timeout, and the run goes on", async () => {
    proxy.stall()
    try {
      const error = await failure(
        clients.editor.callTool({
          name: "run_workflow_now",
          arguments: { workflowId: workflow.id, idempotencyKey: "stalled", wait: true, waitSeconds: 1 }
        })
      )
      expect(error.code).toBe(-32008)
      expect(apiError(error).code).toBe("run_wait_timeout")
      const found = (
        await clients.viewer.callTool({
          name: "search_runs",
          arguments: { workflowId: workflow.id, limit: 100 }
        })
      ).structuredContent as { runs: Array<{ status: string }> }
      expect(found.runs.some((r) => r.status === "pending" || r.status === "running")).toBe(true)
    } finally {
      proxy.resume()
    }
  })
})

describe("HTTP, before any MCP processing", () => {
  it("no key, or a bad one, is 401 unauthenticated with WWW-Authenticate: Bearer", async () => {
    const attempts: ReadonlyArray<Record<string, string>> = [
      {},
      { authorization: "Bearer amt_nosuchkey_0123456789abcdef" },
      { authorization: "Basic abc" }
    ]
    for (const headers of attempts) {
      const response = await post(headers)
      expect(response.status).toBe(401)
      expect(response.headers.get("www-authenticate")).toBe("Bearer")
      expect(((await response.json()) as any).error.code).toBe("unauthenticated")
    }
  })

  it("GET (a standalone SSE stream) is 405: the endpoint is stateless", async () => {
    const response = await fetch(`${server.origin}/api/mcp`, {
      headers: { authorization: `Bearer ${keys.viewer}`, accept: "text/event-stream" }
    })
    expect(response.status).toBe(405)
    expect(response.headers.get("allow")).toBe("POST")
  })

  it("a browser Origin outside the allowed list is 403 origin_not_allowed; an allowed one passes", async () => {
    const refused = await post({ authorization: `Bearer ${keys.viewer}`, origin: "http://evil.example" })
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as any).error.code).toBe("origin_not_allowed")
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "browser", version: "1" }
      }
    }
    const allowed = await post({ authorization: `Bearer ${keys.viewer}`, origin: allowedOrigin }, initialize)
    expect(allowed.status).toBe(200)
    expect(((await allowed.json()) as any).result.serverInfo.name).toBe("armature")
  })

  it("the body limit and the JSON depth limit of REST apply", async () => {
    const big = await post({ authorization: `Bearer ${keys.viewer}` }, { pad: "x".repeat(70_000) })
    expect(big.status).toBe(413)
    const deep = await post(
      { authorization: `Bearer ${keys.viewer}` },
      `${"[".repeat(100)}${"]".repeat(100)}`
    )
    expect(deep.status).toBe(400)
    expect(((await deep.json()) as any).error.code).toBe("validation_failed")
  })

  it("failed key checks count with REST's in one limiter per address: past the limit, 429 rate_limited", async () => {
    let last: Response | undefined
    for (let i = 0; i < 10; i++) {
      last =
        i % 2 === 0
          ? await fetch(`${server.origin}/api/armature/v1/org`, {
              headers: { authorization: "Bearer amt_bad_key" }
            })
          : await post({ authorization: "Bearer amt_bad_key" })
      if (last.status === 429) break
    }
    const response = await post({ authorization: "Bearer amt_bad_key" })
    expect(response.status).toBe(429)
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/)
    expect(((await response.json()) as any).error.code).toBe("rate_limited")
    // A valid key is never limited.
    expect((await post({ authorization: `Bearer ${keys.viewer}` })).status).not.toBe(429)
  })
})
