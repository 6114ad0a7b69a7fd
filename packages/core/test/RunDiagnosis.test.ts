import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import type { CatalogVersion } from "../src/domain/Catalog.js"
import type { Role } from "../src/domain/Organization.js"
import type { Run } from "../src/domain/Run.js"
import type { Workflow, WorkflowSpecInput } from "../src/domain/Workflow.js"
import * as RunDiagnosis from "../src/RunDiagnosis.js"
import * as Workflows from "../src/Workflows.js"
import {
  call,
  catalogVersion,
  event,
  insertCatalogs,
  insertRuns,
  ordersV2,
  ordersV3,
  recorded,
  verdict
} from "./runFixtures.js"
import { callerOf, editor, fieldsOf, otherOrgId, runSeeded, specInput, viewer } from "./workflowFixtures.js"

const run = runSeeded

const feb = (d: number) => new Date(Date.UTC(2026, 1, d))
const mar = (d: number) => new Date(Date.UTC(2026, 2, d))

/** Catalog v2 (get_order takes `id`) on Jan 2 and v3 (it takes `orderId`) on Mar 1, after seed's v1. */
const contractHistory = [
  catalogVersion(2, ordersV2, new Date(Date.UTC(2026, 0, 2))),
  catalogVersion(3, ordersV3, mar(1))
]

/**
 * The orders workflow (criteria c1 "The agent called get_order with id 42", c2 "The answer
 * states the order status", optional c3), the catalog history, and a run that passed on Feb 1.
 */
const scene = (
  catalogs: ReadonlyArray<CatalogVersion> = contractHistory,
  spec: Partial<Record<keyof WorkflowSpecInput, unknown>> = {}
) =>
  Effect.gen(function* () {
    const workflow = (yield* Workflows.create(editor, specInput({ schedule: null, ...spec }))).workflow
    yield* insertCatalogs(...catalogs)
    const passing = recorded(workflow, "run-pass", feb(1), {
      catalogHash: "hash-2",
      toolCalls: [
        call("tc-1", "get_order", {
          arguments: { id: "42" },
          content: [{ type: "text", text: "Order 42: shipped" }]
        })
      ],
      finalAnswer: "Order 42 is shipped.",
      criteria: workflow.spec.criteria.map((c) => verdict(c.id, c.text, "pass", "Met.", ["tc-1"], c.required))
    })
    yield* insertRuns(passing)
    return { workflow, passing }
  })

const store = (r: Run) => Effect.as(insertRuns(r), r)
const diagnose = (r: Run, role: Role = "viewer") => RunDiagnosis.diagnose(callerOf(role), { runId: r.id })

/** Every result must fit its own schema: it is the MCP tool's `outputSchema`. */
const encodes = (d: RunDiagnosis.RunDiagnosis) => Schema.encodeSync(RunDiagnosis.RunDiagnosis)(d)

const failing = (workflow: Workflow, id: string, startedAt: Date, patch: Partial<Run>) =>
  recorded(workflow, id, startedAt, { status: "fail", catalogHash: "hash-2", ...patch })

describe("a passing run: nothing failed, not an error", () => {
  it.effect("failed is false, no classification, a summary that says so", () =>
    run(
      Effect.gen(function* () {
        const { passing } = yield* scene()
        const d = yield* diagnose(passing)
        expect(d).toMatchObject({ failed: false, classification: null, confidence: null, status: "pass" })
        expect(d.summary).toMatch(/^Nothing failed/)
        expect(d.remediations).toEqual([])
        encodes(d)
      })
    )
  )
})

describe("infrastructure: a run that ended error", () => {
  it.effect(
    "server_unreachable → infrastructure, the error event as suspect, fix the server then rerun",
    () =>
      run(
        Effect.gen(function* () {
          const { workflow } = yield* scene()
          const r = yield* store(
            recorded(workflow, "run-down", feb(2), {
              status: "error",
              finalAnswer: null,
              error: { code: "server_unreachable", message: "connect ECONNREFUSED 10.0.0.5:443" },
              trace: [event("ev-1", "error", "server_unreachable: connect ECONNREFUSED 10.0.0.5:443")]
            })
          )
          const d = yield* diagnose(r)
          expect(d).toMatchObject({ failed: true, classification: "infrastructure", confidence: "high" })
          expect(d.suspects.map((s) => s.id)).toEqual(["ev-1"])
          expect(d.remediations.map((x) => x.action)).toEqual(["fix_server", "run_workflow_now"])
          expect(d.remediations[1]!.arguments).toMatchObject({
            workflowId: workflow.id,
            baselineRunId: r.id,
            wait: true
          })
          encodes(d)
        })
      )
  )
})

