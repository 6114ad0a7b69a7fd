import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as Assertions from "../src/Assertions.js"
import type { ModelUsage, ToolCall } from "../src/domain/Run.js"
import { Assertion } from "../src/domain/Workflow.js"

let seq = 0
const call = (name: string, over: Partial<ToolCall> = {}): ToolCall => ({
  id: over.id ?? `c${++seq}`,
  phase: "agent",
  step: 1,
  name,
  arguments: {},
  content: [],
  isError: false,
  refused: false,
  error: null,
  startedAt: new Date("2025-01-01T00:00:00Z"),
  durationMs: 10,
  ...over
})
const text = (t: string) => [{ type: "text", text: t }]

/** Decodes an assertion as users write it, so defaults (`required`, `scope`) apply. */
const a = (input: unknown): Assertion => Schema.decodeUnknownSync(Assertion)(input)

const run = (
  assertion: unknown,
  toolCalls: ReadonlyArray<ToolCall>,
  extra: { finalAnswer?: string | null; usage?: ReadonlyArray<ModelUsage>; durationMs?: number | null } = {}
) => {
  const [result] = Assertions.evaluate([a(assertion)], {
    toolCalls,
    finalAnswer: extra.finalAnswer ?? null,
    usage: extra.usage ?? [],
    durationMs: extra.durationMs ?? null
  })
  return result!
}

describe("results", () => {
  it("index is the position, required and type are copied, messages are never empty", () => {
    const results = Assertions.evaluate(
      [a({ type: "no_tool_errors" }), a({ type: "max_tool_calls", max: 0, required: false })],
      { toolCalls: [call("x")], finalAnswer: null, usage: [] }
    )
    expect(results.map((r) => [r.index, r.type, r.required, r.passed])).toEqual([
      [0, "no_tool_errors", true, true],
      [1, "max_tool_calls", false, false]
    ])
    for (const r of results) expect(r.message.length).toBeGreaterThan(0)
  })

  it("no assertions give no results", () => {
    expect(Assertions.evaluate([], { toolCalls: [], finalAnswer: null, usage: [] })).toEqual([])
  })
})

describe("tool_called", () => {
  it("passes with at least one call when times is absent; evidence names the calls", () => {
    const r = run({ type: "tool_called", tool: "get" }, [call("get", { id: "a" }), call("get", { id: "b" })])
    expect(r.passed).toBe(true)
    expect(r.evidence).toEqual(["a", "b"])
  })

  it("fails when the tool was not called, saying what was expected and found", () => {
    const r = run({ type: "tool_called", tool: "get" }, [call("list")])
    expect(r.passed).toBe(false)
    expect(r.message).toContain("Expected at least one call of get")
    expect(r.message).toContain("found 0 calls")
  })

  it("args is a partial deep match: given keys must match, other keys are ignored", () => {
    const calls = [
      call("create", { id: "a", arguments: { sku: "X", qty: 2, address: { zip: "1", city: "B" } } })
    ]
    expect(run({ type: "tool_called", tool: "create", args: { sku: "X" } }, calls).passed).toBe(true)
    expect(run({ type: "tool_called", tool: "create", args: { address: { zip: "1" } } }, calls).passed).toBe(
      true
    )
    expect(run({ type: "tool_called", tool: "create", args: { sku: "Y" } }, calls).passed).toBe(false)
    expect(run({ type: "tool_called", tool: "create", args: { missing: null } }, calls).passed).toBe(false)
    expect(run({ type: "tool_called", tool: "create", args: { address: { zip: 1 } } }, calls).passed).toBe(
      false
    )
  })

  it("arrays in args match element by element with the same length", () => {
    const calls = [call("tag", { arguments: { tags: ["a", "b"] } })]
    expect(run({ type: "tool_called", tool: "tag", args: { tags: ["a", "b"] } }, calls).passed).toBe(true)
    expect(run({ type: "tool_called", tool: "tag", args: { tags: ["a"] } }, calls).passed).toBe(false)
  })

  it("args against non-object arguments does not match and does not throw", () => {
    const calls = [call("tag", { arguments: null }), call("tag", { arguments: "text" })]
    expect(run({ type: "tool_called", tool: "tag", args: { a: 1 } }, calls).passed).toBe(false)
  })

  it("times is the exact number of matching calls", () => {
    const calls = [
      call("create", { arguments: { sku: "X" } }),
      call("create", { arguments: { sku: "X" } }),
      call("create", { arguments: { sku: "Y" } })
    ]
    expect(run({ type: "tool_called", tool: "create", times: 3 }, calls).passed).toBe(true)
    expect(run({ type: "tool_called", tool: "create", times: 2 }, calls).passed).toBe(false)
    expect(run({ type: "tool_called", tool: "create", args: { sku: "X" }, times: 2 }, calls).passed).toBe(
      true
    )
    const r = run({ type: "tool_called", tool: "create", args: { sku: "Y" }, times: 2 }, calls)
    expect(r.passed).toBe(false)
    expect(r.message).toContain("found 1 matching call (of 3 calls of create)")
  })

  it("times: 0 passes only when no call matches", () => {
    expect(run({ type: "tool_called", tool: "delete", times: 0 }, [call("get")]).passed).toBe(true)
    expect(run({ type: "tool_called", tool: "delete", times: 0 }, [call("delete")]).passed).toBe(false)
  })

  it("refused calls and setup/teardown calls are not agent calls", () => {
    const calls = [
      call("get", { refused: true }),
      call("get", { phase: "setup", step: 0 }),
      call("get", { phase: "teardown", step: 0 })
    ]
    expect(run({ type: "tool_called", tool: "get" }, calls).passed).toBe(false)
  })

  it("a call that returned isError still counts as a call (outcomes are no_tool_errors' job)", () => {
    expect(run({ type: "tool_called", tool: "get" }, [call("get", { isError: true })]).passed).toBe(true)
  })
})

