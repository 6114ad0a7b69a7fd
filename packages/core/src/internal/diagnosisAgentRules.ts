/**
 * The rules of `diagnose_run` about the test itself: what the tester agent did, and whether the
 * criteria asked for more than the outcome. See `diagnosisRules.ts` for the others.
 */
import type { Confidence, Suspect } from "../RunDiagnosis.js"
import * as Policy from "../ToolPolicy.js"
import { catalogAt } from "./catalogHistory.js"
import type { DiagnosisContext, Hit, Remedy } from "./diagnosisRules.js"
import {
  answerHas,
  callSuspect,
  citesWording,
  clip,
  decisive,
  eventSuspect,
  gaveUp,
  list,
  mismatch,
  quotedPhrases,
  strongest,
  succeeded,
  toolsNamedIn,
  unrecovered
} from "./diagnosisSignals.js"

interface Signal {
  readonly confidence: Confidence
  readonly text: string
  readonly suspects: ReadonlyArray<Suspect>
  readonly remedy: Remedy
}

const patch = (
  summary: string,
  fields: ReadonlyArray<string> = ["prompt"],
  raiseLimit?: "maxToolCalls" | "maxSteps"
): Remedy => ({
  action: "propose_workflow_patch",
  summary,
  fields,
  ...(raiseLimit !== undefined && { raiseLimit })
})

/** Assertions about what the agent called: failing one is the agent's doing. */
const behaviouralAssertions = new Set(["tool_called", "tool_not_called", "tool_order", "max_tool_calls"])

/**
 * The agent did not do what the test needed: calls refused by the policy or the call limit,
 * arguments the tool's schema refuses, a tool a failing criterion names never called, a failed
 * assertion about calls (all `high`); no final answer, a final answer that gives up, or tool calls
 * the model got wrong (`medium`). Calls another rule already blamed (`blamed`) do not count, and
 * stopping or giving up is no signal when the server or the contract failed the agent (`excused`).
 */
export const agent = (ctx: DiagnosisContext, blamed: ReadonlySet<string>, excused: boolean): Hit | null => {
  const { run, catalogs, policy } = ctx
  if (run.status === "error") return null
  const atRun = catalogAt(run, catalogs)
  const known = new Set([
    ...catalogs.flatMap((v) => v.tools.map((t) => t.name)),
    ...(policy === null ? [] : Policy.coveringNames(policy))
  ])
  const signals: Signal[] = []

  const refused = run.toolCalls.filter((c) => c.refused && !blamed.has(c.id))
  const overLimit = refused.filter((c) => /maxToolCalls/.test(c.error ?? ""))
  if (overLimit.length > 0) {
    signals.push({
      confidence: "high",
      text: `the agent hit the limit of tool calls (${overLimit.length} call(s) refused)`,
      suspects: overLimit.map((c) => callSuspect(c, `refused: ${clip(c.error ?? "")}`)),
      remedy: patch(
        "Raise limits.maxToolCalls, or tell the agent in the prompt how to reach the goal in fewer calls",
        ["limits.maxToolCalls", "prompt"],
        "maxToolCalls"
      )
    })
  }
  const disallowed = refused.filter((c) => !overLimit.includes(c))
  if (disallowed.length > 0) {
    const names = list(disallowed.map((c) => c.name))
    const invented = disallowed.filter((c) => !known.has(c.name)).map((c) => c.name)
    signals.push({
      confidence: "high",
      text: `the agent called tools it may not use (${names})${
        invented.length > 0 ? `; ${list(invented)} does not exist on the server` : ""
      }`,
      suspects: disallowed.map((c) => callSuspect(c, `refused: ${clip(c.error ?? "not allowed")}`)),
      remedy: patch(
        `Say in the prompt which tools to use instead of ${names}, or allow the tool in toolPolicy if the test needs it`,
        ["prompt", "toolPolicy"]
      )
    })
  }
  const bad =
    atRun === null
      ? []
      : unrecovered(
          run.toolCalls,
          (c) => !c.refused && !succeeded(c) && !blamed.has(c.id) && mismatch(c, atRun) !== null
        )
  if (bad.length > 0) {
    const names = list(bad.map((c) => c.name))
    signals.push({
      confidence: "high",
      text: `the agent sent arguments the tool's schema refuses (${names})`,
      suspects: bad.map((c) => callSuspect(c, mismatch(c, atRun!) ?? "invalid arguments")),
      remedy: patch(`Give the agent valid arguments for ${names} in the prompt`)
    })
  }
  const { criteria, assertions } = decisive(run)
  const called = new Set(run.toolCalls.filter((c) => !c.refused).map((c) => c.name))
  for (const criterion of criteria) {
    const missing = toolsNamedIn(criterion.text, known).filter((name) => !called.has(name))
    if (missing.length === 0) continue
    signals.push({
      confidence: "high",
      text: `criterion "${clip(criterion.text, 80)}" needs ${list(missing)}, which the agent never called`,
      suspects: [],
      remedy: patch(
        `Tell the agent in the prompt to call ${list(missing)} (criterion "${clip(criterion.text, 60)}" checks it)`
      )
    })
  }
  for (const assertion of assertions.filter((a) => behaviouralAssertions.has(a.type))) {
    const ids = new Set(assertion.evidence)
    signals.push({
      confidence: "high",
      text: `assertion ${assertion.type} failed: ${clip(assertion.message, 100)}`,
      suspects: run.toolCalls
        .filter((c) => ids.has(c.id))
        .map((c) => callSuspect(c, `cited by the failed ${assertion.type} assertion`)),
      remedy: patch(
        `Make the prompt say what the ${assertion.type} assertion expects (${clip(assertion.message, 80)})`
      )
    })
  }
  // Stopping or giving up is what an agent should do when the server fails it.
  if (!excused && run.finalAnswer === null) {
    const stopped =
      run.trace.findLast((e) => e.type === "info" && /without a final answer/.test(e.text ?? "")) ??
      run.trace.findLast((e) => e.type === "step")
    signals.push({
      confidence: "medium",
      text: "the agent stopped without a final answer",
      suspects: stopped === undefined ? [] : [eventSuspect(stopped, clip(stopped.text ?? "last step"))],
      remedy: patch(
        "Ask for an explicit final answer in the prompt, or raise limits.maxSteps",
        ["prompt", "limits.maxSteps"],
        "maxSteps"
      )
    })
  } else if (!excused && run.finalAnswer !== null && gaveUp(run.finalAnswer)) {
    const last = run.trace.findLast((e) => e.type === "message" && e.role === "assistant")
    signals.push({
      confidence: "medium",
      text: `the agent gave up: "${clip(run.finalAnswer, 80)}"`,
      suspects: last === undefined ? [] : [eventSuspect(last, "the final answer gives up")],
      remedy: patch("Make the prompt say how to complete the task (which tool, which inputs)")
    })
  }
  const invalid = run.trace.filter((e) => e.type === "error" && /^Invalid call of /.test(e.text ?? ""))
  if (invalid.length > 0) {
    signals.push({
      confidence: "medium",
      text: `the model produced ${invalid.length} invalid tool call(s)`,
      suspects: invalid.map((e) => eventSuspect(e, clip(e.text ?? ""))),
      remedy: patch("Describe the expected arguments in the prompt, or try another tester model", [
        "prompt",
        "testerModels"
      ])
    })
  }
  if (signals.length === 0) return null
  const top = strongest(signals.map((s) => s.confidence))
  return {
    classification: "agent_behaviour",
    confidence: top,
    summary: `Agent behaviour: ${signals
      .filter((s) => s.confidence === top)
      .map((s) => s.text)
      .join("; ")}`,
    suspects: signals.flatMap((s) => s.suspects),
    remedies: signals.map((s) => s.remedy)
  }
}

