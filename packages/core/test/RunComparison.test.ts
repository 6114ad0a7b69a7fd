import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as RunComparison from "../src/RunComparison.js"
import * as Workflows from "../src/Workflows.js"
import { bareRun, call, insertRuns, recorded, verdict } from "./runFixtures.js"
import { callerOf, editor, fieldsOf, otherOrgId, runSeeded, specInput, viewer } from "./workflowFixtures.js"

const run = runSeeded

/** The failing run a repair started from, and the verification run after it. */
const base = bareRun("run-base", {
  status: "fail",
  workflowVersion: 1,
  workflowVersionId: "wf-1-v1",
  testerModel: "openai:gpt-5-mini",
  catalogHash: "hash-2",
  durationMs: 9_000,
  costUsd: 0.004,
  usage: [
    { model: "openai:gpt-5-mini", role: "tester", inputTokens: 1_000, outputTokens: 300, costUsd: 0.003 },
    { model: "openai:gpt-5", role: "judge", inputTokens: 400, outputTokens: 100, costUsd: 0.001 }
  ],
  toolCalls: [
    call("tc-1", "list_orders"),
    call("tc-2", "get_order", { isError: true, content: [{ type: "text", text: "not found" }] }),
    call("tc-3", "create_order", { refused: true, isError: true, error: "not in allowedTools" })
  ],
  criteria: [
    verdict("c1", "The agent listed orders", "pass", "It did."),
    verdict("c2", "The answer states the order status", "fail", "No status."),
    verdict("c3", "The agent called get_order with id 42", "partial", "Called with a wrong id."),
    verdict("c4", "The answer names the order id", "pass", "It does."),
    verdict("old-id", "The answer is  polite", "fail", "Curt.", [], false),
    verdict("c6", "The agent created an order", "fail", "No.")
  ],
  assertions: [
    {
      index: 0,
      type: "no_tool_errors",
      required: true,
      passed: false,
      message: "1 error",
      evidence: ["tc-2"]
    }
  ]
})

const candidate = bareRun("run-candidate", {
  status: "partial",
  workflowVersion: 2,
  workflowVersionId: "wf-1-v2",
  testerModel: "openai:gpt-5",
  catalogHash: "hash-2",
  durationMs: 6_500,
  costUsd: 0.0065,
  usage: [
    { model: "openai:gpt-5", role: "tester", inputTokens: 1_500, outputTokens: 250, costUsd: 0.0055 },
    { model: "openai:gpt-5", role: "judge", inputTokens: 400, outputTokens: 100, costUsd: 0.001 }
  ],
  toolCalls: [call("tc-1", "get_order", { arguments: { id: "42" } }), call("tc-2", "get_order_history")],
  criteria: [
    verdict("c1", "The agent listed orders", "fail", "It did not list orders."),
    verdict("c2", "The answer states the order status", "pass", "Shipped."),
    verdict("c3", "The agent called get_order with id 42", "fail", "Still wrong."),
    verdict("c4", "The answer names the order id", "pass", "It does."),
    verdict("new-id", "the answer is polite", "pass", "Polite.", [], false),
    verdict("c7", "The answer mentions the delivery date", "pass", "It does.")
  ],
  assertions: [
    { index: 0, type: "no_tool_errors", required: true, passed: true, message: "ok", evidence: [] }
  ]
})

const statuses = (c: RunComparison.RunComparison) =>
  Object.fromEntries(c.criteria.map((x) => [x.criterionId, x.status]))

describe("criteria: matched by id, then by text, each with its change", () => {
  const c = RunComparison.compute(base, candidate)

  it("regressed, fixed, still_failing, still_passing, new, removed", () => {
    expect(statuses(c)).toEqual({
      c1: "regressed",
      c2: "fixed",
      c3: "still_failing",
      c4: "still_passing",
      "new-id": "fixed",
      c7: "new",
      c6: "removed"
    })
    expect(c.counts).toEqual({
      regressed: 1,
      fixed: 2,
      still_failing: 1,
      still_passing: 1,
      new: 1,
      removed: 1
    })
  })

  it("a criterion whose id changed is matched by its text, ignoring case and spacing", () => {
    expect(c.criteria.find((x) => x.criterionId === "new-id")).toMatchObject({
      matchedBy: "text",
      baseVerdict: "fail",
      candidateVerdict: "pass"
    })
    expect(c.criteria.find((x) => x.criterionId === "c3")).toMatchObject({
      matchedBy: "id",
      baseVerdict: "partial",
      candidateVerdict: "fail"
    })
  })

  it("assertions are matched by position and type", () => {
    expect(c.assertions).toEqual([
      {
        index: 0,
        type: "no_tool_errors",
        status: "fixed",
        basePassed: false,
        candidatePassed: true,
        message: "ok"
      }
    ])
  })
})