describe("tool_not_called", () => {
  it("passes when the agent made no call of the tool", () => {
    expect(run({ type: "tool_not_called", tool: "delete" }, [call("get")]).passed).toBe(true)
  })

  it("fails with the offending calls as evidence", () => {
    const r = run({ type: "tool_not_called", tool: "delete" }, [call("delete", { id: "d1" })])
    expect(r.passed).toBe(false)
    expect(r.evidence).toEqual(["d1"])
  })

  it("a refused attempt never reached the server: passes, but the message mentions it", () => {
    const r = run({ type: "tool_not_called", tool: "delete" }, [call("delete", { id: "d1", refused: true })])
    expect(r.passed).toBe(true)
    expect(r.message).toContain("1 refused attempt")
    expect(r.evidence).toEqual(["d1"])
  })

  it("a teardown call of the tool does not count", () => {
    expect(
      run({ type: "tool_not_called", tool: "delete" }, [call("delete", { phase: "teardown" })]).passed
    ).toBe(true)
  })
})

describe("tool_order", () => {
  const order = { type: "tool_order", tools: ["search", "create", "get"] }

  it("passes when the names appear in that relative order, with other calls in between", () => {
    const calls = [
      call("search", { id: "s" }),
      call("list"),
      call("create", { id: "c" }),
      call("search"),
      call("get", { id: "g" })
    ]
    const r = run(order, calls)
    expect(r.passed).toBe(true)
    expect(r.evidence).toEqual(["s", "c", "g"])
  })

  it("fails when the order is different, naming the first missing step", () => {
    const r = run(order, [call("create"), call("search"), call("get")])
    expect(r.passed).toBe(false)
    expect(r.message).toContain("create was not called after search")
  })

  it("fails when a name is missing entirely, and with no calls at all", () => {
    expect(run(order, [call("search"), call("create")]).passed).toBe(false)
    expect(run(order, []).message).toContain("no agent calls")
  })

  it("repeated names need repeated calls", () => {
    const twice = { type: "tool_order", tools: ["get", "get"] }
    expect(run(twice, [call("get")]).passed).toBe(false)
    expect(run(twice, [call("get"), call("x"), call("get")]).passed).toBe(true)
  })

  it("refused calls do not take a place in the order", () => {
    expect(run(order, [call("search"), call("create", { refused: true }), call("get")]).passed).toBe(false)
  })
})

