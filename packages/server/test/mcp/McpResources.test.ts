/**
 * The MCP API's resources and prompts (SPEC §9.4, §9.5) at `/api/mcp` of the whole server,
 * through the MCP SDK's client over real HTTP: the listings, every resource read after creating
 * what it shows (a server, a workflow, a run, a proposal), the URI and id errors, and the two
 * prompts filled in. Another organization's ids are covered by the library's own test
 * (packages/mcp-api/test/Resources.test.ts), which can seed two organizations.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Role, Roles } from "@armature/core"
import { ResourceTable } from "@armature/mcp-api"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { rest } from "../support/serverProcess.js"
import { createOrderWorkflow, registerServer } from "./support/demoShop.js"
import { apiError, connect, failure } from "./support/mcpClient.js"

const dataDir = mkdtempSync(join(tmpdir(), "armature-mcp-resources-"))
const unknownId = "00000000-0000-4000-8000-000000000000"

let demo: Awaited<ReturnType<typeof startDemoServer>>
let server: AppServer
const clients = {} as Record<Role, Client>
let ownerKey = ""
const ids = { server: "", workflow: "", version: "", run: "", proposal: "" }

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  server = await startAppServer({
    ARMATURE_DATA_DIR: dataDir,
    ARMATURE_ALLOW_LOOPBACK: "true",
    ARMATURE_MCP_CONNECT_TIMEOUT_MS: "3000",
    ARMATURE_SHUTDOWN_GRACE_SECONDS: "1"
  })
  ownerKey = await server.key("owner")
  ids.server = await registerServer(server.origin, ownerKey, "demo-shop", demo.url)
  const workflow = await createOrderWorkflow(server.origin, ownerKey, ids.server)
  ids.workflow = workflow.id
  ids.version = workflow.currentVersionId
  ids.run = (await rest(server.origin, ownerKey, "POST", `/workflows/${ids.workflow}/runs`, {})).run.runId
  for (let i = 0; i < 150; i++) {
    const run = await rest(server.origin, ownerKey, "GET", `/runs/${ids.run}`)
    if (!["pending", "running"].includes(run.status)) break
    await new Promise((r) => setTimeout(r, 200))
  }
  for (const role of Roles.roles) clients[role] = await connect(server.origin, await server.key(role))
  const staged = await clients.viewer.callTool({
    name: "propose_workflow_patch",
    arguments: {
      workflowId: ids.workflow,
      baseVersionId: ids.version,
      rationale: "Say what the agent should report",
      evidence: [ids.run],
      changes: { description: "Checks the order lookup" }
    }
  })
  ids.proposal = (staged.structuredContent as { proposalId: string }).proposalId
}, 120_000)

afterAll(async () => {
  for (const client of Object.values(clients)) await client.close()
  await server?.close()
  await demo?.close()
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

/** The JSON document at `uri`, read by `role`. */
const read = async (uri: string, role: Role = "viewer") => {
  const { contents } = await clients[role].readResource({ uri })
  expect(contents).toHaveLength(1)
  expect(contents[0]).toMatchObject({ uri, mimeType: "application/json" })
  return JSON.parse((contents[0] as { text: string }).text)
}

describe("resources/list and resources/templates/list", () => {
  it("list the two fixed resources and the six templates, all JSON", async () => {
    const { resources } = await clients.viewer.listResources()
    expect(resources.map((r) => r.uri)).toEqual(["armature://catalog/models", "armature://schemas/workflow"])
    const { resourceTemplates } = await clients.viewer.listResourceTemplates()
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      "armature://runs/{id}/trace",
      "armature://runs/{id}/artifacts",
      "armature://workflow-change-proposals/{id}",
      "armature://mcp-servers/{id}/coverage",
      "armature://mcp-servers/{id}/catalog",
      "armature://workflows/{id}"
    ])
    for (const entry of [...resources, ...resourceTemplates]) {
      expect(entry.mimeType).toBe("application/json")
      expect(entry.description).toBeTruthy()
    }
    expect(ResourceTable.resources).toHaveLength(8)
  })
})

