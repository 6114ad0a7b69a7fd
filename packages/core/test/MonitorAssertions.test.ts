import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schema } from "effect"
import { parse as parseYaml } from "yaml"
import * as ConfigFile from "../src/ConfigFile.js"
import { MonitorSpec } from "../src/domain/Monitor.js"
import {
  type MonitorAssertion,
  MonitorAssertion as MonitorAssertionSchema
} from "../src/domain/MonitorAssertion.js"
import type { ValidationFailed } from "../src/Errors.js"
import * as Monitors from "../src/Monitors.js"
import type { AlertSink } from "../src/ports/AlertSink.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import * as Servers from "../src/Servers.js"
import { decode } from "../src/Validation.js"
import {
  callerOf,
  connectorLayer,
  fakeServer,
  sinkLayer,
  sinkState,
  type TestServices,
  testLayer
} from "./useCaseSupport.js"

const editor = callerOf("editor")

const order = { id: "ord-1", status: "shipped", total: 20, items: [{ sku: "w", qty: 2 }], note: "fragile" }
/** A result as a tool returns it: the JSON as text and as structuredContent. */
const result = (structured: unknown = order) => ({
  content: [{ type: "text", text: JSON.stringify(structured) }],
  structuredContent: structured
})

const assertion = (input: unknown): MonitorAssertion =>
  Schema.decodeUnknownSync(MonitorAssertionSchema)(input)
const check = (input: unknown, r: Monitors.CheckedResult = result(), secrets: ReadonlyArray<string> = []) =>
  Monitors.checkAssertions([assertion(input)], r, { secrets })

/** Field errors of a monitor spec with these assertions, as `create` and `update` report them. */
const definitionErrors = (assertions: ReadonlyArray<unknown>, nextSteps: ReadonlyArray<unknown> = []) => {
  const exit = Effect.runSyncExit(
    decode(MonitorSpec)({ name: "m", mcpServerId: "s", toolName: "t", assertions, nextSteps })
  )
  if (Exit.isSuccess(exit)) return []
  if (exit.cause._tag !== "Fail") throw new Error("expected a failure")
  return (exit.cause.error as ValidationFailed).fieldErrors
}

