/**
 * Catalog drift (SPEC §2): what changed between two catalog versions, how bad each change is for
 * the workflows and monitors calling those tools, and which of them are affected.
 *
 * Input schemas are judged from the caller's side (the tester agent and monitors send
 * arguments): anything that can make yesterday's valid arguments invalid is `breaking` — a tool
 * or property removed, a required property added or an optional one made required, a type
 * changed, an enum value removed, a constraint tightened (`maxLength` lowered, `pattern` added,
 * `additionalProperties: false`, composition keywords changed). Relaxations are `non_breaking`;
 * wording (descriptions, titles, annotations, defaults, examples) is `info`.
 *
 * Output schemas are judged from the consumer's side (assertions such as `result_json_path`
 * read structured results): a removed output property, a required output property made optional,
 * a type change or a removed output schema is `breaking`; added output properties and enum
 * changes are `non_breaking`; constraint changes are `info`.
 *
 * A catalog identical (by hash) to an earlier version is `restored` (`restoredVersion`): a revert,
 * which ends a drift incident instead of being judged by its diff.
 *
 * Every new version is also scanned for tool poisoning (`Poisoning.scan`): each tool with a
 * finding the version before did not have gets a `suspicious` entry carrying its findings. The
 * order is `info < non_breaking < breaking < suspicious`, so `severity` is `suspicious` whenever
 * the diff has a new finding; `isBreaking` still tells whether anything broke.
 */

import { canonicalJson, toolMap } from "./Catalogs.js"
import type { CatalogDiff, CatalogVersion, ChangeClassification, Tool, ToolChange } from "./domain/Catalog.js"
import type { Monitor } from "./domain/Monitor.js"
import type { Workflow } from "./domain/Workflow.js"
import * as Poisoning from "./Poisoning.js"
import * as ToolPolicy from "./ToolPolicy.js"

type Mode = "input" | "output"
type Schema = { readonly [key: string]: unknown }
interface Finding {
  readonly classification: ChangeClassification
  readonly detail: string
}

const order: Record<ChangeClassification, number> = { info: 0, non_breaking: 1, breaking: 2, suspicious: 3 }

/** The more severe of two classifications. */
export const mostSevere = (
  a: ChangeClassification | null,
  b: ChangeClassification | null
): ChangeClassification | null => (a === null ? b : b === null ? a : order[a] >= order[b] ? a : b)

const isObject = (u: unknown): u is Schema => typeof u === "object" && u !== null && !Array.isArray(u)
const json = (u: unknown) => (u === undefined ? "undefined" : JSON.stringify(u))
const show = (u: unknown) => (u === undefined ? "unset" : JSON.stringify(u))

/** JSON Schema `type` as a sorted list; `[]` means any type. */
const typesOf = (schema: Schema): string[] => {
  const t = schema.type
  if (typeof t === "string") return [t]
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === "string").sort()
  return []
}

/** `minimum`-like: raising or adding narrows what is valid. */
const lowerBounds = new Set(["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"])
/** `maximum`-like: lowering or adding narrows what is valid. */
const upperBounds = new Set(["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"])
/** Keywords where any addition or change narrows what is valid, and removal widens it. */
const narrowing = new Set(["pattern", "format", "multipleOf", "const"])
/** Keywords too expressive to compare structurally: any change is treated as breaking. */
const structural = new Set([
  "anyOf",
  "oneOf",
  "allOf",
  "not",
  "$ref",
  "if",
  "then",
  "else",
  "prefixItems",
  "patternProperties",
  "dependentRequired",
  "dependentSchemas",
  "propertyNames"
])
const handled = new Set(["type", "properties", "required", "items", "enum", "description", "title"])