describe("no_tool_errors", () => {
  it("passes when no call returned isError or failed in transport", () => {
    expect(run({ type: "no_tool_errors" }, [call("a"), call("b")]).passed).toBe(true)
    expect(run({ type: "no_tool_errors" }, []).passed).toBe(true)
  })

  it("fails on isError results and on transport errors, in any phase", () => {
    const r = run({ type: "no_tool_errors" }, [
      call("a", { id: "e1", isError: true }),
      call("b", { id: "e2", error: "timeout after 60s" }),
      call("c", { id: "e3", phase: "setup", isError: true }),
      call("d")
    ])
    expect(r.passed).toBe(false)
    expect(r.evidence).toEqual(["e1", "e2", "e3"])
    expect(r.message).toContain("timeout after 60s")
  })

  it("refused calls are policy decisions, not server errors", () => {
    expect(run({ type: "no_tool_errors" }, [call("a", { refused: true, isError: true })]).passed).toBe(true)
  })
})

describe("result_contains", () => {
  it("checks the final answer when no tool is named", () => {
    expect(
      run({ type: "result_contains", text: "order 42" }, [], { finalAnswer: "Created order 42." }).passed
    ).toBe(true)
    const r = run({ type: "result_contains", text: "order 43" }, [], { finalAnswer: "Created order 42." })
    expect(r.passed).toBe(false)
    expect(r.message).toContain("Created order 42.")
  })

  it("fails without a final answer", () => {
    const r = run({ type: "result_contains", text: "x" }, [], { finalAnswer: null })
    expect(r.passed).toBe(false)
    expect(r.message).toContain("no final answer")
  })

  it("checks text items of the tool's results and the JSON of structuredContent; any call may match", () => {
    const calls = [
      call("get", { id: "g1", content: text("nothing here") }),
      call("get", {
        id: "g2",
        content: [{ type: "image", data: "shipped" }, ...text("status:"), ...text("pending")]
      }),
      call("get", { id: "g3", content: [], structuredContent: { status: "shipped" } })
    ]
    const r = run({ type: "result_contains", tool: "get", text: '"status":"shipped"' }, calls)
    expect(r.passed).toBe(true)
    expect(r.evidence).toEqual(["g3"])
    expect(run({ type: "result_contains", tool: "get", text: "status:\npending" }, calls).passed).toBe(true)
  })

  it("non-text content items are not searched", () => {
    const calls = [call("get", { content: [{ type: "image", data: "secret-word" }] })]
    expect(run({ type: "result_contains", tool: "get", text: "secret-word" }, calls).passed).toBe(false)
  })

  it("fails when the tool was not called", () => {
    const r = run({ type: "result_contains", tool: "get", text: "x" }, [call("list", { content: text("x") })])
    expect(r.passed).toBe(false)
    expect(r.message).toContain("get was not called")
  })

  it("is case-sensitive", () => {
    expect(run({ type: "result_contains", text: "ORDER" }, [], { finalAnswer: "order" }).passed).toBe(false)
  })
})

describe("result_matches", () => {
  it("matches a regular expression with flags", () => {
    expect(
      run({ type: "result_matches", pattern: "order \\d+", flags: "i" }, [], { finalAnswer: "ORDER 42" })
        .passed
    ).toBe(true)
    expect(
      run({ type: "result_matches", pattern: "^order \\d+$" }, [], { finalAnswer: "order x" }).passed
    ).toBe(false)
  })

  it("an invalid regular expression fails with a message, never throws", () => {
    const r = run({ type: "result_matches", pattern: "(unclosed" }, [], { finalAnswer: "x" })
    expect(r.passed).toBe(false)
    expect(r.message).toContain("Invalid regular expression")
  })

  it("invalid flags (bypassing validation) fail with a message too", () => {
    const [r] = Assertions.evaluate([{ type: "result_matches", pattern: "x", flags: "zz", required: true }], {
      toolCalls: [],
      finalAnswer: "x",
      usage: []
    })
    expect(r!.passed).toBe(false)
    expect(r!.message).toContain("Invalid regular expression")
  })

  it("checks a named tool's results, passing when any call matches", () => {
    const calls = [
      call("get", { content: text("id: abc") }),
      call("get", { id: "m", content: text("id: 123") })
    ]
    const r = run({ type: "result_matches", tool: "get", pattern: "id: \\d+" }, calls)
    expect(r.passed).toBe(true)
    expect(r.evidence).toEqual(["m"])
  })
})

