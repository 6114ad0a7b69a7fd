/**
 * The repair loop of the MCP API (SPEC §9.1, §9.3, §9.5 `repair_failing_workflow`), end to end
 * through the MCP SDK's client over real HTTP against the whole server (PGlite, the demo MCP
 * server): a workflow fails, `diagnose_run` names the cause, `propose_workflow_patch` stages the
 * fix, the proposal resource shows it, `apply_workflow_change` applies it, `run_workflow_now`
 * with `wait` verifies it and `compare_runs` shows the criterion fixed; then the three ways an
 * apply is refused: a second apply, an expired proposal, a workflow that changed since staging.
 *
 * The failure is a realistic one: the workflow's prompt never says which tool to use, so the
 * literal tester browses `list_products` instead of looking the order up, and the judge fails
 * the criterion that asks for `get_order`. Both scripted models decide from what they are shown
 * (the task, the transcript), so the patched prompt alone is what makes the verification pass.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import type { McpError } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { rest } from "../support/serverProcess.js"
import { apiError, connect, failure } from "./support/mcpClient.js"
import { repairModels } from "./support/repairModels.js"

const dataDir = mkdtempSync(join(tmpdir(), "armature-repair-"))
// Names no tool: the literal tester browses the catalog instead of looking the order up.
const brokenPrompt = "A customer asks what they paid for order A-1001. Find out and tell them the total."
const criterionText = "The agent looked the order up with get_order"
const fixedPrompt = "Look order A-1001 up with get_order and tell the customer its status and total."

let demo: Awaited<ReturnType<typeof startDemoServer>>
let server: AppServer
let ownerKey = ""
let viewer: Client
let editor: Client
let workflowId = ""
let firstVersionId = ""

beforeAll(async () => {
  demo = await startDemoServer({ port: 0 })
  server = await startAppServer(
    {
      ARMATURE_DATA_DIR: dataDir,
      ARMATURE_ALLOW_LOOPBACK: "true",
      ARMATURE_MCP_CONNECT_TIMEOUT_MS: "3000",
      ARMATURE_SHUTDOWN_GRACE_SECONDS: "1"
    },
    { models: repairModels }
  )
  ownerKey = await server.key("owner")
  const registered = await rest(server.origin, ownerKey, "POST", "/mcp-servers", {
    name: "demo-shop",
    baseUrl: demo.url,
    authProfiles: [{ name: "none", kind: "none" }]
  })
  const created = await rest(server.origin, ownerKey, "POST", "/workflows", {
    name: "Customer learns what an order cost",
    mcpServerId: registered.server.id,
    prompt: brokenPrompt,
    criteria: [{ text: criterionText }],
    testerModels: ["scripted:literal-tester"],
    judgeModel: "scripted:transcript-judge"
  })
  const workflow = created.workflow ?? created
  workflowId = workflow.id
  firstVersionId = workflow.currentVersionId
  viewer = await connect(server.origin, await server.key("viewer"))
  editor = await connect(server.origin, await server.key("editor"))
}, 120_000)

afterAll(async () => {
  await viewer?.close()
  await editor?.close()
  await server?.close()
  await demo?.close()
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

/** The `structuredContent` of a successful call. */
const call = async <A = any>(client: Client, name: string, args: Record<string, unknown>): Promise<A> => {
  const result = await client.callTool({ name, arguments: args })
  expect(result.isError).toBeFalsy()
  return result.structuredContent as A
}

/** The JSON document of a resource. */
const read = async (uri: string) => {
  const { contents } = await viewer.readResource({ uri })
  expect(contents[0]).toMatchObject({ uri, mimeType: "application/json" })
  return JSON.parse((contents[0] as { text: string }).text)
}

/** A refusal of SPEC §9.2 without field errors: the number, the code, `data` and the message. */
const expectRefusal = (error: McpError, jsonRpc: number, code: string) => {
  expect(error.code).toBe(jsonRpc)
  const data = apiError(error)
  expect(data).toEqual({ code, message: expect.any(String) })
  expect(data.message.length).toBeGreaterThan(0)
  // Clients that show only the message still see the code and the explanation.
  expect(error.message).toContain(`${code}: ${data.message}`)
  return data
}

const stage = (changes: Record<string, unknown>, baseVersionId: string, rationale: string) =>
  call<{ proposalId: string; diff: Array<{ field: string }> }>(viewer, "propose_workflow_patch", {
    workflowId,
    baseVersionId,
    rationale,
    changes
  })

const currentVersionId = async () =>
  (await read(`armature://workflows/${workflowId}`)).workflow.currentVersionId

