/**
 * JSON helpers shared by workflow trace assertions (`Assertions`) and monitor result assertions
 * (`internal/resultChecks`): JSONPath queries (jsonpath-plus, filter expressions in its "safe"
 * evaluator), regular expressions from a pattern and flags, structural equality, and the text of
 * a tool result.
 */
import { JSONPath } from "jsonpath-plus"

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

/** A regular expression from a pattern and flags; `g`/`y` are dropped (they make `test` stateful). Throws when invalid. */
export const regexOf = (pattern: string, flags: string | undefined): RegExp =>
  new RegExp(pattern, (flags ?? "").replace(/[gy]/g, ""))

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
