/**
 * JSON helpers shared by workflow trace assertions (`Assertions`) and monitor result assertions
 * (`internal/resultChecks`): JSONPath queries (jsonpath-plus, filter expressions in its "safe"
 * evaluator), linear-time regular expressions from a pattern and flags, structural equality, and the text of
 * a tool result.
 */
import { JSONPath } from "jsonpath-plus"
import { RE2JS } from "re2js"

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Every value `path` selects in `json` (none: an empty array). Throws on a path jsonpath-plus
 * cannot evaluate. "safe" evaluates filter expressions without running arbitrary code from the
 * author of the path.
 */
export const queryJsonPath = (path: string, json: unknown): unknown[] => {
  const found: unknown = JSONPath({ path, json: json as object, wrap: true, eval: "safe" })
  return Array.isArray(found) ? found : []
}

/** A compiled user pattern: whether it matches somewhere in a text. */
export interface Pattern {
  readonly test: (text: string) => boolean
}

const re2Flags: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL
}

/**
 * Compiled patterns by flags and source: every check of a monitor tests the same few patterns, and
 * compiling one (translation, parse, program) costs more than testing it. Bounded, oldest out;
 * invalid patterns are not kept (they throw before they are stored).
 */
const compiledPatterns = new Map<string, Pattern>()
const maxCompiledPatterns = 500

/**
 * A user's regular expression (assertions of monitors and workflows), compiled by RE2JS: its
 * matching time is linear in the text, so a pattern like `(a+)+$` on a long tool result cannot
 * stall the worker that every organization's checks share (with JavaScript's backtracking engine
 * it would). JavaScript syntax is translated (named groups, `\u{…}`); what needs backtracking —
 * backreferences, lookahead, lookbehind — is refused as invalid. Flags `i`, `m`, `s`; `u` is
 * always on and `g`/`y` mean nothing for a test. Throws when invalid.
 */
export const regexOf = (pattern: string, flags: string | undefined): Pattern => {
  const key = `${flags ?? ""}/${pattern}`
  const hit = compiledPatterns.get(key)
  if (hit !== undefined) return hit
  let mask = 0
  for (const f of flags ?? "") {
    if (!"imsugy".includes(f)) throw new Error(`unknown flag ${JSON.stringify(f)}`)
    mask |= re2Flags[f] ?? 0
  }
  const re = RE2JS.compile(RE2JS.translateRegExp(pattern), mask)
  const compiled: Pattern = { test: (text) => re.test(text) }
  compiledPatterns.set(key, compiled)
  if (compiledPatterns.size > maxCompiledPatterns)
    compiledPatterns.delete(compiledPatterns.keys().next().value!)
  return compiled
}

/** Why a pattern does not compile (or needs backtracking), or `undefined`. */
export const regexProblem = (pattern: string, flags: string | undefined): string | undefined => {
  try {
    regexOf(pattern, flags)
    return undefined
  } catch (e) {
    return `is not a valid regular expression (RE2 syntax: no backreferences or lookaround): ${e instanceof Error ? e.message : String(e)}`
  }
}

/** Structural equality of JSON values (key order does not matter). */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b) || (a === 0 && b === 0)) return true
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  if (isRecord(a)) {
    if (!isRecord(b)) return false
    const keys = Object.keys(a)
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    )
  }
  return false
}

/** Text of a tool result: text items of `content` joined by newlines, plus the JSON of `structuredContent`. */
export const resultText = (result: {
  readonly content: ReadonlyArray<unknown>
  readonly structuredContent?: unknown
}): string => {
  const parts: string[] = []
  for (const item of result.content) {
    if (isRecord(item) && item.type === "text" && typeof item.text === "string") parts.push(item.text)
  }
  if (result.structuredContent !== undefined && result.structuredContent !== null) {
    parts.push(JSON.stringify(result.structuredContent) ?? "")
  }
  return parts.join("\n")
}