describe("monitor assertions: each kind passes, and fails naming itself, the path and the value", () => {
  const table: ReadonlyArray<readonly [string, unknown, unknown, ReadonlyArray<string>]> = [
    [
      "jsonPath equals",
      { type: "jsonPath", path: "$.status", equals: "shipped" },
      { type: "jsonPath", path: "$.status", equals: "delivered" },
      ['assertions[0] jsonPath ($.status equals "delivered"): found "shipped"']
    ],
    [
      "jsonPath equals (deep, key order free)",
      { type: "jsonPath", path: "$.items[0]", equals: { qty: 2, sku: "w" } },
      { type: "jsonPath", path: "$.items[0]", equals: { sku: "w", qty: 3 } },
      ['found {"sku":"w","qty":2}']
    ],
    [
      "jsonPath matches",
      { type: "jsonPath", path: "$.id", matches: "^ORD-\\d+$", flags: "i" },
      { type: "jsonPath", path: "$.id", matches: "^inv-" },
      ['assertions[0] jsonPath ($.id matches /^inv-/): found "ord-1"']
    ],
    [
      "jsonPath exists (the default)",
      { type: "jsonPath", path: "$.note" },
      { type: "jsonPath", path: "$.tracking" },
      ["assertions[0] jsonPath ($.tracking exists): found nothing at the path"]
    ],
    [
      "jsonPath absent",
      { type: "jsonPath", path: "$.error", absent: true },
      { type: "jsonPath", path: "$.note", absent: true },
      ['assertions[0] jsonPath ($.note is absent): found "fragile"']
    ],
    [
      "textContains",
      { type: "textContains", text: "shipped" },
      { type: "textContains", text: "cancelled" },
      ['assertions[0] textContains (text contains "cancelled"): found text "{\\"id\\":\\"ord-1\\"']
    ],
    [
      "textMatches",
      { type: "textMatches", pattern: '"total":\\s*\\d+' },
      { type: "textMatches", pattern: "refund(ed)?", flags: "i" },
      ["assertions[0] textMatches (text matches /refund(ed)?/i): found text"]
    ],
    [
      "numberInRange",
      { type: "numberInRange", path: "$.total", min: 1, max: 100 },
      { type: "numberInRange", path: "$.total", max: 10 },
      ["assertions[0] numberInRange ($.total is a number at most 10): found 20"]
    ],
    [
      "arrayLength",
      { type: "arrayLength", path: "$.items", min: 1 },
      { type: "arrayLength", path: "$.items", min: 2, max: 5 },
      [
        "assertions[0] arrayLength ($.items is an array of length between 2 and 5): found an array of length 1"
      ]
    ],
    [
      "jsonSchema",
      {
        type: "jsonSchema",
        schema: { type: "object", required: ["id", "total"], properties: { total: { type: "number" } } }
      },
      { type: "jsonSchema", path: "$.items[0]", schema: { properties: { qty: { type: "string" } } } },
      ["assertions[0] jsonSchema ($.items[0] matches the JSON Schema): /qty must be string (found 2)"]
    ]
  ]
  for (const [name, passing, failing, messages] of table) {
    it(name, () => {
      expect(check(passing)).toBeNull()
      const failure = check(failing)
      expect(failure?.reason).toBe("assertion_failed")
      for (const m of messages) expect(failure?.message).toContain(m)
    })
  }

  it("a path that finds nothing fails numberInRange, arrayLength and jsonSchema", () => {
    for (const a of [
      { type: "numberInRange", path: "$.missing", min: 0 },
      { type: "arrayLength", path: "$.missing", min: 0 },
      { type: "jsonSchema", path: "$.missing", schema: {} }
    ]) {
      expect(check(a)?.message).toContain("found nothing at the path")
    }
  })

  it("numberInRange refuses a number in a string; arrayLength refuses a non-array", () => {
    expect(check({ type: "numberInRange", path: "$.n", min: 0 }, result({ n: "5" }))?.message).toContain(
      'found "5"'
    )
    expect(check({ type: "arrayLength", path: "$.status", max: 9 })?.message).toContain(
      'found "shipped", not one array'
    )
  })

  it("a path selecting several values compares them as an array; every one must fit the range or pattern", () => {
    expect(check({ type: "jsonPath", path: "$.xs[*]", equals: [1, 2] }, result({ xs: [1, 2] }))).toBeNull()
    expect(
      check({ type: "numberInRange", path: "$.xs[*]", max: 1 }, result({ xs: [1, 2] }))?.message
    ).toContain("found [1,2]")
    expect(
      check({ type: "jsonPath", path: "$.xs[*]", matches: "^a" }, result({ xs: ["ab", "ac"] }))
    ).toBeNull()
  })

  it("without structuredContent, paths read the result text parsed as JSON; plain text fails saying so", () => {
    const text = (t: string) => ({ content: [{ type: "text", text: t }] })
    expect(check({ type: "jsonPath", path: "$.ok", equals: true }, text('{"ok": true}'))).toBeNull()
    expect(check({ type: "jsonPath", path: "$.ok" }, text("all good"))?.message).toContain(
      "the result has no structuredContent and its text is not JSON"
    )
    expect(check({ type: "textContains", text: "good" }, text("all good"))).toBeNull()
  })

  it("names every failed assertion by index and its step's field; passing ones are not mentioned", () => {
    const failure = Monitors.checkAssertions(
      [
        assertion({ type: "textContains", text: "ord-1" }),
        assertion({ type: "jsonPath", path: "$.status", equals: "lost" }),
        assertion({ type: "numberInRange", path: "$.total", min: 50 })
      ],
      result(),
      { root: "nextSteps[0].assertions" }
    )
    expect(failure?.message).toMatch(/^assertion_failed: nextSteps\[0\]\.assertions\[1\] jsonPath/)
    expect(failure?.message).toContain("nextSteps[0].assertions[2] numberInRange")
    expect(failure?.message).not.toContain("assertions[0]")
    expect(Monitors.checkAssertions([], result())).toBeNull()
  })

  it("compiled patterns and schemas are reused: the same pattern with other flags, or an edited schema, is its own", () => {
    // Each twice: the second answer comes from the caches and must equal the first.
    for (let i = 0; i < 2; i++) {
      expect(check({ type: "textMatches", pattern: "SHIPPED" })).not.toBeNull()
      expect(check({ type: "textMatches", pattern: "SHIPPED", flags: "i" })).toBeNull()
      expect(check({ type: "jsonSchema", schema: { type: "object", required: ["id"] } })).toBeNull()
      expect(check({ type: "jsonSchema", schema: { type: "object", required: ["missing"] } })).not.toBeNull()
    }
    const schema = { type: "object", properties: { total: { type: "number" } } }
    expect(Monitors.checkOutputSchema("t", schema, result())).toBeNull()
    expect(Monitors.checkOutputSchema("t", schema, result({ total: "ten" }))).not.toBeNull()
  })

  it("the actual value is redacted (known secrets and credential shapes) before it is truncated", () => {
    const secret = "s3cr3t-value-of-the-profile"
    const key = `sk-${"a".repeat(30)}`
    const failure = check(
      { type: "jsonPath", path: "$", equals: "x" },
      result({ token: secret, key, filler: "y".repeat(500) }),
      [secret]
    )
    expect(failure?.message).not.toContain(secret)
    expect(failure?.message).not.toContain(key)
    expect(failure?.message).toContain("[REDACTED]")
    expect(failure?.message).toContain("…")
    expect(failure!.message.length).toBeLessThan(400)
  })
})