/** Compares two JSON Schemas at `path`, pushing one finding per difference. */
const walk = (path: string, before: Schema, after: Schema, mode: Mode, out: Finding[]): void => {
  const subject =
    mode === "input"
      ? path === ""
        ? "input schema"
        : `property \`${path}\``
      : path === ""
        ? "output schema"
        : `output property \`${path}\``
  const push = (classification: ChangeClassification, detail: string) => out.push({ classification, detail })

  const tb = typesOf(before)
  const ta = typesOf(after)
  if (json(tb) !== json(ta)) {
    const name = (ts: string[]) => (ts.length === 0 ? "any" : ts.join(" | "))
    push("breaking", `type of ${subject} changed from ${name(tb)} to ${name(ta)}`)
    // Below a type change every nested difference is noise: the property is a different thing now.
    return
  }

  for (const key of ["description", "title"] as const) {
    if (json(before[key]) !== json(after[key])) push("info", `${key} of ${subject} changed`)
  }

  // enum values
  const eb = Array.isArray(before.enum) ? before.enum : undefined
  const ea = Array.isArray(after.enum) ? after.enum : undefined
  if (eb && ea) {
    const sb = new Set(eb.map(json))
    const sa = new Set(ea.map(json))
    for (const v of eb) {
      if (!sa.has(json(v))) {
        push(mode === "input" ? "breaking" : "non_breaking", `enum value ${json(v)} removed from ${subject}`)
      }
    }
    for (const v of ea) {
      if (!sb.has(json(v))) push("non_breaking", `enum value ${json(v)} added to ${subject}`)
    }
  } else if (eb || ea) {
    const narrows = ea !== undefined
    push(
      mode === "output" ? "non_breaking" : narrows ? "breaking" : "non_breaking",
      `enum ${narrows ? "added to" : "removed from"} ${subject}`
    )
  }

  // Constraints and every other keyword.
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  for (const key of keys) {
    if (handled.has(key) || key === "enum") continue
    const vb = before[key]
    const va = after[key]
    if (json(vb) === json(va)) continue
    const what = `\`${key}\` of ${subject} changed from ${show(vb)} to ${show(va)}`
    let classification: ChangeClassification
    if (structural.has(key)) {
      classification = "breaking"
    } else if (lowerBounds.has(key) || upperBounds.has(key) || narrowing.has(key) || key === "uniqueItems") {
      classification = mode === "output" ? "info" : narrowed(key, vb, va) ? "breaking" : "non_breaking"
    } else if (key === "additionalProperties") {
      const closed = (v: unknown) => v === false
      classification =
        mode === "output"
          ? "info"
          : closed(va) && !closed(vb)
            ? "breaking"
            : closed(vb) && va === undefined
              ? "non_breaking"
              : isObject(vb) || isObject(va)
                ? "breaking"
                : "non_breaking"
    } else {
      classification = "info"
    }
    push(classification, what)
  }

  // Properties, required-ness, and nested objects.
  const pb = isObject(before.properties) ? before.properties : {}
  const pa = isObject(after.properties) ? after.properties : {}
  const rb = new Set(
    Array.isArray(before.required) ? before.required.filter((r) => typeof r === "string") : []
  )
  const ra = new Set(Array.isArray(after.required) ? after.required.filter((r) => typeof r === "string") : [])
  const names = [...new Set([...Object.keys(pb), ...Object.keys(pa), ...rb, ...ra])].sort()
  for (const name of names) {
    const child = path === "" ? name : `${path}.${name}`
    const sub = mode === "input" ? `property \`${child}\`` : `output property \`${child}\``
    const inB = Object.hasOwn(pb, name)
    const inA = Object.hasOwn(pa, name)
    if (inB && !inA) {
      push("breaking", `${sub} removed`)
      continue
    }
    if (!inB && inA) {
      if (mode === "input") {
        push(
          ra.has(name) ? "breaking" : "non_breaking",
          `${ra.has(name) ? "required" : "optional"} ${sub} added`
        )
      } else {
        push("non_breaking", `${sub} added`)
      }
      continue
    }
    if (!rb.has(name) && ra.has(name)) {
      push(mode === "input" ? "breaking" : "non_breaking", `${sub} became required`)
    } else if (rb.has(name) && !ra.has(name)) {
      push(mode === "input" ? "non_breaking" : "breaking", `${sub} became optional`)
    }
    const cb = pb[name]
    const ca = pa[name]
    if (isObject(cb) && isObject(ca)) walk(child, cb, ca, mode, out)
    else if (json(cb) !== json(ca)) push("breaking", `schema of ${sub} changed`)
  }

  // Array items.
  const ib = before.items
  const ia = after.items
  if (isObject(ib) && isObject(ia)) {
    walk(path === "" ? "[]" : `${path}[]`, ib, ia, mode, out)
  } else if (json(ib) !== json(ia)) {
    push(mode === "input" ? "breaking" : "info", `\`items\` of ${subject} changed`)
  }
}

/** Whether a constraint change narrows the set of valid values. */
const narrowed = (key: string, before: unknown, after: unknown): boolean => {
  if (after === undefined) return false
  if (before === undefined) return after !== false
  if (typeof before === "number" && typeof after === "number") {
    if (lowerBounds.has(key)) return after > before
    if (upperBounds.has(key)) return after < before
  }
  if (key === "uniqueItems") return after === true
  return true
}

