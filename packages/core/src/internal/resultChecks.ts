/**
 * Monitor result checks (SPEC §5): the assertions of a monitor step on its tool result, and the
 * `structuredContent` of a tool that declares an `outputSchema` against that schema. Pure: the
 * worker passes the result and the secrets to keep out of messages. Also the definition checks
 * the assertion schemas run when a monitor is saved (regular expression, JSONPath, JSON Schema).
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv"
import { JSONPath } from "jsonpath-plus"
import type { MonitorAssertion } from "../domain/MonitorAssertion.js"
import * as Redaction from "../Redaction.js"
import { deepEqual, isRecord, queryJsonPath, regexOf, resultText } from "./jsonQuery.js"

import { compilable } from "./monitorArgs.js"

// ajv is CommonJS: its class is the module's `default` under Node's ESM interop and bundlers alike.
const Ajv = AjvModule.default

/** As for monitor arguments: formats are not checked, unknown keywords are not errors. */
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false })

/** What a result check sees of a tool result. */
export interface CheckedResult {
  readonly content: ReadonlyArray<unknown>
  readonly structuredContent?: unknown
}

/** Why a result that is not `isError` still fails its check. */
export interface ResultFailure {
  readonly reason: "assertion_failed" | "output_schema_violation"
  /** Names the failed assertions (or the schema errors), paths and actual values; secrets redacted. */
  readonly message: string
}

/** Longest rendering of an actual value in a message, after redaction. */
export const maxShownValue = 200

const show = (value: unknown, secrets: ReadonlyArray<string>): string => {
  // Redacted before it is cut: a cut through a secret would leave its prefix unredacted.
  const text = Redaction.redactText(
    value === undefined ? "nothing" : (JSON.stringify(value) ?? String(value)),
    secrets
  )
  return text.length > maxShownValue ? `${text.slice(0, maxShownValue - 1)}…` : text
}

// ---------------------------------------------------------------------------------------------
// Definition checks (used by the schemas in domain/MonitorAssertion.ts)

/** Brackets, parentheses and quotes balance (jsonpath-plus silently ignores an unclosed `[`). */
const unbalanced = (path: string): boolean => {
  const stack: string[] = []
  let quote: string | null = null
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!
    if (quote !== null) {
      if (c === "\\") i++
      else if (c === quote) quote = null
    } else if (c === "'" || c === '"') quote = c
    else if (c === "[" || c === "(") stack.push(c)
    else if (c === "]" || c === ")") {
      if (stack.pop() !== (c === "]" ? "[" : "(")) return true
    }
  }
  return quote !== null || stack.length > 0
}

/**
 * Why a JSONPath cannot be evaluated, or `undefined`: it must start at the root (`$`), balance
 * its brackets, and every filter or script expression must parse in the safe evaluator.
 */
export const jsonPathProblem = (path: string): string | undefined => {
  if (!path.startsWith("$")) return "is not a JSONPath: it must start with $"
  if (unbalanced(path)) return "is not a valid JSONPath: unbalanced brackets, parentheses or quotes"
  try {
    queryJsonPath(path, {})
    // Expressions run only on members that exist: run each one on a sample member.
    for (const segment of JSONPath.toPathArray(path)) {
      if (segment.startsWith("?(") || segment.startsWith("(")) queryJsonPath(`$[${segment}]`, [{}])
    }
    return undefined
  } catch (e) {
    return `is not a valid JSONPath: ${e instanceof Error ? e.message : String(e)}`
  }
}

/** Compiled validators by schema text; a few hundred tool schemas at most in a worker. */
const compiled = new Map<string, ValidateFunction | null>()
const maxCompiled = 500

/**
 * The same schema object (a catalog's tool, a stored assertion) is checked on every check: found
 * by identity first, without serializing the schema to look it up by text. Held weakly, so it
 * lives no longer than the schema object.
 */
const bySchemaObject = new WeakMap<object, ValidateFunction | null>()

/** A validator for a JSON Schema, cached; `null` when Ajv cannot compile it. */
const validatorOf = (schema: { readonly [key: string]: unknown }): ValidateFunction | null => {
  const known = bySchemaObject.get(schema)
  if (known !== undefined) return known
  const validate = validatorOfText(schema)
  bySchemaObject.set(schema, validate)
  return validate
}