describe("server_error: calls the server answered with an error, never retried successfully", () => {
  it.effect("an isError result cited by the judge → server_error (high), fix that tool", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* scene()
        const r = yield* store(
          failing(workflow, "run-500", feb(3), {
            toolCalls: [
              call("tc-1", "get_order", {
                arguments: { id: "42" },
                isError: true,
                content: [{ type: "text", text: "Internal error: database connection pool exhausted" }]
              })
            ],
            finalAnswer: "I could not retrieve order 42 because the server returned an error.",
            criteria: [
              verdict("c1", "The agent called get_order with id 42", "fail", "The call returned an error.", [
                "tc-1"
              ]),
              verdict("c2", "The answer states the order status", "fail", "No status was given.")
            ]
          })
        )
        const d = yield* diagnose(r)
        expect(d).toMatchObject({ classification: "server_error", confidence: "high" })
        // Giving up after the server failed is no fault of the agent's.
        expect(d.findings.map((f) => f.classification)).toEqual(["server_error"])
        expect(d.suspects[0]).toMatchObject({ kind: "tool_call", id: "tc-1", toolName: "get_order" })
        expect(d.suspects[0]!.why).toContain("database connection pool exhausted")
        expect(d.remediations[0]).toMatchObject({ action: "fix_server", classification: "server_error" })
        expect(d.remediations[0]!.summary).toContain("get_order")
        expect(d.failedCriteria.map((c) => [c.criterionId, c.position])).toEqual([
          ["c1", 0],
          ["c2", 1]
        ])
        encodes(d)
      })
    )
  )

  it.effect(
    "an error the agent recovered from (a later successful call of the same tool) does not count",
    () =>
      run(
        Effect.gen(function* () {
          const { workflow } = yield* scene()
          const r = yield* store(
            failing(workflow, "run-retry", feb(3), {
              toolCalls: [
                call("tc-1", "get_order", { arguments: { id: "42" }, isError: true }),
                call("tc-2", "get_order", { arguments: { id: "42" } })
              ],
              finalAnswer: "Order 42 is being prepared.",
              criteria: [verdict("c2", "The answer states the order status", "fail", "Status is wrong.")]
            })
          )
          const d = yield* diagnose(r)
          expect(d.findings.map((f) => f.classification)).not.toContain("server_error")
        })
      )
  )
})

