/**
 * Canonical form and content hash of a tool catalog (SPEC §1, §2): a new catalog version is
 * stored only when the hash changes, so the hash must not depend on the order in which a server
 * lists its tools or the order of keys inside their schemas.
 */
import { createHash } from "node:crypto"
import type { Tool } from "./domain/Catalog.js"

/** JSON-compatible copy with object keys sorted recursively and `undefined` members dropped. */
const canonicalValue = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") {
    // Mirror JSON: non-finite numbers become null; functions and symbols vanish (handled by callers).
    return typeof value === "number" && !Number.isFinite(value) ? null : value
  }
  if (Array.isArray(value)) {
    // Array order is kept: it can carry meaning (tuple `items`, `enum` display order).
    return value.map((item) => (item === undefined || isDropped(item) ? null : canonicalValue(item)))
  }
  if (value instanceof Date) return value.toISOString()
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key]
    if (member === undefined || isDropped(member)) continue
    out[key] = canonicalValue(member)
  }
  return out
}

const isDropped = (value: unknown) => typeof value === "function" || typeof value === "symbol"

/** The canonical form of a tool list: tools sorted by name, keys sorted recursively, `undefined` dropped. */
export const canonicalize = (tools: ReadonlyArray<Tool>): unknown =>
  [...tools]
    .map((tool) => canonicalValue(tool))
    .sort((a, b) => {
      const na = (a as { name: string }).name
      const nb = (b as { name: string }).name
      return na < nb ? -1 : na > nb ? 1 : 0
    })

/** The canonical JSON text of a tool list. */
export const canonicalJson = (tools: ReadonlyArray<Tool>): string => JSON.stringify(canonicalize(tools))

/** sha256 (hex) of the canonical JSON of a tool list: the catalog version's content hash. */
export const canonicalHash = (tools: ReadonlyArray<Tool>): string =>
  createHash("sha256").update(canonicalJson(tools), "utf8").digest("hex")

/** Tools by name; when a server lists a name twice, the first entry wins. */
export const toolMap = (tools: ReadonlyArray<Tool>): ReadonlyMap<string, Tool> => {
  const map = new Map<string, Tool>()
  for (const tool of tools) if (!map.has(tool.name)) map.set(tool.name, tool)
  return map
}
