/**
 * Deterministic assertions (SPEC §4.3): checks over a recorded trace, evaluated without an LLM.
 *
 * Which calls each assertion sees:
 * - Refused calls (`refused: true`) never reached the server, so no assertion counts them as
 *   calls; `tool_not_called` only mentions them in its message.
 * - Agent-behaviour assertions (`tool_called`, `tool_not_called`, `tool_order`,
 *   `max_tool_calls`, `result_contains`, `result_matches`, `result_json_path`) see only
 *   `phase: "agent"` calls: `setup`/`teardown` calls are scripted by the workflow, and counting
 *   them would let a setup call satisfy an assertion about what the agent did.
 * - Server-behaviour assertions (`no_tool_errors`, `max_latency_ms`) see every call that reached
 *   the server, in any phase: a failing or slow setup call is the server's behaviour too.
 * - A call "happened" when it reached the server, whatever its outcome: `tool_called` counts
 *   calls that returned `isError` as well — `no_tool_errors` is the assertion about outcomes.
 * - `max_tokens` / `max_cost_usd` sum every usage entry given (tester and judge), so they bound
 *   the same total the run reports as its cost.
 *
 * Nothing here throws: an invalid regular expression or JSONPath fails its assertion with a
 * message instead.
 */
import type { AssertionResult, ModelUsage, ToolCall } from "./domain/Run.js"
import type { Assertion } from "./domain/Workflow.js"
import {
  deepEqual,
  isRecord,
  type Pattern,
  queryJsonPath,
  regexOf,
  resultText as textOfResult
} from "./internal/jsonQuery.js"

/** What assertions are evaluated on: the recorded trace of one run. */
export interface TraceInput {
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly finalAnswer: string | null
  readonly usage: ReadonlyArray<ModelUsage>
  /** Wall-clock duration of the run; only shown in `max_latency_ms` messages for context. */
  readonly durationMs?: number | null
}

type Outcome = {
  readonly passed: boolean
  readonly message: string
  readonly evidence: ReadonlyArray<string>
}

/** Evaluates every assertion on a trace; result `index` is the assertion's position. */
export const evaluate = (
  assertions: ReadonlyArray<Assertion>,
  input: TraceInput
): ReadonlyArray<AssertionResult> =>
  assertions.map((assertion, index) => {
    const outcome = evaluateOne(assertion, input)
    return {
      index,
      type: assertion.type,
      required: assertion.required,
      passed: outcome.passed,
      message: outcome.message,
      evidence: [...new Set(outcome.evidence)]
    }
  })

const reachedServer = (call: ToolCall) => !call.refused
const agentCalls = (calls: ReadonlyArray<ToolCall>) =>
  calls.filter((call) => call.phase === "agent" && reachedServer(call))