describe("tool_contract_changed: the catalog moved under the workflow", () => {
  it.effect("arguments that fit catalog v2 but not v3, breaking drift since the last pass → high", () =>
    run(
      Effect.gen(function* () {
        const { workflow, passing } = yield* scene()
        const r = yield* store(
          failing(workflow, "run-contract", mar(2), {
            catalogHash: "hash-3",
            toolCalls: [
              call("tc-1", "get_order", {
                arguments: { id: "42" },
                content: [],
                error: "protocol: MCP error -32602: Invalid params: orderId is required"
              })
            ],
            finalAnswer: "The order could not be looked up.",
            criteria: [
              verdict("c1", "The agent called get_order with id 42", "fail", "get_order failed.", ["tc-1"]),
              verdict("c2", "The answer states the order status", "fail", "No status.")
            ]
          })
        )
        const d = yield* diagnose(r)
        expect(d).toMatchObject({ classification: "tool_contract_changed", confidence: "high" })
        expect(d.catalog).toEqual({
          versionAtRun: 3,
          latestVersion: 3,
          lastPassingRunId: passing.id,
          versionAtLastPass: 2
        })
        expect(d.suspects[0]).toMatchObject({ id: "tc-1", toolName: "get_order" })
        expect(d.suspects[0]!.why).toMatch(/fitted catalog version 2/)
        // The call is explained by the contract, so it is not also blamed on the server.
        expect(d.findings.map((f) => f.classification)).not.toContain("server_error")
        const patch = d.remediations.find((x) => x.action === "propose_workflow_patch")!
        expect(patch.fields).toEqual(["prompt", "criteria[0].text"])
        expect(patch.arguments).toMatchObject({
          workflowId: workflow.id,
          baseVersionId: workflow.currentVersionId,
          evidence: ["tc-1"]
        })
        expect(d.remediations.map((x) => x.action)).toEqual([
          "propose_workflow_patch",
          "fix_server",
          "run_workflow_now"
        ])
        encodes(d)
      })
    )
  )

  it.effect("a removed tool named exactly in allowedTools → a patch with concrete toolPolicy changes", () =>
    run(
      Effect.gen(function* () {
        const withoutGetOrder = ordersV2.filter((t) => t.name !== "get_order")
        const { workflow } = yield* scene([
          catalogVersion(2, ordersV2, new Date(Date.UTC(2026, 0, 2))),
          catalogVersion(3, withoutGetOrder, mar(1))
        ])
        const r = yield* store(
          failing(workflow, "run-removed", mar(2), {
            catalogHash: "hash-3",
            toolCalls: [
              call("tc-1", "get_order", {
                arguments: { id: "42" },
                refused: true,
                isError: true,
                content: [],
                error: "no such tool on the server"
              })
            ],
            trace: [event("ev-1", "policy_refusal", "Refused call to get_order: no such tool on the server")],
            criteria: [
              verdict("c1", "The agent called get_order with id 42", "fail", "Never succeeded.", ["tc-1"])
            ]
          })
        )
        const d = yield* diagnose(r)
        expect(d.classification).toBe("tool_contract_changed")
        const patch = d.remediations.find((x) => x.action === "propose_workflow_patch")!
        expect(patch.arguments?.changes).toEqual({ toolPolicy: { allowedTools: ["list_*"] } })
      })
    )
  )

  it.effect("a tool list no stored catalog version has → suggests syncing the catalog", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* scene()
        const r = yield* store(
          failing(workflow, "run-unsynced", mar(5), {
            catalogHash: "hash-never-stored",
            toolCalls: [
              call("tc-1", "list_orders", { isError: true, content: [{ type: "text", text: "bad filter" }] })
            ],
            criteria: [verdict("c2", "The answer states the order status", "fail", "No status.")]
          })
        )
        const d = yield* diagnose(r)
        expect(d.findings.map((f) => f.classification)).toContain("tool_contract_changed")
        expect(d.remediations.find((x) => x.action === "sync_mcp_server_capabilities")?.arguments).toEqual({
          mcpServerId: workflow.spec.mcpServerId
        })
      })
    )
  )
})