describe("result_json_path", () => {
  const order = (id: string, structuredContent: unknown, over: Partial<ToolCall> = {}) =>
    call("get_order", { id, structuredContent, ...over })

  it("exists (the default) passes when the path selects something", () => {
    expect(
      run({ type: "result_json_path", tool: "get_order", path: "$.id" }, [order("o", { id: 1 })]).passed
    ).toBe(true)
    const r = run({ type: "result_json_path", tool: "get_order", path: "$.missing" }, [order("o", { id: 1 })])
    expect(r.passed).toBe(false)
    expect(r.message).toContain("to exist")
  })

  it("exists: false passes when the path selects nothing", () => {
    const a = { type: "result_json_path", tool: "get_order", path: "$.error", exists: false }
    expect(run(a, [order("o", { id: 1 })]).passed).toBe(true)
    expect(run(a, [order("o", { error: "x" })]).passed).toBe(false)
  })

  it("equals is a deep equality on the selected value", () => {
    const calls = [order("o", { order: { id: 1, lines: [{ sku: "A" }], meta: { a: 1, b: 2 } } })]
    const check = (path: string, equals: unknown) =>
      run({ type: "result_json_path", tool: "get_order", path, equals }, calls).passed
    expect(check("$.order.id", 1)).toBe(true)
    expect(check("$.order.id", "1")).toBe(false)
    expect(check("$.order.meta", { b: 2, a: 1 })).toBe(true)
    expect(check("$.order.meta", { a: 1 })).toBe(false)
    expect(check("$.order.lines", [{ sku: "A" }])).toBe(true)
    expect(check("$.order.lines[*].sku", "A")).toBe(true)
    expect(check("$.order.lines[*].sku", ["A"])).toBe(true)
    expect(check("$.order.nothing", null)).toBe(false)
  })

  it("a path selecting several values compares their array", () => {
    const calls = [order("o", { items: [{ s: "a" }, { s: "b" }] })]
    expect(
      run({ type: "result_json_path", tool: "get_order", path: "$.items[*].s", equals: ["a", "b"] }, calls)
        .passed
    ).toBe(true)
    expect(
      run({ type: "result_json_path", tool: "get_order", path: "$.items[*].s", equals: "a" }, calls).passed
    ).toBe(false)
  })

  it("equals null matches a JSON null", () => {
    expect(
      run({ type: "result_json_path", tool: "get_order", path: "$.x", equals: null }, [
        order("o", { x: null })
      ]).passed
    ).toBe(true)
  })

  it("uses the last successful call of the tool", () => {
    const calls = [
      order("first", { status: "pending" }),
      order("second", { status: "shipped" }),
      order("failed", { status: "pending" }, { isError: true }),
      order("refused", { status: "pending" }, { refused: true })
    ]
    const r = run({ type: "result_json_path", tool: "get_order", path: "$.status", equals: "shipped" }, calls)
    expect(r.passed).toBe(true)
    expect(r.evidence).toEqual(["second"])
  })

  it("filter expressions work", () => {
    const calls = [
      order("o", {
        items: [
          { id: 1, ok: true },
          { id: 2, ok: false }
        ]
      })
    ]
    expect(
      run(
        { type: "result_json_path", tool: "get_order", path: "$.items[?(@.ok === false)].id", equals: 2 },
        calls
      ).passed
    ).toBe(true)
  })

  it("fails without a successful call or without structuredContent", () => {
    expect(
      run({ type: "result_json_path", tool: "get_order", path: "$.id" }, [
        order("o", { id: 1 }, { isError: true })
      ]).message
    ).toContain("found none")
    const r = run({ type: "result_json_path", tool: "get_order", path: "$.id" }, [order("o", undefined)])
    expect(r.passed).toBe(false)
    expect(r.message).toContain("no")
    expect(r.evidence).toEqual(["o"])
  })

  it("an invalid path fails with a message, never throws", () => {
    const r = run({ type: "result_json_path", tool: "get_order", path: "$.items[?(@.a ==" }, [
      order("o", { items: [{ a: 1 }] })
    ])
    expect(r.passed).toBe(false)
    expect(r.message).toContain("Invalid JSONPath")
  })

  it("filter scripts cannot run arbitrary code", () => {
    const r = run({ type: "result_json_path", tool: "get_order", path: "$.items[?(process.exit(1))]" }, [
      order("o", { items: [{ a: 1 }] })
    ])
    expect(r.passed).toBe(false)
    expect(r.message).toContain("Invalid JSONPath")
  })

  it("a structuredContent that is not an object selects nothing and does not throw", () => {
    expect(
      run({ type: "result_json_path", tool: "get_order", path: "$.a" }, [order("o", "text")]).passed
    ).toBe(false)
  })
})