const succeeded = (call: ToolCall) => !call.refused && !call.isError && call.error === null
const ids = (calls: ReadonlyArray<ToolCall>) => calls.map((call) => call.id)
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`
const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 200 ? `${text.slice(0, 197)}...` : text
}

const evaluateOne = (a: Assertion, input: TraceInput): Outcome => {
  switch (a.type) {
    case "tool_called":
      return toolCalled(a, input.toolCalls)
    case "tool_not_called": {
      const calls = agentCalls(input.toolCalls).filter((call) => call.name === a.tool)
      const refused = input.toolCalls.filter((call) => call.refused && call.name === a.tool)
      const note = refused.length > 0 ? ` (${plural(refused.length, "refused attempt")} not counted)` : ""
      return calls.length === 0
        ? {
            passed: true,
            message: `Expected no call of ${a.tool}; found none${note}.`,
            evidence: ids(refused)
          }
        : {
            passed: false,
            message: `Expected no call of ${a.tool}; found ${plural(calls.length, "call")}${note}.`,
            evidence: ids(calls)
          }
    }
    case "tool_order":
      return toolOrder(a.tools, input.toolCalls)
    case "no_tool_errors": {
      const failed = input.toolCalls.filter(
        (call) => reachedServer(call) && (call.isError || call.error !== null)
      )
      if (failed.length === 0) {
        return { passed: true, message: "Expected no tool errors; found none.", evidence: [] }
      }
      const described = failed.map(
        (call) => `${call.name} (${call.id}${call.error !== null ? `: ${call.error}` : ", isError"})`
      )
      return {
        passed: false,
        message: `Expected no tool errors; found ${plural(failed.length, "failed call")}: ${described.join(", ")}.`,
        evidence: ids(failed)
      }
    }
    case "result_contains":
      return resultText(a.tool, input, `contain ${show(a.text)}`, (text) => text.includes(a.text))
    case "result_matches": {
      let re: Pattern
      try {
        re = regexOf(a.pattern, a.flags)
      } catch (e) {
        return {
          passed: false,
          message: `Invalid regular expression /${a.pattern}/${a.flags ?? ""}: ${e instanceof Error ? e.message : String(e)}.`,
          evidence: []
        }
      }
      return resultText(a.tool, input, `match /${a.pattern}/${a.flags ?? ""}`, (text) => re.test(text))
    }
    case "result_json_path":
      return jsonPath(a, input.toolCalls)
    case "max_tool_calls": {
      const calls = agentCalls(input.toolCalls)
      return {
        passed: calls.length <= a.max,
        message: `Expected at most ${plural(a.max, "tool call")}; found ${calls.length}.`,
        evidence: calls.length <= a.max ? [] : ids(calls)
      }
    }
    case "max_latency_ms":
      return maxLatency(a, input)
    case "max_tokens": {
      const total = input.usage.reduce((sum, u) => sum + u.inputTokens + u.outputTokens, 0)
      return {
        passed: total <= a.max,
        message: `Expected at most ${a.max} tokens (input + output over all models); found ${total}.`,
        evidence: []
      }
    }
    case "max_cost_usd": {
      const total = roundUsd(input.usage.reduce((sum, u) => sum + u.costUsd, 0))
      return {
        passed: total <= a.max,
        message: `Expected a cost of at most $${a.max}; found $${total}.`,
        evidence: []
      }
    }
  }
}

// Float sums of per-model costs carry noise (0.1 + 0.2 > 0.3); rounding to a millionth of a
// dollar keeps a budget of exactly the spent amount passing.
const roundUsd = (n: number) => Math.round(n * 1e6) / 1e6

const toolCalled = (
  a: Extract<Assertion, { type: "tool_called" }>,
  calls: ReadonlyArray<ToolCall>
): Outcome => {
  const ofTool = agentCalls(calls).filter((call) => call.name === a.tool)
  const matching =
    a.args === undefined ? ofTool : ofTool.filter((call) => partialMatch(a.args, call.arguments))
  const what = `${a.tool}${a.args === undefined ? "" : ` with arguments matching ${show(a.args)}`}`
  const found =
    a.args === undefined
      ? plural(matching.length, "call")
      : `${plural(matching.length, "matching call")} (of ${plural(ofTool.length, "call")} of ${a.tool})`
  if (a.times === undefined) {
    return {
      passed: matching.length > 0,
      message: `Expected at least one call of ${what}; found ${found}.`,
      evidence: ids(matching.length > 0 ? matching : ofTool)
    }
  }
  return {
    passed: matching.length === a.times,
    message: `Expected exactly ${plural(a.times, "call")} of ${what}; found ${found}.`,
    evidence: ids(matching.length > 0 ? matching : ofTool)
  }
}

/** The names appear in this relative order (a subsequence); other calls may come in between. */
const toolOrder = (names: ReadonlyArray<string>, calls: ReadonlyArray<ToolCall>): Outcome => {
  const agent = agentCalls(calls)
  const matched: ToolCall[] = []
  let next = 0
  for (const call of agent) {
    if (next < names.length && call.name === names[next]) {
      matched.push(call)
      next++
    }
  }
  const expected = names.join(" → ")
  const actual = agent.length === 0 ? "no agent calls" : agent.map((call) => call.name).join(" → ")
  if (next === names.length) {
    return {
      passed: true,
      message: `Expected calls in the order ${expected}; found it.`,
      evidence: ids(matched)
    }
  }
  return {
    passed: false,
    message: `Expected calls in the order ${expected}; ${names[next]} was not called after ${next === 0 ? "the start" : names[next - 1]} (calls: ${actual}).`,
    evidence: ids(matched)
  }
}

const resultTextOf = (call: ToolCall): string => textOfResult(call)

/** A text check over a named tool's results (passes when any call matches) or the final answer. */
const resultText = (
  tool: string | undefined,
  input: TraceInput,
  expectation: string,
  test: (text: string) => boolean
): Outcome => {
  if (tool === undefined) {
    if (input.finalAnswer === null) {
      return {
        passed: false,
        message: `Expected the final answer to ${expectation}; the run has no final answer.`,
        evidence: []
      }
    }
    const passed = test(input.finalAnswer)
    return {
      passed,
      message: `Expected the final answer to ${expectation}; ${passed ? "it does" : `found ${show(input.finalAnswer)}`}.`,
      evidence: []
    }
  }
  const calls = agentCalls(input.toolCalls).filter((call) => call.name === tool)
  if (calls.length === 0) {
    return {
      passed: false,
      message: `Expected a result of ${tool} to ${expectation}; ${tool} was not called.`,
      evidence: []
    }
  }
  const hits = calls.filter((call) => test(resultTextOf(call)))
  return hits.length > 0
    ? {
        passed: true,
        message: `Expected a result of ${tool} to ${expectation}; ${plural(hits.length, "call")} of ${calls.length} did.`,
        evidence: ids(hits)
      }
    : {
        passed: false,
        message: `Expected a result of ${tool} to ${expectation}; none of its ${plural(calls.length, "call")} did (last result: ${show(resultTextOf(calls[calls.length - 1]!))}).`,
        evidence: ids(calls)
      }
}

/**
 * JSONPath over the structured content of the tool's last successful agent call. With neither
 * `exists` nor `equals` given, the path must exist. `equals` compares the single match, or the
 * array of all matches when the path selects several (either form passes).
 */
const jsonPath = (
  a: Extract<Assertion, { type: "result_json_path" }>,
  calls: ReadonlyArray<ToolCall>
): Outcome => {
  const ok = agentCalls(calls).filter((call) => call.name === a.tool && succeeded(call))
  const call = ok[ok.length - 1]
  if (call === undefined) {
    return {
      passed: false,
      message: `Expected a successful call of ${a.tool} to check ${a.path}; found none.`,
      evidence: []
    }
  }
  if (call.structuredContent === undefined || call.structuredContent === null) {
    return {
      passed: false,
      message: `Expected structuredContent on the last successful call of ${a.tool} to check ${a.path}; it has none.`,
      evidence: [call.id]
    }
  }
  let matches: unknown[]
  try {
    matches = queryJsonPath(a.path, call.structuredContent)
  } catch (e) {
    return {
      passed: false,
      message: `Invalid JSONPath ${a.path}: ${e instanceof Error ? e.message : String(e)}.`,
      evidence: [call.id]
    }
  }
  const hasEquals = a.equals !== undefined
  const wantExists = a.exists ?? (hasEquals ? undefined : true)
  const found = matches.length === 0 ? "nothing" : show(matches.length === 1 ? matches[0] : matches)
  if (wantExists !== undefined && wantExists !== matches.length > 0) {
    return {
      passed: false,
      message: `Expected ${a.path} ${wantExists ? "to exist" : "not to exist"} in the result of ${a.tool}; found ${found}.`,
      evidence: [call.id]
    }
  }
  if (hasEquals) {
    const passed =
      (matches.length === 1 && deepEqual(matches[0], a.equals)) ||
      (matches.length > 0 && deepEqual(matches, a.equals))
    return {
      passed,
      message: `Expected ${a.path} in the result of ${a.tool} to equal ${show(a.equals)}; found ${found}.`,
      evidence: [call.id]
    }
  }
  return {
    passed: true,
    message: `Expected ${a.path} ${wantExists ? "to exist" : "not to exist"} in the result of ${a.tool}; found ${found}.`,
    evidence: [call.id]
  }
}

/**
 * `per_call`: every call that reached the server (optionally only of `tool`) is within the bound.
 * `total`: the sum of those calls' durations — the server's time, not the run's wall clock, which
 * is dominated by the model and says nothing about the server under test.
 */
const maxLatency = (a: Extract<Assertion, { type: "max_latency_ms" }>, input: TraceInput): Outcome => {
  const calls = input.toolCalls.filter(
    (call) => reachedServer(call) && (a.tool === undefined || call.name === a.tool)
  )
  const of = a.tool === undefined ? "" : ` of ${a.tool}`
  if (a.scope === "total") {
    const total = calls.reduce((sum, call) => sum + call.durationMs, 0)
    const wall = input.durationMs != null ? `; the run took ${input.durationMs} ms` : ""
    return {
      passed: total <= a.max,
      message: `Expected total tool latency${of} of at most ${a.max} ms; found ${total} ms over ${plural(calls.length, "call")}${wall}.`,
      evidence: total <= a.max ? [] : ids(calls)
    }
  }
  if (calls.length === 0) {
    return {
      passed: true,
      message: `Expected every call${of} within ${a.max} ms; there were no calls${of}.`,
      evidence: []
    }
  }
  const slow = calls.filter((call) => call.durationMs > a.max)
  const slowest = Math.max(...calls.map((call) => call.durationMs))
  return slow.length === 0
    ? {
        passed: true,
        message: `Expected every call${of} within ${a.max} ms; the slowest took ${slowest} ms.`,
        evidence: []
      }
    : {
        passed: false,
        message: `Expected every call${of} within ${a.max} ms; ${plural(slow.length, "call")} exceeded it: ${slow.map((call) => `${call.name} (${call.id}) ${call.durationMs} ms`).join(", ")}.`,
        evidence: ids(slow)
      }
}

/**
 * Partial deep match: every key of `expected` must match the same key of `actual`; nested
 * objects match partially too, arrays element by element with the same length, anything else
 * by equality.
 */
const partialMatch = (expected: unknown, actual: unknown): boolean => {
  if (isRecord(expected)) {
    if (!isRecord(actual)) return false
    return Object.keys(expected).every(
      (key) => Object.hasOwn(actual, key) && partialMatch(expected[key], actual[key])
    )
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, i) => partialMatch(item, actual[i]))
    )
  }
  return Object.is(expected, actual) || (expected === 0 && actual === 0)
}
