/**
 * What the MCP API leaves behind and how much it takes, over real HTTP against the whole server:
 * every tool call in the audit log (`GET /audit`, admin+) with its intent, redacted arguments,
 * result code and duration; and the per-key request budget that REST and MCP share (-32029 /
 * 429 `rate_limited` with the seconds to wait). PGlite in fresh data dirs.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { rest } from "../support/serverProcess.js"
import { apiError, connect, failure } from "./support/mcpClient.js"

const unknownId = "00000000-0000-4000-8000-000000000000"
const credential = "amt_abcd1234_ZXhhbXBsZXNlY3JldHZhbHVl"

const dataDirs: string[] = []
const start = (env: Record<string, string> = {}) => {
  const dataDir = mkdtempSync(join(tmpdir(), "armature-mcp-audit-"))
  dataDirs.push(dataDir)
  return startAppServer({ ARMATURE_DATA_DIR: dataDir, ARMATURE_SHUTDOWN_GRACE_SECONDS: "1", ...env })
}

/** A REST request that may fail: the status and the parsed body. */
const request = async (server: AppServer, key: string, path: string) => {
  const res = await fetch(`${server.origin}/api/armature/v1${path}`, {
    headers: { authorization: `Bearer ${key}` }
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as any }
}

afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
})

describe("the audit log of tool calls", () => {
  let server: AppServer
  const keys: Record<string, string> = {}
  let viewer: Client
  let editor: Client

  beforeAll(async () => {
    server = await start()
    for (const role of ["viewer", "editor", "admin"] as const) keys[role] = await server.key(role)
    viewer = await connect(server.origin, keys.viewer!)
    editor = await connect(server.origin, keys.editor!)
  }, 60_000)

  afterAll(async () => {
    await viewer?.close()
    await editor?.close()
    await server?.close()
  }, 30_000)

  it("records who called which tool, why, with what, how it ended and how long it took", async () => {
    await viewer.callTool({
      name: "search_runs",
      arguments: { limit: 5, telemetry: { intent: "find last night's failures" } }
    })
    await failure(viewer.callTool({ name: "inspect_run", arguments: { runId: unknownId } }))
    await failure(viewer.callTool({ name: "run_workflow_now", arguments: { workflowId: unknownId } }))
    const secretRefused = await failure(
      editor.callTool({
        name: "run_workflow_now",
        arguments: { workflowId: unknownId, reason: `deploy with ${credential}` }
      })
    )
    expect(apiError(secretRefused).code).toBe("secret_in_arguments")

    const { status, body } = await request(server, keys.admin!, "/audit?limit=10")
    expect(status).toBe(200)
    // Tool calls only: REST operations, if audited, are named with a dot.
    const calls = (body.items as any[]).filter((e) => !e.action.includes("."))
    expect(calls.map((e) => [e.action, e.outcome])).toEqual([
      ["run_workflow_now", "secret_in_arguments"],
      ["run_workflow_now", "forbidden_role"],
      ["inspect_run", "run_not_found"],
      ["search_runs", "ok"]
    ])
    const [secret, forbidden, notFound, search] = calls
    expect(search.intent).toBe("find last night's failures")
    expect(search.arguments).toEqual({ limit: 5 })
    expect(search.actor.role).toBe("viewer")
    expect(search.actor.keyId).toBe(keys.viewer!.split("_")[1])
    expect(typeof search.durationMs).toBe("number")
    expect(search.durationMs).toBeGreaterThanOrEqual(0)
    expect(notFound.targetId).toBe(unknownId)
    expect(forbidden.actor.role).toBe("viewer")
    expect(secret.actor.role).toBe("editor")
    expect(secret.arguments.reason).toContain("[REDACTED]")
    expect(JSON.stringify(body)).not.toContain(credential)
  })

  it("pages newest first and filters by action and key", async () => {
    for (let i = 0; i < 3; i++) await viewer.callTool({ name: "get_organization_health", arguments: {} })
    const first = await request(server, keys.admin!, "/audit?action=get_organization_health&limit=2")
    expect(first.body.items.map((e: any) => e.action)).toEqual([
      "get_organization_health",
      "get_organization_health"
    ])
    expect(first.body.nextCursor).toEqual(expect.any(String))
    const rest = await request(
      server,
      keys.admin!,
      `/audit?action=get_organization_health&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`
    )
    expect(rest.body.items).toHaveLength(1)
    expect(rest.body.nextCursor).toBeNull()
    const ids = [...first.body.items, ...rest.body.items].map((e: any) => e.id)
    expect(new Set(ids).size).toBe(3)
    const editorKeyId = keys.editor!.split("_")[1]
    const byKey = await request(server, keys.admin!, `/audit?keyId=${editorKeyId}`)
    expect(byKey.body.items.length).toBeGreaterThan(0)
    expect(byKey.body.items.every((e: any) => e.actor.keyId === editorKeyId)).toBe(true)
  })

  it("is for admins and owners: an editor gets 403 forbidden_role", async () => {
    const { status, body } = await request(server, keys.editor!, "/audit")
    expect(status).toBe(403)
    expect(body.error.code).toBe("forbidden_role")
  })

  it("a bad limit or cursor is 400 naming the parameter", async () => {
    const limit = await request(server, keys.admin!, "/audit?limit=0")
    expect(limit.status).toBe(400)
    expect(limit.body.error.details.fieldErrors[0].field).toBe("limit")
    const cursor = await request(server, keys.admin!, "/audit?cursor=not-a-cursor")
    expect(cursor.status).toBe(400)
    expect(cursor.body.error.details.fieldErrors[0].field).toBe("cursor")
  })
})

describe("the per-key request budget, shared by REST and MCP", () => {
  let server: AppServer
  let limited: string
  let other: string

  beforeAll(async () => {
    server = await start({ ARMATURE_RATE_LIMIT_PER_MINUTE: "4" })
    limited = await server.key("viewer")
    other = await server.key("viewer")
  }, 60_000)

  afterAll(async () => {
    await server?.close()
  }, 30_000)

  it("past the budget, a tool call is -32029 rate_limited with retryAfterSeconds, REST is 429, other keys go on", async () => {
    const client = await connect(server.origin, limited)
    try {
      // Two REST reads and two tool calls spend the budget of 4, wherever they came from.
      for (let i = 0; i < 2; i++) expect((await request(server, limited, "/org")).status).toBe(200)
      for (let i = 0; i < 2; i++) await client.callTool({ name: "search_runs", arguments: {} })

      const error = await failure(client.callTool({ name: "search_runs", arguments: {} }))
      expect(error.code).toBe(-32029)
      const data = apiError(error) as ReturnType<typeof apiError> & {
        details: { retryAfterSeconds: number }
      }
      expect(data.code).toBe("rate_limited")
      expect(data.details.retryAfterSeconds).toBeGreaterThanOrEqual(1)
      expect(data.details.retryAfterSeconds).toBeLessThanOrEqual(15)

      const refused = await request(server, limited, "/org")
      expect(refused.status).toBe(429)
      expect(refused.body.error.code).toBe("rate_limited")
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)

      expect((await request(server, other, "/org")).status).toBe(200)
      expect(await rest(server.origin, other, "GET", "/runs")).toHaveProperty("items")
    } finally {
      await client.close()
    }
  })
})
