/**
 * Monitor assertions (SPEC §5): deterministic checks on one step's tool result, tagged by
 * `type`. Paths are JSONPath over the result's `structuredContent` (or, without it, its text
 * parsed as JSON); text checks see the text items joined by newlines plus the JSON of
 * `structuredContent`. Definitions are checked on decode, so a bad regular expression, JSONPath
 * or JSON Schema is a `validation_failed` naming the field (`assertions[1].pattern`).
 * Workflows keep their own trace assertions (`Assertion` in Workflow.ts).
 */
import { Schema } from "effect"
import { regexProblem } from "../internal/jsonQuery.js"
import { jsonPathProblem, jsonSchemaProblem } from "../internal/resultChecks.js"
import { JsonObject } from "./Common.js"

/** A JSONPath from the root: `$.status`, `$.items[0].id`, `$.items[?(@.qty > 1)]`. */
export const JsonPathExpression = Schema.String.pipe(
  Schema.maxLength(1000),
  Schema.filter((path) => jsonPathProblem(path) ?? true)
)

const flags = Schema.optional(
  Schema.String.pipe(Schema.pattern(/^[imsu]*$/, { message: () => "may only hold the flags i, m, s and u" }))
)

const given = (v: unknown) => v !== undefined

/** A value at a path: `equals` (deep equality), `matches` (regex), `exists` (the default) or `absent`. */
export const JsonPathAssertion = Schema.Struct({
  type: Schema.Literal("jsonPath"),
  path: JsonPathExpression,
  /** The single match, or the array of all matches when the path selects several. */
  equals: Schema.optional(Schema.Unknown),
  /** Every match (strings as they are, other values as JSON) matches this regular expression. */
  matches: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  flags,
  exists: Schema.optional(Schema.Boolean),
  absent: Schema.optional(Schema.Boolean)
}).pipe(
  Schema.filter((a) => {
    const set = (["equals", "matches", "exists", "absent"] as const).filter((k) => given(a[k]))
    if (set.length > 1) return { path: [set[1]!], message: `only one of equals, matches, exists, absent` }
    if (a.flags !== undefined && a.matches === undefined) return { path: ["flags"], message: "needs matches" }
    if (a.matches !== undefined) {
      const problem = regexProblem(a.matches, a.flags)
      if (problem !== undefined) return { path: ["matches"], message: problem }
    }
    return true
  })
)

/** The result text contains `text` (case-sensitive). */
export const TextContainsAssertion = Schema.Struct({
  type: Schema.Literal("textContains"),
  text: Schema.String.pipe(Schema.minLength(1))
})

/** The result text matches a regular expression. */
export const TextMatchesAssertion = Schema.Struct({
  type: Schema.Literal("textMatches"),
  pattern: Schema.String.pipe(Schema.minLength(1)),
  flags
}).pipe(
  Schema.filter((a) => {
    const problem = regexProblem(a.pattern, a.flags)
    return problem === undefined ? true : { path: ["pattern"], message: problem }
  })
)

const bounds = <A extends { readonly min?: number | undefined; readonly max?: number | undefined }>(a: A) =>
  a.min === undefined && a.max === undefined
    ? { path: ["min"], message: "give min, max or both" }
    : a.min !== undefined && a.max !== undefined && a.min > a.max
      ? { path: ["max"], message: `must be at least min (${a.min})` }
      : true

/** Every value at the path is a number within `[min, max]`. */
export const NumberInRangeAssertion = Schema.Struct({
  type: Schema.Literal("numberInRange"),
  path: JsonPathExpression,
  min: Schema.optional(Schema.Number.pipe(Schema.finite())),
  max: Schema.optional(Schema.Number.pipe(Schema.finite()))
}).pipe(Schema.filter(bounds))

/** The path selects one array whose length is within `[min, max]`. */
export const ArrayLengthAssertion = Schema.Struct({
  type: Schema.Literal("arrayLength"),
  path: JsonPathExpression,
  min: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  max: Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
}).pipe(Schema.filter(bounds))

/** The value at the path (default `$`, the whole document) is valid against a JSON Schema. */
export const JsonSchemaAssertion = Schema.Struct({
  type: Schema.Literal("jsonSchema"),
  path: Schema.optional(JsonPathExpression),
  schema: JsonObject.pipe(Schema.filter((schema) => jsonSchemaProblem(schema) ?? true))
})

export const MonitorAssertion = Schema.Union(
  JsonPathAssertion,
  TextContainsAssertion,
  TextMatchesAssertion,
  NumberInRangeAssertion,
  ArrayLengthAssertion,
  JsonSchemaAssertion
)
export type MonitorAssertion = typeof MonitorAssertion.Type

export const MonitorAssertionType = Schema.Literal(
  "jsonPath",
  "textContains",
  "textMatches",
  "numberInRange",
  "arrayLength",
  "jsonSchema"
)
export type MonitorAssertionType = typeof MonitorAssertionType.Type

/** A step's assertions; all must hold for the check to pass. */
export const MonitorAssertions = Schema.Array(MonitorAssertion).pipe(Schema.maxItems(50))