describe("max_tool_calls", () => {
  it("counts agent calls that reached the server", () => {
    const calls = [call("a"), call("b"), call("c", { refused: true }), call("d", { phase: "setup" })]
    expect(run({ type: "max_tool_calls", max: 2 }, calls).passed).toBe(true)
    const r = run({ type: "max_tool_calls", max: 1 }, calls)
    expect(r.passed).toBe(false)
    expect(r.message).toContain("found 2")
  })

  it("max 0 passes with no calls", () => {
    expect(run({ type: "max_tool_calls", max: 0 }, []).passed).toBe(true)
  })
})

describe("max_latency_ms", () => {
  it("per_call (the default) requires every call within the bound, naming the slow ones", () => {
    const calls = [call("a", { durationMs: 100 }), call("b", { id: "slow", durationMs: 900 })]
    expect(run({ type: "max_latency_ms", max: 1000 }, calls).passed).toBe(true)
    const r = run({ type: "max_latency_ms", max: 500 }, calls)
    expect(r.passed).toBe(false)
    expect(r.evidence).toEqual(["slow"])
    expect(r.message).toContain("900 ms")
  })

  it("per_call with a tool only looks at that tool's calls", () => {
    const calls = [call("a", { durationMs: 100 }), call("b", { durationMs: 900 })]
    expect(run({ type: "max_latency_ms", max: 500, tool: "a" }, calls).passed).toBe(true)
  })

  it("per_call with no calls passes vacuously", () => {
    expect(run({ type: "max_latency_ms", max: 500, tool: "a" }, []).passed).toBe(true)
  })

  it("total sums the durations of the calls, whatever the run's wall clock", () => {
    const calls = [
      call("a", { durationMs: 300 }),
      call("b", { durationMs: 300 }),
      call("x", { durationMs: 999, refused: true })
    ]
    expect(
      run({ type: "max_latency_ms", max: 600, scope: "total" }, calls, { durationMs: 50_000 }).passed
    ).toBe(true)
    const r = run({ type: "max_latency_ms", max: 500, scope: "total" }, calls, { durationMs: 50_000 })
    expect(r.passed).toBe(false)
    expect(r.message).toContain("600 ms")
    expect(r.message).toContain("50000 ms")
    expect(run({ type: "max_latency_ms", max: 500, scope: "total", tool: "a" }, calls).passed).toBe(true)
  })

  it("setup and teardown calls count: they are the server's latency too", () => {
    const calls = [call("a", { phase: "setup", durationMs: 900 })]
    expect(run({ type: "max_latency_ms", max: 500 }, calls).passed).toBe(false)
  })
})

describe("max_tokens and max_cost_usd", () => {
  const usage: ModelUsage[] = [
    { model: "openai:gpt-5-mini", role: "tester", inputTokens: 1000, outputTokens: 200, costUsd: 0.1 },
    { model: "openai:gpt-5", role: "judge", inputTokens: 300, outputTokens: 50, costUsd: 0.2 }
  ]

  it("max_tokens sums input and output tokens over every usage entry", () => {
    expect(run({ type: "max_tokens", max: 1550 }, [], { usage }).passed).toBe(true)
    const r = run({ type: "max_tokens", max: 1549 }, [], { usage })
    expect(r.passed).toBe(false)
    expect(r.message).toContain("1550")
  })

  it("max_cost_usd sums costs over every usage entry; float noise (0.1 + 0.2) does not fail a budget of 0.3", () => {
    expect(run({ type: "max_cost_usd", max: 0.3 }, [], { usage }).passed).toBe(true)
    const r = run({ type: "max_cost_usd", max: 0.29 }, [], { usage })
    expect(r.passed).toBe(false)
    expect(r.message).toContain("found $0.3.")
  })

  it("no usage is zero", () => {
    expect(run({ type: "max_tokens", max: 1 }, []).passed).toBe(true)
    expect(run({ type: "max_cost_usd", max: 0.01 }, []).passed).toBe(true)
  })
})