const validatorOfText = (schema: { readonly [key: string]: unknown }): ValidateFunction | null => {
  const key = JSON.stringify(schema)
  const hit = compiled.get(key)
  if (hit !== undefined) {
    compiled.delete(key)
    compiled.set(key, hit)
    return hit
  }
  let validate: ValidateFunction | null = null
  const copy = compilable(schema)
  try {
    validate = ajv.compile(copy)
  } catch {
    validate = null
  }
  // Ajv keeps its own cache by schema object; this map is the only one that should grow.
  ajv.removeSchema(copy)
  compiled.set(key, validate)
  if (compiled.size > maxCompiled) compiled.delete(compiled.keys().next().value!)
  return validate
}

/** Why a JSON Schema is not valid (draft-07 meta-schema, then compiling it), or `undefined`. */
export const jsonSchemaProblem = (schema: { readonly [key: string]: unknown }): string | undefined => {
  const copy = compilable(schema)
  if (!ajv.validateSchema(copy)) {
    return `is not a valid JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: "schema" })}`
  }
  try {
    ajv.compile(copy)
    return undefined
  } catch (e) {
    return `is not a valid JSON Schema: ${e instanceof Error ? e.message : String(e)}`
  } finally {
    ajv.removeSchema(copy)
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Ajv errors of `data` as `"/total must be number (found \"ten\")"`, at most `max`. */
const schemaErrors = (
  errors: ReadonlyArray<ErrorObject>,
  data: unknown,
  secrets: ReadonlyArray<string>,
  max = 3
): string => {
  const described = errors.slice(0, max).map((e) => {
    const params = e.params as { missingProperty?: string; additionalProperty?: string }
    const at = e.instancePath === "" ? "(root)" : e.instancePath
    if (e.keyword === "required") return `${at} is missing required property ${params.missingProperty}`
    if (e.keyword === "additionalProperties")
      return `${at} has unexpected property ${params.additionalProperty}`
    return `${at} ${e.message ?? `fails ${e.keyword}`} (found ${show(valueAtPointer(data, e.instancePath), secrets)})`
  })
  const more = errors.length > max ? `; ${errors.length - max} more` : ""
  return `${described.join("; ")}${more}`
}

const valueAtPointer = (data: unknown, pointer: string): unknown => {
  if (pointer === "") return data
  let node: unknown = data
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~")
    node = Array.isArray(node) ? node[Number(key)] : isRecord(node) ? node[key] : undefined
  }
  return node
}

/**
 * MCP clients must validate `structuredContent` against a tool's declared `outputSchema`: a
 * result without structured content, or with content the schema rejects, is a violation. A
 * schema Ajv cannot compile checks nothing (the server's schema is not the monitor's fault).
 */
export const checkOutputSchema = (
  toolName: string,
  outputSchema: { readonly [key: string]: unknown } | undefined,
  result: CheckedResult,
  secrets: ReadonlyArray<string> = []
): ResultFailure | null => {
  if (outputSchema === undefined) return null
  const validate = validatorOf(outputSchema)
  if (validate === null) return null
  if (result.structuredContent === undefined || result.structuredContent === null) {
    return {
      reason: "output_schema_violation",
      message: `output_schema_violation: ${toolName} declares an outputSchema but returned no structuredContent`
    }
  }
  if (validate(result.structuredContent)) return null
  return {
    reason: "output_schema_violation",
    message: `output_schema_violation: the structuredContent of ${toolName} does not match its outputSchema: ${schemaErrors(validate.errors ?? [], result.structuredContent, secrets)}`
  }
}

/** The JSON document paths are evaluated on: `structuredContent`, else the result text parsed as JSON. */
const documentOf = (result: CheckedResult): { readonly json: unknown } | null => {
  if (result.structuredContent !== undefined && result.structuredContent !== null) {
    return { json: result.structuredContent }
  }
  const text = resultText(result).trim()
  if (text === "") return null
  try {
    return { json: JSON.parse(text) as unknown }
  } catch {
    return null
  }
}

/** Several matches compare as the array of all of them, one as itself; none is `undefined`. */
const selected = (matches: ReadonlyArray<unknown>): unknown =>
  matches.length === 0 ? undefined : matches.length === 1 ? matches[0] : matches

const inRange = (n: number, min: number | undefined, max: number | undefined) =>
  (min === undefined || n >= min) && (max === undefined || n <= max)

const rangeText = (min: number | undefined, max: number | undefined) =>
  min !== undefined && max !== undefined
    ? `between ${min} and ${max}`
    : min !== undefined
      ? `at least ${min}`
      : `at most ${max}`

/** What one assertion expects, for its message and for `armature validate --explain`. */
export const describeAssertion = (a: MonitorAssertion): string => {
  switch (a.type) {
    case "jsonPath":
      return a.equals !== undefined
        ? `${a.path} equals ${JSON.stringify(a.equals)}`
        : a.matches !== undefined
          ? `${a.path} matches /${a.matches}/${a.flags ?? ""}`
          : a.absent === true || a.exists === false
            ? `${a.path} is absent`
            : `${a.path} exists`
    case "textContains":
      return `text contains ${JSON.stringify(a.text)}`
    case "textMatches":
      return `text matches /${a.pattern}/${a.flags ?? ""}`
    case "numberInRange":
      return `${a.path} is a number ${rangeText(a.min, a.max)}`
    case "arrayLength":
      return `${a.path} is an array of length ${rangeText(a.min, a.max)}`
    case "jsonSchema":
      return `${a.path ?? "$"} matches the JSON Schema`
  }
}

/** `null` when the assertion holds, else what was found instead. */
const failureOf = (
  a: MonitorAssertion,
  result: CheckedResult,
  secrets: ReadonlyArray<string>
): string | null => {
  if (a.type === "textContains" || a.type === "textMatches") {
    const text = resultText(result)
    const ok = a.type === "textContains" ? text.includes(a.text) : regexOf(a.pattern, a.flags).test(text)
    return ok ? null : `found text ${show(text, secrets)}`
  }
  const doc = documentOf(result)
  if (doc === null) return "the result has no structuredContent and its text is not JSON"
  const path = a.type === "jsonSchema" ? (a.path ?? "$") : a.path
  let matches: unknown[]
  try {
    matches = queryJsonPath(path, doc.json)
  } catch (e) {
    return `the path could not be evaluated: ${e instanceof Error ? e.message : String(e)}`
  }
  const value = selected(matches)
  // Built only for a failure: redacting the value (a dozen patterns) on every passing check was waste.
  const found = () => `found ${show(value, secrets)}`
  switch (a.type) {
    case "jsonPath": {
      if (a.absent === true || a.exists === false) return matches.length === 0 ? null : found()
      if (matches.length === 0) return "found nothing at the path"
      if (a.equals !== undefined) {
        const equal =
          (matches.length === 1 && deepEqual(matches[0], a.equals)) || deepEqual(matches, a.equals)
        return equal ? null : found()
      }
      if (a.matches !== undefined) {
        const re = regexOf(a.matches, a.flags)
        const textOf = (v: unknown) => (typeof v === "string" ? v : (JSON.stringify(v) ?? String(v)))
        return matches.every((m) => re.test(textOf(m))) ? null : found()
      }
      return null
    }
    case "numberInRange": {
      if (matches.length === 0) return "found nothing at the path"
      const ok = matches.every((m) => typeof m === "number" && Number.isFinite(m) && inRange(m, a.min, a.max))
      return ok ? null : found()
    }
    case "arrayLength": {
      if (matches.length === 0) return "found nothing at the path"
      if (matches.length > 1 || !Array.isArray(value)) return `${found()}, not one array`
      return inRange(value.length, a.min, a.max) ? null : `found an array of length ${value.length}`
    }
    case "jsonSchema": {
      if (matches.length === 0) return "found nothing at the path"
      const validate = validatorOf(a.schema)
      if (validate === null) return "the JSON Schema could not be compiled"
      return validate(value) ? null : schemaErrors(validate.errors ?? [], value, secrets)
    }
  }
}

/**
 * The assertions of one step on its (non-`isError`) result; `null` when all hold. The message
 * names every failed assertion by field (`assertions[1]`, `nextSteps[0].assertions[2]`) and
 * kind, what it expects and the actual value, redacted and truncated.
 */
export const checkAssertions = (
  assertions: ReadonlyArray<MonitorAssertion>,
  result: CheckedResult,
  options: { readonly root?: string; readonly secrets?: ReadonlyArray<string> } = {}
): ResultFailure | null => {
  const root = options.root ?? "assertions"
  const secrets = options.secrets ?? []
  const failed: string[] = []
  for (const [index, assertion] of assertions.entries()) {
    let failure: string | null
    try {
      failure = failureOf(assertion, result, secrets)
    } catch (e) {
      // Definitions are checked when saved; a stored one that still throws fails, never crashes.
      failure = `could not be evaluated: ${e instanceof Error ? e.message : String(e)}`
    }
    if (failure !== null) {
      failed.push(
        `${root}[${index}] ${assertion.type} (${Redaction.redactText(describeAssertion(assertion), secrets)}): ${failure}`
      )
    }
  }
  if (failed.length === 0) return null
  return {
    reason: "assertion_failed",
    message: `assertion_failed: ${failed.join("; ")}`
  }
}