describe("outputSchema validation of structuredContent", () => {
  const outputSchema = {
    type: "object",
    properties: { id: { type: "string" }, total: { type: "number" } },
    required: ["id", "total"]
  }
  it("passes conforming content; no declared schema checks nothing", () => {
    expect(Monitors.checkOutputSchema("get_order", outputSchema, result())).toBeNull()
    expect(Monitors.checkOutputSchema("get_order", undefined, { content: [] })).toBeNull()
  })
  it("a violation is output_schema_violation naming the tool, the pointer and the value", () => {
    const failure = Monitors.checkOutputSchema("get_order", outputSchema, result({ id: 7, total: "ten" }))
    expect(failure?.reason).toBe("output_schema_violation")
    expect(failure?.message).toMatch(/^output_schema_violation: the structuredContent of get_order/)
    expect(failure?.message).toContain("/id must be string (found 7)")
    expect(failure?.message).toContain('/total must be number (found "ten")')
    const missing = Monitors.checkOutputSchema("get_order", outputSchema, result({ id: "ord-1" }))
    expect(missing?.message).toContain("(root) is missing required property total")
  })
  it("a declared schema with no structuredContent is a violation", () => {
    const failure = Monitors.checkOutputSchema("get_order", outputSchema, {
      content: [{ type: "text", text: "{}" }]
    })
    expect(failure?.message).toContain("declares an outputSchema but returned no structuredContent")
  })
  it("a server schema Ajv cannot compile checks nothing (not the monitor's fault)", () => {
    expect(Monitors.checkOutputSchema("t", { type: "nope" }, result())).toBeNull()
  })
  it("a 2020-12 dialect marker is accepted", () => {
    const withDialect = { $schema: "https://json-schema.org/draft/2020-12/schema", ...outputSchema }
    expect(Monitors.checkOutputSchema("t", withDialect, result())).toBeNull()
  })
})

describe("Monitors.outcomeOf with a failed result check", () => {
  it("is fail, and error still wins over it", () => {
    const monitor = { timeoutMs: 1000, degradedAboveMs: 10 }
    const base = { isError: false, latencyMs: 50, timedOut: false, transportError: false }
    expect(Monitors.outcomeOf({ ...base, resultFailed: true }, monitor)).toBe("fail")
    expect(Monitors.outcomeOf({ ...base, resultFailed: false }, monitor)).toBe("degraded")
    expect(Monitors.outcomeOf({ ...base, resultFailed: true, transportError: true }, monitor)).toBe("error")
  })
})

