/** JSON Schemas of tool arguments and results, from core's `Schema`s. */
import { JSONSchema, type Schema } from "effect"

/**
 * Effect marks `Schema.Unknown` and friends with `$id: "/schemas/unknown"`; repeated in one
 * document, the same `$id` makes JSON Schema validators (Ajv, which MCP clients use to check
 * `structuredContent`) refuse the whole schema. Those ids name nothing, so they go.
 */
const withoutBuiltinIds = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutBuiltinIds)
  if (typeof value !== "object" || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [key, member] of Object.entries(value)) {
    if (key === "$id" && typeof member === "string" && member.startsWith("/schemas/")) continue
    out[key] = withoutBuiltinIds(member)
  }
  return out
}

/** The JSON Schema (draft-07) of what a client sends or receives for `schema`. */
export const jsonSchemaOf = (schema: Schema.Schema<any, any, never>): Record<string, unknown> =>
  withoutBuiltinIds(JSONSchema.make(schema)) as Record<string, unknown>
