/**
 * The pure part of proposals (SPEC §9.3): applying `changes` to a base spec, the field-level diff
 * and the warnings a reviewer should read before applying.
 */
import type { CriteriaOp, FieldDiff, WorkflowChanges } from "../domain/Proposal.js"
import { type Criterion, type Limits, WorkflowSpec } from "../domain/Workflow.js"
import type { FieldError } from "../Errors.js"
import { type SpecCheck, topField } from "./workflowChecks.js"

/** The spec a proposal produces, the errors of its criteria operations and the fields it sets. */
export interface AppliedChanges {
  readonly spec: WorkflowSpec
  readonly fieldErrors: ReadonlyArray<FieldError>
  readonly touched: ReadonlySet<string>
}

/** A generator of criterion ids `c<n>` above every id of the base, so no id is ever reused. */
const freshIds = (base: ReadonlyArray<Criterion>) => {
  const taken = new Set(base.map((c) => c.id))
  let n = Math.max(0, ...base.map((c) => Number(/^c(\d+)$/.exec(c.id)?.[1] ?? 0)))
  return () => {
    let id: string
    do id = `c${++n}`
    while (taken.has(id))
    taken.add(id)
    return id
  }
}

/**
 * Applies criteria operations whose positions are 0-based over the base version: `add` inserts
 * before a base position (absent = append), `update` and `remove` name a base criterion.
 */
export const applyCriteriaOps = (
  base: ReadonlyArray<Criterion>,
  ops: ReadonlyArray<CriteriaOp>
): { readonly criteria: ReadonlyArray<Criterion>; readonly fieldErrors: ReadonlyArray<FieldError> } => {
  const n = base.length
  const errors: FieldError[] = []
  const slots: Array<Criterion | null> = [...base]
  const inserts: Criterion[][] = Array.from({ length: n + 1 }, () => [])
  const removedBy = new Map<number, number>()
  const nextId = freshIds(base)
  ops.forEach((op, i) => {
    const field = `changes.criteria[${i}].position`
    if (op.op === "add") {
      const position = op.position ?? n
      if (position > n) {
        errors.push({
          field,
          message: `Out of range: the base version has ${n} criteria, so add positions are 0..${n}`
        })
        return
      }
      inserts[position]!.push({ id: nextId(), text: op.text, required: op.required ?? true })
      return
    }
    if (op.position >= n) {
      const range = n === 0 ? "it has none" : `positions are 0..${n - 1}`
      errors.push({ field, message: `Out of range: the base version has ${n} criteria; ${range}` })
      return
    }
    const remover = removedBy.get(op.position)
    if (remover !== undefined) {
      errors.push({
        field,
        message: `Criterion ${op.position} is already removed by changes.criteria[${remover}]`
      })
      return
    }
    if (op.op === "remove") {
      removedBy.set(op.position, i)
      slots[op.position] = null
      return
    }
    if (op.text === undefined && op.required === undefined) {
      errors.push({ field: `changes.criteria[${i}]`, message: "An update needs `text` or `required`" })
      return
    }
    const current = slots[op.position]!
    slots[op.position] = {
      ...current,
      text: op.text ?? current.text,
      required: op.required ?? current.required
    }
  })
  const criteria: Criterion[] = []
  for (let k = 0; k < n; k++) {
    criteria.push(...inserts[k]!)
    const slot = slots[k]
    if (slot !== null && slot !== undefined) criteria.push(slot)
  }
  criteria.push(...inserts[n]!)
  // "At least one required criterion" is checked on the resulting spec, by `checkSpec`.
  return { criteria, fieldErrors: errors }
}

/**
 * Applies `changes` to the base spec. `rawLimitKeys` are the keys of `changes.limits` as given:
 * decoding fills the other limits with defaults, but a change of one limit must keep the others.
 */
export const applyChanges = (
  base: WorkflowSpec,
  changes: WorkflowChanges,
  rawLimitKeys: ReadonlyArray<string>
): AppliedChanges => {
  const touched = new Set(
    Object.keys(changes).filter((k) => changes[k as keyof WorkflowChanges] !== undefined)
  )
  const ops = changes.criteria === undefined ? null : applyCriteriaOps(base.criteria, changes.criteria)
  const limits: Limits =
    changes.limits === undefined
      ? base.limits
      : {
          ...base.limits,
          ...Object.fromEntries(
            rawLimitKeys
              .filter((k) => k in changes.limits!)
              .map((k) => [k, changes.limits![k as keyof Limits]])
          )
        }
  const spec: WorkflowSpec = {
    ...base,
    name: changes.name ?? base.name,
    description: changes.description ?? base.description,
    prompt: changes.prompt ?? base.prompt,
    testerModels: changes.testerModels ?? base.testerModels,
    judgeModel: changes.judgeModel ?? base.judgeModel,
    schedule: changes.schedule === undefined ? base.schedule : changes.schedule,
    toolPolicy: changes.toolPolicy ?? base.toolPolicy,
    limits,
    assertions: changes.assertions ?? base.assertions,
    criteria: ops?.criteria ?? base.criteria
  }
  return { spec, fieldErrors: ops?.fieldErrors ?? [], touched }
}