describe("assertion definitions are checked when a monitor is decoded", () => {
  it("bad regex, JSONPath, JSON Schema and bounds are validation_failed naming the field", () => {
    const errors = definitionErrors(
      [
        { type: "textContains", text: "ok" },
        { type: "textMatches", pattern: "(unclosed" },
        { type: "jsonPath", path: "$.items[", equals: 1 },
        { type: "jsonPath", path: "$.items[?(@.qty >)]" },
        { type: "jsonPath", path: "status" },
        { type: "jsonPath", path: "$.id", matches: "[a-" },
        { type: "jsonSchema", schema: { type: "bogus" } },
        { type: "numberInRange", path: "$.total" },
        { type: "arrayLength", path: "$.items", min: 3, max: 1 },
        { type: "jsonPath", path: "$.id", equals: "x", absent: true },
        { type: "textMatches", pattern: "a", flags: "g" },
        { type: "jsonPath", path: "$.id", flags: "i" },
        { type: "responseTime" }
      ],
      [{ toolName: "u", assertions: [{ type: "textMatches", pattern: "*" }] }]
    )
    const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]))
    expect(Object.keys(byField).sort()).toEqual(
      [
        "assertions[1].pattern",
        "assertions[2].path",
        "assertions[3].path",
        "assertions[4].path",
        "assertions[5].matches",
        "assertions[6].schema",
        "assertions[7].min",
        "assertions[8].max",
        "assertions[9].absent",
        "assertions[10].flags",
        "assertions[11].flags",
        "assertions[12].type",
        "nextSteps[0].assertions[0].pattern"
      ].sort()
    )
    expect(byField["assertions[1].pattern"]).toMatch(/^is not a valid regular expression/)
    expect(byField["assertions[2].path"]).toMatch(/^is not a valid JSONPath/)
    expect(byField["assertions[3].path"]).toMatch(/^is not a valid JSONPath/)
    expect(byField["assertions[4].path"]).toContain("must start with $")
    expect(byField["assertions[6].schema"]).toMatch(/^is not a valid JSON Schema/)
  })

  it("good definitions decode, with equals: null and exists: false allowed", () => {
    expect(
      definitionErrors([
        { type: "jsonPath", path: "$.a", equals: null },
        { type: "jsonPath", path: "$.a", exists: false },
        { type: "jsonPath", path: "$.items[?(@.qty > 1)].sku", matches: "^w", flags: "i" },
        {
          type: "jsonSchema",
          schema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" }
        },
        { type: "numberInRange", path: "$.n", min: -1.5 },
        { type: "arrayLength", path: "$.xs", max: 0 }
      ])
    ).toEqual([])
  })
})