describe("setup, tools, errors and usage", () => {
  const c = RunComparison.compute(base, candidate)

  it("names the version and tester model changes; equal settings are null", () => {
    expect(c.changes).toEqual({
      workflowVersion: { base: 1, candidate: 2 },
      testerModel: { base: "openai:gpt-5-mini", candidate: "openai:gpt-5" },
      judgeModel: null,
      serverVersion: null,
      catalogHash: null
    })
    expect(c.sameWorkflow).toBe(true)
    expect(c.statusChanged).toBe(true)
  })

  it("lists tools called in only one run (refused calls are not calls of the tool)", () => {
    expect(c.tools).toEqual({
      onlyInBase: ["list_orders"],
      onlyInCandidate: ["get_order_history"],
      inBoth: ["get_order"]
    })
  })

  it("counts tool errors and refused calls per run, and gives token, cost and duration deltas", () => {
    expect([
      c.base.toolErrors,
      c.base.refusedCalls,
      c.candidate.toolErrors,
      c.candidate.refusedCalls
    ]).toEqual([1, 1, 0, 0])
    expect(c.usage.totalTokens).toEqual({ base: 1_800, candidate: 2_250, delta: 450 })
    expect(c.usage.costUsd).toEqual({ base: 0.004, candidate: 0.0065, delta: 0.0025 })
    expect(c.usage.durationMs).toEqual({ base: 9_000, candidate: 6_500, delta: -2_500 })
    expect(c.usage.toolErrors.delta).toBe(-1)
  })

  it("encodes with its own schema (the tool's outputSchema)", () => {
    expect(() => Schema.encodeSync(RunComparison.RunComparison)(c)).not.toThrow()
  })

  it("an error run has no verdicts: a warning says so", () => {
    const errored = bareRun("run-error", {
      status: "error",
      error: { code: "timeout", message: "No final answer" },
      durationMs: null
    })
    const e = RunComparison.compute(base, errored)
    expect(e.warnings).toEqual([
      "The candidate run ended error (timeout) before grading: it has no verdicts."
    ])
    expect(e.usage.durationMs).toEqual({ base: 9_000, candidate: null, delta: null })
  })
})

describe("compare use case: roles, organizations, workflows", () => {
  const scene = Effect.gen(function* () {
    const a = (yield* Workflows.create(editor, specInput({ schedule: null }))).workflow
    const b = (yield* Workflows.create(editor, specInput({ name: "Order listing", schedule: null }))).workflow
    const runA1 = recorded(a, "run-a1", new Date(1000), { status: "fail" })
    const runA2 = recorded(a, "run-a2", new Date(2000))
    const runB = recorded(b, "run-b", new Date(3000))
    yield* insertRuns(runA1, runA2, runB)
    return { runA1, runA2, runB }
  })

  it.effect("a viewer may compare; runs of one workflow are flagged as such", () =>
    run(
      Effect.gen(function* () {
        const { runA1, runA2 } = yield* scene
        const c = yield* RunComparison.compare(viewer, { baseRunId: runA1.id, candidateRunId: runA2.id })
        expect(c).toMatchObject({ sameWorkflow: true, warnings: [] })
      })
    )
  )

  it.effect("runs of different workflows are allowed, with sameWorkflow false and a warning", () =>
    run(
      Effect.gen(function* () {
        const { runA1, runB } = yield* scene
        const c = yield* RunComparison.compare(viewer, { baseRunId: runA1.id, candidateRunId: runB.id })
        expect(c.sameWorkflow).toBe(false)
        expect(c.warnings[0]).toMatch(/different workflows/)
      })
    )
  )

  it.effect("a caller of another organization gets run_not_found", () =>
    run(
      Effect.gen(function* () {
        const { runA1, runA2 } = yield* scene
        const error = yield* Effect.flip(
          RunComparison.compare(callerOf("owner", otherOrgId), {
            baseRunId: runA1.id,
            candidateRunId: runA2.id
          })
        )
        expect(error.code).toBe("run_not_found")
      })
    )
  )

  it.effect("malformed ids → validation_failed naming each field; an unknown id → run_not_found", () =>
    run(
      Effect.gen(function* () {
        const { runA1 } = yield* scene
        const bad = yield* Effect.flip(RunComparison.compare(viewer, { baseRunId: "", candidateRunId: "" }))
        expect(bad.code).toBe("validation_failed")
        expect(fieldsOf(bad).sort()).toEqual(["baseRunId", "candidateRunId"])
        const unknown = yield* Effect.flip(
          RunComparison.compare(viewer, { baseRunId: runA1.id, candidateRunId: "run-nope" })
        )
        expect(unknown).toMatchObject({ code: "run_not_found", id: "run-nope" })
      })
    )
  )
})