/** Longest before/after text a wording change quotes. */
const QUOTE_MAX = 300
const quote = (u: unknown) => {
  if (typeof u !== "string") return "unset"
  const text = u.length > QUOTE_MAX ? `${u.slice(0, QUOTE_MAX - 1)}…` : u
  return JSON.stringify(text)
}

/** Classifies the differences of one tool present in both versions; `null` when nothing changed. */
const compareTool = (before: Tool, after: Tool): ToolChange | null => {
  if (canonicalJson([before]) === canonicalJson([after])) return null
  const out: Finding[] = []
  for (const key of ["title", "description"] as const) {
    if (json(before[key]) !== json(after[key])) {
      // The before/after text: a reworded tool is how a rug pull after approval looks.
      out.push({
        classification: "info",
        detail: `${key} changed from ${quote(before[key])} to ${quote(after[key])}`
      })
    }
  }
  const ab = before.annotations ?? {}
  const aa = after.annotations ?? {}
  for (const key of [...new Set([...Object.keys(ab), ...Object.keys(aa)])].sort()) {
    const vb = (ab as Record<string, unknown>)[key]
    const va = (aa as Record<string, unknown>)[key]
    if (json(vb) !== json(va)) {
      out.push({
        classification: "info",
        detail: `annotation \`${key}\` changed from ${show(vb)} to ${show(va)}`
      })
    }
  }
  walk(
    "",
    isObject(before.inputSchema) ? before.inputSchema : {},
    isObject(after.inputSchema) ? after.inputSchema : {},
    "input",
    out
  )
  const ob = before.outputSchema
  const oa = after.outputSchema
  if (isObject(ob) && isObject(oa)) walk("", ob, oa, "output", out)
  else if (isObject(oa)) out.push({ classification: "non_breaking", detail: "output schema added" })
  else if (isObject(ob)) out.push({ classification: "breaking", detail: "output schema removed" })
  // Fields outside the known tool shape (`_meta`, `icons`, …) still changed the hash.
  if (out.length === 0) out.push({ classification: "info", detail: "tool definition changed" })
  const classification = out.reduce<ChangeClassification>(
    (acc, f) => mostSevere(acc, f.classification)!,
    "info"
  )
  return { tool: after.name, classification, details: out.map((f) => f.detail) }
}

/** Options of `diff`: the organization's other servers, for the look-alike name rules of the scan. */
export interface DiffOptions {
  readonly others?: ReadonlyArray<Poisoning.OtherServer>
}

/**
 * The `suspicious` entries of a new version: per tool, the poisoning findings of `after` that
 * `before` did not have (a finding that stays is not news). `before` is `[]` for a first version.
 */
export const suspicious = (
  before: ReadonlyArray<Tool>,
  after: ReadonlyArray<Tool>,
  options: DiffOptions = {}
): ReadonlyArray<ToolChange> => {
  const scanOptions = options.others === undefined ? {} : { others: options.others }
  const old = new Set(Poisoning.scan(before, scanOptions).map(Poisoning.findingKey))
  const byTool = new Map<string, Poisoning.Finding[]>()
  for (const f of Poisoning.scan(after, scanOptions)) {
    if (old.has(Poisoning.findingKey(f))) continue
    byTool.set(f.tool, [...(byTool.get(f.tool) ?? []), f])
  }
  return [...byTool.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([tool, findings]) => ({
      tool,
      classification: "suspicious" as const,
      details: findings.map(Poisoning.describe),
      findings
    }))
}

/**
 * The classified difference between two tool lists; `severity` is the most severe change, `null`
 * if none. New poisoning findings of `after` are `suspicious` entries of `changed`.
 */
export const diff = (
  before: ReadonlyArray<Tool>,
  after: ReadonlyArray<Tool>,
  options: DiffOptions = {}
): CatalogDiff => {
  const mb = toolMap(before)
  const ma = toolMap(after)
  const added = [...ma.keys()].filter((name) => !mb.has(name)).sort()
  const removed = [...mb.keys()].filter((name) => !ma.has(name)).sort()
  const changed: ToolChange[] = []
  for (const name of [...ma.keys()].sort()) {
    const b = mb.get(name)
    if (b === undefined) continue
    const change = compareTool(b, ma.get(name)!)
    if (change) changed.push(change)
  }
  changed.push(...suspicious(before, after, options))
  changed.sort((a, b) =>
    a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : order[a.classification] - order[b.classification]
  )
  let severity: ChangeClassification | null = null
  if (added.length > 0) severity = mostSevere(severity, "non_breaking")
  if (removed.length > 0) severity = mostSevere(severity, "breaking")
  for (const change of changed) severity = mostSevere(severity, change.classification)
  return { added, removed, changed, severity }
}

