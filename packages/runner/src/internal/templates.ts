/**
 * Step references of multi-step monitors (SPEC §5): `{{steps.0.structuredContent.id}}`,
 * `{{steps.1.content.0.text}}`. A string that is exactly one reference takes the referenced
 * value with its type (a number stays a number); a reference inside a longer string is
 * interpolated as text.
 */
import type { JsonObject } from "@armature/core"

const whole = /^\{\{\s*steps\.(\d+)((?:\.[^\s{}]+)*)\s*\}\}$/
const anywhere = /\{\{\s*steps\.(\d+)((?:\.[^\s{}]+)*)\s*\}\}/g

/** A reference that points at nothing. */
export class UnresolvedReference extends Error {
  override readonly name = "UnresolvedReference"
}

const lookup = (steps: ReadonlyArray<unknown>, index: string, path: string): unknown => {
  const n = Number(index)
  if (n >= steps.length) throw new UnresolvedReference(`steps.${n} has not run yet`)
  let value: unknown = steps[n]
  for (const segment of path.split(".").filter((s) => s !== "")) {
    if (value === null || typeof value !== "object" || !(segment in (value as object))) {
      throw new UnresolvedReference(`steps.${n}${path} is not in the result of step ${n}`)
    }
    value = (value as Record<string, unknown>)[segment]
  }
  if (value === undefined) throw new UnresolvedReference(`steps.${n}${path} is undefined`)
  return value
}

const render = (value: unknown, steps: ReadonlyArray<unknown>): unknown => {
  if (typeof value === "string") {
    const m = whole.exec(value)
    if (m) return lookup(steps, m[1]!, m[2] ?? "")
    return value.replace(anywhere, (_all, index: string, path: string) => {
      const v = lookup(steps, index, path ?? "")
      return typeof v === "string" ? v : JSON.stringify(v)
    })
  }
  if (Array.isArray(value)) return value.map((v) => render(v, steps))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, steps)]))
  }
  return value
}

/** Arguments with every step reference replaced; throws `UnresolvedReference`. */
export const resolve = (args: JsonObject, steps: ReadonlyArray<unknown>): JsonObject =>
  render(args, steps) as JsonObject
