/**
 * A monitoring-as-code plan: one step per named entry of the file (create, update or unchanged,
 * with the fields that differ), what the organization has beyond the file, and the plan as a
 * person reads it.
 */
import { isDeepStrictEqual } from "node:util"
import { nameKey } from "../ConfigFile.js"
import type { FieldError } from "../Errors.js"

export type Kind = "server" | "auth_profile" | "workflow" | "monitor" | "alert_rule"
export type Action = "create" | "update" | "unchanged"

/** One line of a plan: what happens to one named entry of the file. */
export interface Step {
  readonly kind: Kind
  /** The entry's name; an auth profile is named `server/profile`. */
  readonly name: string
  readonly action: Action
  /** For updates: the fields that differ from what is stored. */
  readonly changes: ReadonlyArray<string>
}

export interface Plan {
  readonly steps: ReadonlyArray<Step>
  /** What the organization has that the file does not name; apply leaves it as it is. */
  readonly notInFile: ReadonlyArray<{ readonly kind: Kind; readonly name: string }>
}

/** What planning one kind of entry yields: its steps, the file's errors, and the writes to make. */
export interface Planned<W> {
  readonly steps: ReadonlyArray<Step>
  readonly errors: ReadonlyArray<FieldError>
  readonly writes: ReadonlyArray<W>
}

/** Whether two names are the same entry (ignoring case and spacing, as the store does). */
export const sameName = (a: string, b: string): boolean => nameKey(a) === nameKey(b)

/** The step of an entry to create. */
export const created = (kind: Kind, name: string): Step => ({ kind, name, action: "create", changes: [] })

/** The step of an entry that exists: an update when any field differs, else unchanged. */
export const compared = (kind: Kind, name: string, changes: ReadonlyArray<string>): Step => ({
  kind,
  name,
  action: changes.length > 0 ? "update" : "unchanged",
  changes
})

/** The fields of two records that differ. */
export const changedFields = (desired: Record<string, unknown>, stored: Record<string, unknown>): string[] =>
  Object.keys(desired).filter((key) => !isDeepStrictEqual(desired[key], stored[key]))

const signs: Record<Action, string> = { create: "+", update: "~", unchanged: "=" }
const labels: Record<Kind, string> = {
  server: "server",
  auth_profile: "auth profile",
  workflow: "workflow",
  monitor: "monitor",
  alert_rule: "alert rule"
}

/** A plan as a person reads it, one line per entry, with a closing count. */
export const render = (plan: Plan): string => {
  const lines = plan.steps.map(
    (s) =>
      `${signs[s.action]} ${s.action.padEnd(9)} ${labels[s.kind]} "${s.name}"${s.changes.length > 0 ? ` (${s.changes.join(", ")})` : ""}`
  )
  for (const n of plan.notInFile) lines.push(`  not in file ${labels[n.kind]} "${n.name}" (left as it is)`)
  const count = (action: Action) => plan.steps.filter((s) => s.action === action).length
  lines.push(
    "",
    `${count("create")} to create, ${count("update")} to update, ${count("unchanged")} unchanged.`
  )
  return lines.join("\n")
}

/** Whether applying the plan would write anything. */
export const hasChanges = (plan: Plan): boolean => plan.steps.some((s) => s.action !== "unchanged")