/**
 * Every call succeeded (or was retried successfully), no required assertion failed, the agent
 * answered without giving up, and the judge's reasoning for a failing criterion faults wording
 * or format. `high` when that holds for every failing criterion and the answer contains the text
 * a criterion quotes; `medium` otherwise.
 */
export const tooStrict = ({ run }: DiagnosisContext): Hit | null => {
  const { criteria, assertions } = decisive(run)
  if (run.status === "error" || criteria.length === 0 || assertions.length > 0) return null
  if (unrecovered(run.toolCalls, (c) => !succeeded(c)).length > 0) return null
  const answer = run.finalAnswer
  if (answer === null || gaveUp(answer)) return null
  const cued = criteria.filter((c) => citesWording(c.reasoning))
  if (cued.length === 0) return null
  const present = cued.filter((c) => {
    const phrases = quotedPhrases(c.text)
    return phrases.length > 0 && answerHas(answer, phrases)
  })
  return {
    classification: "criteria_too_strict",
    confidence: cued.length === criteria.length && present.length > 0 ? "high" : "medium",
    summary: `Every call succeeded and the agent answered, but the judge faulted wording or format: "${clip(cued[0]!.reasoning, 120)}"${
      present.length > 0 ? "; the answer does contain the text the criterion quotes" : ""
    }`,
    suspects: [],
    remedies: cued.map(
      (c): Remedy => ({
        action: "propose_workflow_patch",
        summary: `Reword criterion "${clip(c.text, 60)}" to state the outcome rather than exact wording (check exact text with a result_contains assertion if it matters)`,
        fields: ["criteria"],
        criterionIds: [c.criterionId]
      })
    )
  }
}

/** Nothing matched: the judge found the outcome lacking without any signal in the trace. */
export const fallback = ({ run }: DiagnosisContext): Hit => {
  const first = decisive(run).criteria[0]
  return {
    classification: "agent_behaviour",
    confidence: "low",
    summary: `No deterministic signal in the trace${
      first === undefined
        ? ""
        : `; the judge found "${clip(first.text, 60)}" unmet: ${clip(first.reasoning, 120)}`
    }`,
    suspects: [],
    remedies: [
      patch(
        "Read the trace; make the prompt state the expected outcome unambiguously, or try another tester model",
        ["prompt", "testerModels"]
      )
    ]
  }
}
