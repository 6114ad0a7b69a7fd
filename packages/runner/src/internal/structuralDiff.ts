/**
 * Structural difference of two JSON values, as a list of paths. Text content that holds JSON is
 * compared as JSON, so a reordered or reformatted object is not a change but a new field is.
 */

export interface Change {
  /** JSONPath-like location (`$.content[0].text.status`). */
  readonly path: string
  readonly kind: "added" | "removed" | "changed"
  readonly before?: unknown
  readonly after?: unknown
}

const maxChanges = 50

const parsed = (v: unknown): unknown => {
  if (typeof v !== "string") return v
  const t = v.trim()
  if (!(t.startsWith("{") || t.startsWith("["))) return v
  try {
    return JSON.parse(t)
  } catch {
    return v
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/** Every difference between `before` and `after` (at most 50). */
export const diff = (before: unknown, after: unknown, path = "$"): ReadonlyArray<Change> => {
  const out: Change[] = []
  const go = (a: unknown, b: unknown, p: string) => {
    if (out.length >= maxChanges) return
    a = parsed(a)
    b = parsed(b)
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (i >= a.length) out.push({ path: `${p}[${i}]`, kind: "added", after: b[i] })
        else if (i >= b.length) out.push({ path: `${p}[${i}]`, kind: "removed", before: a[i] })
        else go(a[i], b[i], `${p}[${i}]`)
      }
      return
    }
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        const sub = /^[A-Za-z_$][\w$]*$/.test(key) ? `${p}.${key}` : `${p}[${JSON.stringify(key)}]`
        if (!(key in b)) out.push({ path: sub, kind: "removed", before: a[key] })
        else if (!(key in a)) out.push({ path: sub, kind: "added", after: b[key] })
        else go(a[key], b[key], sub)
      }
      return
    }
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b)))
      out.push({ path: p, kind: "changed", before: a, after: b })
  }
  go(before, after, path)
  return out
}