describe("resources/read", () => {
  it("a viewer reads every resource, each showing the data created for it", async () => {
    const models = await read("armature://catalog/models")
    expect(models.models.map((m: { id: string }) => m.id)).toContain("scripted:tester")

    const schema = await read("armature://schemas/workflow")
    expect(schema.required).toEqual(expect.arrayContaining(["name", "prompt", "criteria", "testerModels"]))

    const trace = await read(`armature://runs/${ids.run}/trace`)
    expect(trace).toMatchObject({ runId: ids.run, status: "pass" })
    expect(trace.toolCalls.map((c: { name: string }) => c.name)).toContain("get_order")
    expect(trace.trace.length).toBeGreaterThan(0)

    const artifacts = await read(`armature://runs/${ids.run}/artifacts`)
    expect(artifacts).toMatchObject({ runId: ids.run, status: "pass", judge: { model: "scripted:judge" } })
    expect(artifacts.finalAnswer).toBeTypeOf("string")
    expect(artifacts.judge.criteria[0].verdict).toBe("pass")
    expect(artifacts.assertions).toEqual([])

    const proposal = await read(`armature://workflow-change-proposals/${ids.proposal}`)
    expect(proposal).toMatchObject({ id: ids.proposal, workflowId: ids.workflow, evidence: [ids.run] })
    expect(proposal.diff.map((d: { field: string }) => d.field)).toContain("description")

    const coverage = await read(`armature://mcp-servers/${ids.server}/coverage`)
    expect(coverage.covered.map((c: { tool: string }) => c.tool)).toContain("get_order")
    expect(coverage.uncovered).toContain("cancel_order")

    const catalog = await read(`armature://mcp-servers/${ids.server}/catalog`)
    expect(catalog.latest.tools.map((t: { name: string }) => t.name)).toContain("get_order")
    expect(catalog.history[0]).toMatchObject({ version: catalog.latest.version, diff: null })

    const workflow = await read(`armature://workflows/${ids.workflow}`)
    expect(workflow.workflow).toMatchObject({ id: ids.workflow, currentVersionId: ids.version })
    expect(workflow.versions).toEqual([expect.objectContaining({ id: ids.version, version: 1 })])
  })

  it("every role reads the same documents", async () => {
    const uri = `armature://workflows/${ids.workflow}`
    const expected = await read(uri)
    for (const role of Roles.roles) expect(await read(uri, role)).toEqual(expected)
  })

  it("an unknown URI, or one with a query string, is -32602 validation_failed naming uri", async () => {
    for (const uri of ["armature://runs", "armature://catalog/models?limit=1", "https://example.com/x"]) {
      const error = await failure(clients.viewer.readResource({ uri }))
      expect(error.code).toBe(-32602)
      expect(apiError(error)).toMatchObject({ code: "validation_failed" })
      expect(apiError(error).details?.fieldErrors?.map((f) => f.field)).toEqual(["uri"])
      expect(error.message).toContain("uri")
    }
  })

  it("an unknown id is -32004 with the entity's not-found code", async () => {
    const cases = [
      [`armature://runs/${unknownId}/artifacts`, "run_not_found"],
      [`armature://workflow-change-proposals/${unknownId}`, "proposal_not_found"],
      [`armature://mcp-servers/${unknownId}/catalog`, "mcp_server_not_found"],
      [`armature://workflows/${unknownId}`, "workflow_not_found"]
    ] as const
    for (const [uri, code] of cases) {
      const error = await failure(clients.viewer.readResource({ uri }))
      expect(error.code).toBe(-32004)
      expect(apiError(error).code).toBe(code)
    }
  })
})

describe("prompts", () => {
  it("prompts/list names both prompts with their required argument", async () => {
    const { prompts } = await clients.viewer.listPrompts()
    expect(prompts.map((p) => [p.name, p.arguments?.map((a) => [a.name, a.required])])).toEqual([
      ["repair_failing_workflow", [["runId", true]]],
      ["design_workflow_suite", [["mcpServerId", true]]]
    ])
  })

  it("repair_failing_workflow: the seven steps in order, the run id filled in, a stop before apply", async () => {
    const { messages } = await clients.viewer.getPrompt({
      name: "repair_failing_workflow",
      arguments: { runId: ids.run }
    })
    const text = (messages[0]!.content as { text: string }).text
    const order = [
      "1. Diagnose",
      `"runId": "${ids.run}"`,
      `armature://runs/${ids.run}/trace`,
      "propose_workflow_patch",
      "armature://workflow-change-proposals/",
      "STOP",
      "5. Apply",
      "call `apply_workflow_change` with",
      "run_workflow_now",
      '"wait": true',
      "compare_runs"
    ]
    const positions = order.map((s) => text.indexOf(s))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(text).toMatch(/^7\. Compare/m)
    expect(text).toContain("Do not call `apply_workflow_change` until a human has approved")
  })

  it("design_workflow_suite: reads, drafts, stages, and ends with a stop for human review", async () => {
    const { messages } = await clients.editor.getPrompt({
      name: "design_workflow_suite",
      arguments: { mcpServerId: ids.server }
    })
    const text = (messages[0]!.content as { text: string }).text
    const order = [
      "armature://catalog/models",
      "armature://schemas/workflow",
      `armature://mcp-servers/${ids.server}/catalog`,
      `armature://mcp-servers/${ids.server}/coverage`,
      "Draft workflows for the uncovered tools",
      "propose_workflow_patch",
      "Stop for human review"
    ]
    const positions = order.map((s) => text.indexOf(s))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
  })

  it("a missing argument is -32602 validation_failed naming it", async () => {
    const error = await failure(clients.viewer.getPrompt({ name: "repair_failing_workflow", arguments: {} }))
    expect(error.code).toBe(-32602)
    expect(apiError(error).code).toBe("validation_failed")
    expect(apiError(error).details?.fieldErrors?.map((f) => f.field)).toEqual(["runId"])
    expect(error.message).toContain("runId")
  })
})