describe("agent_behaviour: the agent did not do what the test needed", () => {
  it.effect("never called the tool a failing criterion names, and called a disallowed one → high", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* scene()
        const r = yield* store(
          failing(workflow, "run-agent", feb(4), {
            toolCalls: [
              call("tc-1", "list_orders", { content: [{ type: "text", text: "3 orders" }] }),
              call("tc-2", "create_order", {
                arguments: { sku: "X" },
                refused: true,
                isError: true,
                content: [],
                error: "not in allowedTools"
              })
            ],
            trace: [
              event("ev-1", "policy_refusal", "Refused call to create_order: not in allowedTools", {
                toolCallId: "tc-2"
              })
            ],
            finalAnswer: "There are 3 orders.",
            criteria: [
              verdict("c1", "The agent called get_order with id 42", "fail", "get_order was never called."),
              verdict("c2", "The answer states the order status", "fail", "No status.")
            ]
          })
        )
        const d = yield* diagnose(r)
        expect(d).toMatchObject({ classification: "agent_behaviour", confidence: "high" })
        expect(d.summary).toContain("never called")
        expect(d.suspects.map((s) => s.id)).toContain("tc-2")
        const patch = d.remediations.find((x) => x.action === "propose_workflow_patch")!
        expect(patch.fields).toContain("prompt")
        expect(patch.arguments?.changes).toBeUndefined()
        encodes(d)
      })
    )
  )

  it.effect("hitting maxToolCalls → a patch that doubles the limit", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* scene()
        const r = yield* store(
          failing(workflow, "run-limit", feb(4), {
            toolCalls: [
              call("tc-1", "list_orders"),
              call("tc-2", "get_order", { refused: true, isError: true, error: "maxToolCalls (25) reached" })
            ],
            criteria: [verdict("c2", "The answer states the order status", "fail", "No status.")]
          })
        )
        const d = yield* diagnose(r)
        expect(d.classification).toBe("agent_behaviour")
        const patch = d.remediations.find((x) => x.fields.includes("limits.maxToolCalls"))!
        expect(patch.arguments?.changes).toEqual({ limits: { maxToolCalls: 50 } })
      })
    )
  )

  it.effect("no rule matches → agent_behaviour with low confidence, citing the judge", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* scene()
        const r = yield* store(
          failing(workflow, "run-vague", feb(4), {
            toolCalls: [call("tc-1", "get_order", { arguments: { id: "42" } })],
            finalAnswer: "Order 42 exists.",
            criteria: [
              verdict("c2", "The answer states the order status", "fail", "The status is missing.", ["tc-1"])
            ]
          })
        )
        const d = yield* diagnose(r)
        expect(d).toMatchObject({ classification: "agent_behaviour", confidence: "low" })
        expect(d.suspects).toEqual([
          expect.objectContaining({ id: "tc-1", why: expect.stringContaining("cited as evidence") })
        ])
      })
    )
  )
})

describe("criteria_too_strict: all calls succeeded, the answer has it, the judge wanted exact wording", () => {
  it.effect(
    "reasoning citing exact wording, quoted text present in the answer → high, reword that criterion",
    () =>
      run(
        Effect.gen(function* () {
          const { workflow } = yield* scene(contractHistory, {
            criteria: [
              { text: "The agent called get_order" },
              { text: 'The answer says the order is "shipped"' }
            ]
          })
          const r = yield* store(
            failing(workflow, "run-strict", feb(5), {
              status: "partial",
              toolCalls: [
                call("tc-1", "get_order", {
                  arguments: { id: "42" },
                  content: [{ type: "text", text: "status: shipped" }]
                })
              ],
              finalAnswer: "Order 42 has been Shipped.",
              criteria: [
                verdict("c1", "The agent called get_order", "pass", "It did.", ["tc-1"]),
                verdict(
                  "c2",
                  'The answer says the order is "shipped"',
                  "fail",
                  "The answer does not use the exact wording 'the order is shipped'."
                )
              ]
            })
          )
          const d = yield* diagnose(r)
          expect(d).toMatchObject({ classification: "criteria_too_strict", confidence: "high" })
          expect(d.remediations[0]).toMatchObject({
            action: "propose_workflow_patch",
            fields: ["criteria[1].text"]
          })
          encodes(d)
        })
      )
  )
})

describe("who may diagnose, and bad input", () => {
  it.effect("a caller of another organization gets run_not_found; an unknown id too", () =>
    run(
      Effect.gen(function* () {
        const { passing } = yield* scene()
        const other = yield* Effect.flip(
          RunDiagnosis.diagnose(callerOf("owner", otherOrgId), { runId: passing.id })
        )
        expect(other.code).toBe("run_not_found")
        expect((yield* Effect.flip(RunDiagnosis.diagnose(viewer, { runId: "nope" }))).code).toBe(
          "run_not_found"
        )
      })
    )
  )

  it.effect("an empty run id → validation_failed naming runId", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(RunDiagnosis.diagnose(viewer, { runId: "" }))
        expect(error.code).toBe("validation_failed")
        expect(fieldsOf(error)).toEqual(["runId"])
      })
    )
  )

  it.effect("a run still running is described, not diagnosed", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* scene()
        const r = yield* store(
          recorded(workflow, "run-live", feb(6), { status: "running", finishedAt: null })
        )
        const d = yield* diagnose(r)
        expect(d).toMatchObject({ failed: false, classification: null })
        expect(d.summary).toContain("running")
      })
    )
  )
})