describe("user patterns run in linear time (RE2)", () => {
  // With JavaScript's backtracking engine each of these takes longer than the test timeout on
  // this text; a worker shared by every organization's checks must never run one.
  const text = `${"a".repeat(5_000)}!`
  const catastrophic = ["(a+)+$", "(a|aa)+$", "(a*)*b", "^(\\w+\\s?)*$"]

  it.each(catastrophic)("%s answers at once on a long result", (pattern) => {
    const failure = check({ type: "textMatches", pattern }, { content: [{ type: "text", text }] })
    expect(failure?.message).toContain("textMatches")
    expect(
      check({ type: "jsonPath", path: "$.note", matches: pattern }, result({ note: text }))?.message
    ).toContain("found")
  })

  it("backreferences and lookaround are refused when saved, naming the field", () => {
    const errors = definitionErrors([
      { type: "textMatches", pattern: "(a)\\1" },
      { type: "jsonPath", path: "$.a", matches: "x(?=y)" },
      { type: "textMatches", pattern: "(?<!x)y" }
    ])
    expect(errors.map((e) => e.field)).toEqual([
      "assertions[0].pattern",
      "assertions[1].matches",
      "assertions[2].pattern"
    ])
    for (const e of errors) expect(e.message).toMatch(/^is not a valid regular expression \(RE2 syntax/)
  })

  it("flags i, m and s keep their JavaScript meaning; named groups translate", () => {
    const lines = { content: [{ type: "text", text: "first\nSecond line" }] }
    expect(check({ type: "textMatches", pattern: "^second", flags: "im" }, lines)).toBeNull()
    expect(check({ type: "textMatches", pattern: "^second", flags: "i" }, lines)).not.toBeNull()
    expect(check({ type: "textMatches", pattern: "first.Second", flags: "s" }, lines)).toBeNull()
    expect(check({ type: "textMatches", pattern: "first.Second" }, lines)).not.toBeNull()
    expect(check({ type: "textMatches", pattern: "(?<word>Sec)ond" }, lines)).toBeNull()
  })
})

describe("Monitors.create and update with assertions", () => {
  const run = <A, E>(effect: Effect.Effect<A, E, TestServices<McpConnector | AlertSink>>) =>
    effect.pipe(Effect.provide(testLayer(Layer.merge(connectorLayer(fakeServer()), sinkLayer(sinkState())))))
  const registered = Effect.map(
    Servers.register(editor, { name: "Weather", baseUrl: "https://weather.example.com/mcp" }),
    (r) => r.server
  )
  const spec = (serverId: string, extra: object = {}) => ({
    name: "weather",
    mcpServerId: serverId,
    toolName: "get_weather",
    arguments: { city: "Oslo", units: "metric" },
    ...extra
  })

  it.effect("stores assertions; a refused create or update writes nothing", () =>
    run(
      Effect.gen(function* () {
        const server = yield* registered
        const bad = yield* Effect.exit(
          Monitors.create(
            editor,
            spec(server.id, {
              assertions: [
                { type: "textContains", text: "C" },
                { type: "textMatches", pattern: "(" }
              ]
            })
          )
        )
        expect(Exit.isFailure(bad)).toBe(true)
        if (Exit.isFailure(bad) && bad.cause._tag === "Fail") {
          const error = bad.cause.error as ValidationFailed
          expect(error.code).toBe("validation_failed")
          expect(error.fieldErrors.map((f) => f.field)).toEqual(["assertions[1].pattern"])
        }
        expect((yield* Monitors.list(editor)).items).toEqual([])

        const assertions = [{ type: "numberInRange", path: "$.temperature", min: -60, max: 60 }]
        const created = yield* Monitors.create(editor, spec(server.id, { assertions }))
        expect(created.assertions).toEqual(assertions)
        expect((yield* Monitors.get(editor, created.id)).assertions).toEqual(assertions)

        const refused = yield* Effect.exit(
          Monitors.update(editor, created.id, { assertions: [{ type: "jsonSchema", schema: { type: 3 } }] })
        )
        expect(Exit.isFailure(refused)).toBe(true)
        expect((yield* Monitors.get(editor, created.id)).assertions).toEqual(assertions)

        // An update that leaves assertions out keeps them.
        const renamed = yield* Monitors.update(editor, created.id, { name: "weather 2" })
        expect(renamed.assertions).toEqual(assertions)
      })
    )
  )
})

describe("monitoring-as-code files take assertions on monitors", () => {
  const example = () =>
    parseYaml(readFileSync(new URL("../../../examples/armature.config.yaml", import.meta.url), "utf8"))

  it.effect("the example file's assertions decode", () =>
    Effect.gen(function* () {
      const config = yield* ConfigFile.parse(example())
      expect(config.monitors[0]!.assertions.map((a) => a.type)).toEqual([
        "jsonPath",
        "jsonPath",
        "numberInRange",
        "arrayLength"
      ])
      expect(config.monitors[1]!.assertions).toEqual([])
    })
  )

  it.effect("a bad assertion is named as in the file", () =>
    Effect.gen(function* () {
      const input = example()
      input.monitors[1].assertions = [
        { type: "textContains", text: "mug" },
        { type: "textMatches", pattern: "[" }
      ]
      input.monitors[1].nextSteps = [
        { toolName: "get_order", assertions: [{ type: "jsonPath", path: "orderId", exists: true }] }
      ]
      const error = yield* Effect.flip(ConfigFile.parse(input))
      expect(error.fieldErrors.map((f) => f.field)).toEqual([
        "monitors[1].assertions[1].pattern",
        "monitors[1].nextSteps[0].assertions[0].path"
      ])
    })
  )
})