/**
 * Maps the findings on a resulting spec onto `changes.<field>` for the fields the proposal set;
 * criteria findings are named on `changes.criteria`, since the proposal edits criteria by
 * operations, not by resulting positions. Findings on untouched fields become warnings.
 */
export const mapOntoChanges = (check: SpecCheck, touched: ReadonlySet<string>): SpecCheck => {
  const fieldErrors: FieldError[] = []
  const warnings = [...check.warnings]
  for (const e of check.fieldErrors) {
    const top = topField(e.field)
    if (!touched.has(top)) warnings.push(`Unchanged ${e.field}: ${e.message}`)
    else if (top === "criteria" && e.field !== "criteria") {
      fieldErrors.push({ field: "changes.criteria", message: `${e.field}: ${e.message}` })
    } else fieldErrors.push({ field: `changes.${e.field}`, message: e.message })
  }
  return { fieldErrors, warnings }
}

/** A stable text of a JSON-like value with sorted keys, for structural comparison. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  ) ?? "undefined"

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b)

const specFields = Object.keys(WorkflowSpec.fields) as ReadonlyArray<keyof WorkflowSpec>

/**
 * Criteria diffed per criterion, matched by id: updates and removals are named by their base
 * position (the position the operation used), additions by their position in the new list.
 */
const diffCriteria = (before: ReadonlyArray<Criterion>, after: ReadonlyArray<Criterion>): FieldDiff[] => {
  const diff: FieldDiff[] = []
  const afterById = new Map(after.map((c) => [c.id, c]))
  const beforeIds = new Set(before.map((c) => c.id))
  before.forEach((c, k) => {
    const now = afterById.get(c.id)
    if (now === undefined) diff.push({ field: `criteria[${k}]`, before: c, after: null })
    else {
      if (now.text !== c.text) diff.push({ field: `criteria[${k}].text`, before: c.text, after: now.text })
      if (now.required !== c.required) {
        diff.push({ field: `criteria[${k}].required`, before: c.required, after: now.required })
      }
    }
  })
  after.forEach((c, j) => {
    if (!beforeIds.has(c.id)) diff.push({ field: `criteria[${j}]`, before: null, after: c })
  })
  return diff
}

/** The field-level diff between two specs; `before: null` (a new workflow) lists every field. */
export const diffSpecs = (before: WorkflowSpec | null, after: WorkflowSpec): ReadonlyArray<FieldDiff> => {
  if (before === null) return specFields.map((field) => ({ field, before: null, after: after[field] }))
  const diff: FieldDiff[] = []
  for (const field of specFields) {
    if (same(before[field], after[field])) continue
    if (field === "criteria") diff.push(...diffCriteria(before.criteria, after.criteria))
    else diff.push({ field, before: before[field] ?? null, after: after[field] ?? null })
  }
  return diff
}

/** What a reviewer should know before applying an update (beyond validation warnings). */
export const changeWarnings = (before: WorkflowSpec, after: WorkflowSpec): ReadonlyArray<string> => {
  const warnings: string[] = []
  if (before.schedule !== null && after.schedule === null) {
    warnings.push("The schedule is removed: the workflow becomes manual-only and no longer runs on its own.")
  }
  if (after.toolPolicy.allowDestructive === true && before.toolPolicy.allowDestructive !== true) {
    warnings.push(
      "allowDestructive is enabled: the tester agent will be offered tools annotated destructiveHint: true."
    )
  }
  if (before.toolPolicy.allowedTools !== undefined && after.toolPolicy.allowedTools === undefined) {
    warnings.push(
      "allowedTools is removed: every tool is offered (open policy), and the policy covers no tool."
    )
  }
  const kept = new Set(after.criteria.map((c) => c.id))
  for (const c of before.criteria) {
    if (c.required && !kept.has(c.id))
      warnings.push(`The required criterion ${c.id} ("${c.text}") is removed.`)
  }
  if (same(before, after)) warnings.push("The proposal changes nothing.")
  return warnings
}