/** Whether a diff breaks callers: a tool removed or a change classified `breaking`. */
export const isBreaking = (d: CatalogDiff): boolean =>
  d.removed.length > 0 || d.changed.some((c) => c.classification === "breaking")

/** Whether a diff has new tool-poisoning findings. */
export const isSuspicious = (d: CatalogDiff): boolean =>
  d.changed.some((c) => c.classification === "suspicious")

/** Every poisoning finding of a diff. */
export const findings = (d: CatalogDiff): ReadonlyArray<Poisoning.Finding> =>
  d.changed.flatMap((c) => c.findings ?? [])

/** Every classified change of a diff, with added tools `non_breaking` and removed tools `breaking`. */
export const changes = (d: CatalogDiff): ReadonlyArray<ToolChange> =>
  [
    ...d.removed.map((tool) => ({ tool, classification: "breaking" as const, details: ["tool removed"] })),
    ...d.added.map((tool) => ({ tool, classification: "non_breaking" as const, details: ["tool added"] })),
    ...d.changed
  ].sort((a, b) =>
    a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : order[a.classification] - order[b.classification]
  )

/**
 * The earlier version a catalog version is identical to (same content hash), the newest such one,
 * or null. Such a catalog is `restored`: a revert is a recovery, whatever its diff to the version
 * just before it says (reverting an added required property removes a property, which alone
 * would read as breaking).
 */
export const restoredVersion = (
  catalog: Pick<CatalogVersion, "version" | "hash">,
  history: ReadonlyArray<Pick<CatalogVersion, "version" | "hash">>
): number | null =>
  history
    .filter((v) => v.version < catalog.version && v.hash === catalog.hash)
    .reduce<number | null>((newest, v) => (newest === null || v.version > newest ? v.version : newest), null)

export interface Impact {
  readonly affectedWorkflows: Array<{
    workflowId: string
    name: string
    tools: string[]
    via: Array<"tool_policy" | "recent_runs">
  }>
  readonly affectedMonitors: Array<{ monitorId: string; name: string; tools: string[] }>
}

/**
 * Workflows and monitors that use a removed or changed tool. A workflow uses a tool when its
 * `allowedTools` names it (exactly or by glob) and `deniedTools` does not take it away — open
 * policies name nothing — or when its recent runs called it. Callers pass the server's
 * workflows and monitors and the recent calls of those workflows.
 */
export const impact = (
  d: CatalogDiff,
  input: {
    readonly workflows: ReadonlyArray<Workflow>
    readonly monitors: ReadonlyArray<Monitor>
    readonly recentCalls: ReadonlyArray<{ readonly workflowId: string; readonly toolName: string }>
  }
): Impact => {
  const touched = [...new Set([...d.removed, ...d.changed.map((c) => c.tool)])].sort()
  const touchedSet = new Set(touched)
  const called = new Map<string, Set<string>>()
  for (const call of input.recentCalls) {
    if (!touchedSet.has(call.toolName)) continue
    const set = called.get(call.workflowId) ?? new Set<string>()
    set.add(call.toolName)
    called.set(call.workflowId, set)
  }

  const affectedWorkflows: Impact["affectedWorkflows"] = []
  for (const workflow of input.workflows) {
    const policy = workflow.spec.toolPolicy
    const byPolicy = ToolPolicy.isOpen(policy)
      ? []
      : touched.filter((tool) => ToolPolicy.isAllowedName(tool, policy))
    const byRuns = called.get(workflow.id) ?? new Set<string>()
    if (byPolicy.length === 0 && byRuns.size === 0) continue
    const via: Array<"tool_policy" | "recent_runs"> = []
    if (byPolicy.length > 0) via.push("tool_policy")
    if (byRuns.size > 0) via.push("recent_runs")
    affectedWorkflows.push({
      workflowId: workflow.id,
      name: workflow.spec.name,
      tools: [...new Set([...byPolicy, ...byRuns])].sort(),
      via
    })
  }

  const affectedMonitors: Impact["affectedMonitors"] = []
  for (const monitor of input.monitors) {
    const tools = [monitor.toolName, ...monitor.nextSteps.map((s) => s.toolName)].filter((t) =>
      touchedSet.has(t)
    )
    if (tools.length > 0) {
      affectedMonitors.push({ monitorId: monitor.id, name: monitor.name, tools: [...new Set(tools)].sort() })
    }
  }
  return { affectedWorkflows, affectedMonitors }
}