it("a failing workflow is diagnosed, patched, applied, verified and compared; stale applies are refused", async () => {
  // 1. The workflow fails: the tester browsed the products, the judge wants get_order.
  const failed = await call(editor, "run_workflow_now", {
    workflowId,
    reason: "Nightly check",
    wait: true,
    waitSeconds: 60
  })
  expect(failed.status).toBe("fail")
  const failedRun = failed.run
  const wrongCall = failedRun.toolCalls.find((c: { name: string }) => c.name === "list_products")
  expect(wrongCall).toBeDefined()
  expect(failedRun.toolCalls.map((c: { name: string }) => c.name)).not.toContain("get_order")

  // 2. diagnose_run names the cause: the agent's behaviour, at the failing criterion, citing the call.
  const diagnosis = await call(viewer, "diagnose_run", { runId: failedRun.id })
  expect(diagnosis).toMatchObject({
    runId: failedRun.id,
    workflowId,
    status: "fail",
    failed: true,
    classification: "agent_behaviour",
    confidence: "high"
  })
  expect(diagnosis.summary).toContain("get_order")
  expect(diagnosis.failedCriteria).toEqual([
    expect.objectContaining({
      criterionId: failedRun.criteria[0].criterionId,
      text: criterionText,
      required: true,
      verdict: "fail",
      position: 0,
      evidence: [wrongCall.id]
    })
  ])
  expect(diagnosis.suspects).toContainEqual(
    expect.objectContaining({ kind: "tool_call", id: wrongCall.id, toolName: "list_products" })
  )
  expect(diagnosis.findings[0]).toMatchObject({ classification: "agent_behaviour", confidence: "high" })
  const patchRemedy = diagnosis.remediations.find(
    (r: { action: string }) => r.action === "propose_workflow_patch"
  )
  expect(patchRemedy).toMatchObject({
    classification: "agent_behaviour",
    fields: expect.arrayContaining(["prompt"]),
    arguments: { workflowId, baseVersionId: firstVersionId }
  })
  expect(patchRemedy.summary).toContain("get_order")

  // 3. Stage the fix the diagnosis asks for, citing the run and the call as evidence.
  const staged = await call(viewer, "propose_workflow_patch", {
    ...patchRemedy.arguments,
    rationale: "Name the tool: the agent browsed list_products instead of looking the order up.",
    evidence: [failedRun.id, wrongCall.id],
    changes: { prompt: fixedPrompt },
    telemetry: { intent: "repair the order lookup workflow" }
  })
  expect(staged.diff).toEqual([{ field: "prompt", before: brokenPrompt, after: fixedPrompt }])
  expect(staged.warnings).toEqual([])
  const window = new Date(staged.expiresAt).getTime() - Date.now()
  expect(window).toBeGreaterThan(23.9 * 3_600_000)
  expect(window).toBeLessThanOrEqual(24 * 3_600_000)

  // 4. Read the proposal as the human approving it would.
  const proposalUri = `armature://workflow-change-proposals/${staged.proposalId}`
  const proposal = await read(proposalUri)
  expect(proposal).toMatchObject({
    id: staged.proposalId,
    kind: "update",
    workflowId,
    baseVersionId: firstVersionId,
    evidence: [failedRun.id, wrongCall.id],
    diff: staged.diff,
    appliedAt: null,
    appliedVersionId: null,
    expiresAt: staged.expiresAt
  })
  expect(proposal.spec.prompt).toBe(fixedPrompt)
  expect(proposal.spec.criteria.map((c: { text: string }) => c.text)).toEqual([criterionText])

  // 5. Apply it.
  const applied = await call(editor, "apply_workflow_change", { proposalId: staged.proposalId })
  expect(applied).toEqual({ workflowId, versionId: expect.any(String), version: 2 })
  expect(await currentVersionId()).toBe(applied.versionId)

  // 6. Verify: the tester now calls get_order, the judge passes the criterion.
  const verified = await call(editor, "run_workflow_now", {
    workflowId,
    reason: `Verify the fix for run ${failedRun.id}`,
    baselineRunId: failedRun.id,
    wait: true,
    waitSeconds: 60
  })
  expect(verified.status).toBe("pass")
  expect(verified.run).toMatchObject({ workflowVersionId: applied.versionId, workflowVersion: 2 })
  expect(verified.run.toolCalls.map((c: { name: string }) => c.name)).toEqual(["get_order"])

  // 7. Compare with the failing run: the criterion is fixed, and why is visible.
  const comparison = await call(viewer, "compare_runs", {
    baseRunId: failedRun.id,
    candidateRunId: verified.runId
  })
  expect(comparison.criteria).toEqual([
    expect.objectContaining({
      criterionId: failedRun.criteria[0].criterionId,
      text: criterionText,
      status: "fixed",
      matchedBy: "id",
      baseVerdict: "fail",
      candidateVerdict: "pass"
    })
  ])
  expect(comparison.counts).toMatchObject({ fixed: 1, regressed: 0, still_failing: 0 })
  expect(comparison).toMatchObject({
    sameWorkflow: true,
    statusChanged: true,
    base: { status: "fail", workflowVersion: 1 },
    candidate: { status: "pass", workflowVersion: 2 },
    changes: { workflowVersion: { base: 1, candidate: 2 } },
    tools: { onlyInBase: ["list_products"], onlyInCandidate: ["get_order"] }
  })
  expect(await read(proposalUri)).toMatchObject({
    appliedAt: expect.any(String),
    appliedVersionId: applied.versionId
  })

  // 8. A second apply of the same proposal: -32011, and nothing changes.
  expectRefusal(
    await failure(
      editor.callTool({ name: "apply_workflow_change", arguments: { proposalId: staged.proposalId } })
    ),
    -32011,
    "proposal_already_applied"
  )
  expect(await currentVersionId()).toBe(applied.versionId)

  // 9. A proposal staged more than 24 h ago: -32010. Its timestamps are moved back in the
  // database, as if it had been staged a day and an hour ago.
  const old = await stage({ description: "Checks what order A-1001 cost" }, applied.versionId, "Describe it")
  await server.run(
    Effect.flatMap(
      SqlClient.SqlClient,
      (sql) =>
        sql`UPDATE proposals SET created_at = created_at - interval '25 hours',
            expires_at = expires_at - interval '25 hours' WHERE id = ${old.proposalId}`
    )
  )
  const expired = await read(`armature://workflow-change-proposals/${old.proposalId}`)
  expect(new Date(expired.expiresAt).getTime()).toBeLessThan(Date.now())
  const expiredError = expectRefusal(
    await failure(
      editor.callTool({ name: "apply_workflow_change", arguments: { proposalId: old.proposalId } })
    ),
    -32010,
    "proposal_expired"
  )
  expect(expiredError.message).toContain("stage it again")
  expect(await read(`armature://workflow-change-proposals/${old.proposalId}`)).toMatchObject({
    appliedAt: null
  })
  expect(await currentVersionId()).toBe(applied.versionId)

  // 10. A proposal whose base version is no longer current: a human edits the workflow over
  // REST after the agent staged; applying the agent's proposal is -32009 and changes nothing.
  const stale = await stage(
    { criteria: [{ op: "add", text: "The agent told the customer the total" }] },
    applied.versionId,
    "Also check the answer"
  )
  const edited = await rest(server.origin, ownerKey, "PATCH", `/workflows/${workflowId}`, {
    description: "Edited in the dashboard",
    expectedVersionId: applied.versionId
  })
  const editedVersionId = (edited.workflow ?? edited).currentVersionId
  expect(editedVersionId).not.toBe(applied.versionId)
  const conflict = expectRefusal(
    await failure(
      editor.callTool({ name: "apply_workflow_change", arguments: { proposalId: stale.proposalId } })
    ),
    -32009,
    "version_conflict"
  )
  expect(conflict.message).toContain(applied.versionId)
  expect(conflict.message).toContain(editedVersionId)
  expect(await currentVersionId()).toBe(editedVersionId)
  // The refused apply did not use the proposal up: it is still unapplied (and still stale).
  expect(await read(`armature://workflow-change-proposals/${stale.proposalId}`)).toMatchObject({
    appliedAt: null
  })
  // Staging against the old base is refused the same way; against the current one it works.
  expectRefusal(
    await failure(
      viewer.callTool({
        name: "propose_workflow_patch",
        arguments: {
          workflowId,
          baseVersionId: applied.versionId,
          rationale: "Also check the answer",
          changes: { criteria: [{ op: "add", text: "The agent told the customer the total" }] }
        }
      })
    ),
    -32009,
    "version_conflict"
  )
  const restaged = await stage(
    { criteria: [{ op: "add", text: "The agent told the customer the total" }] },
    editedVersionId,
    "Also check the answer"
  )
  expect(await call(editor, "apply_workflow_change", { proposalId: restaged.proposalId })).toMatchObject({
    version: 4
  })
}, 180_000)
