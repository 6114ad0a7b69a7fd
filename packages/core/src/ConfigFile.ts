import { Effect, Either, Schema, Struct } from "effect"
import { Name, nameKey } from "./domain/Common.js"
import { AuthKind, Headers, Transport } from "./domain/McpServer.js"
import { MonitorSpec, MonitorState } from "./domain/Monitor.js"
import { type Schedule, WorkflowSpec } from "./domain/Workflow.js"
import { type FieldError, type ValidationFailed, validationFailed } from "./Errors.js"
import { defaultOn, RuleInput } from "./internal/alertRules.js"
import { describeAssertion } from "./internal/resultChecks.js"
import { withCriterionIds } from "./internal/workflowChecks.js"
import * as Schedules from "./Schedules.js"
import * as ToolPolicy from "./ToolPolicy.js"
import { decode, failIfAny } from "./Validation.js"

/**
 * Monitoring-as-code: servers, workflows, monitors and alert rules in one file (YAML or TypeScript).
 * Records reference servers and auth profiles by name, so one file can describe a whole
 * deployment before any id exists.
 */

/**
 * Text is trimmed as it is read, as the use cases trim what they store, so a stray space in a
 * file is not a difference from the store on every apply.
 */
const text = Schema.Trim
const name = Name

/** Names match without regard to case or white space, in the file and against the store. */
export { nameKey }

export const ServerEntry = Schema.Struct({
  name,
  transport: Schema.optionalWith(Transport, { default: () => "streamable_http" as const }),
  baseUrl: Schema.optional(text),
  command: Schema.optional(text),
  args: Schema.optional(Schema.Array(Schema.String)),
  env: Schema.optional(Headers),
  extraHeaders: Schema.optional(Headers),
  authProfiles: Schema.optionalWith(
    Schema.Array(
      Schema.Struct({
        name,
        kind: AuthKind,
        /** Secrets are read from the environment at apply time, never written in the file. */
        tokenEnv: Schema.optional(text),
        headerName: Schema.optional(text),
        tokenUrl: Schema.optional(text),
        clientId: Schema.optional(text),
        scopes: Schema.optional(Schema.Array(Schema.String))
      })
    ),
    { default: () => [] }
  )
})
export type ServerEntry = typeof ServerEntry.Type

const serverRef = { server: name, authProfile: Schema.optional(name) }

export const WorkflowEntry = Schema.Struct({
  ...Struct.omit(WorkflowSpec.fields, "mcpServerId", "authProfileId"),
  name,
  ...serverRef
})
export type WorkflowEntry = typeof WorkflowEntry.Type

export const MonitorEntry = Schema.Struct({
  ...Struct.omit(MonitorSpec.fields, "mcpServerId", "authProfileId", "state", "muted"),
  name,
  // Without a default: a file that does not say leaves a pause or mute set by an operator alone.
  state: Schema.optional(MonitorState),
  muted: Schema.optional(Schema.Boolean),
  ...serverRef
})
export type MonitorEntry = typeof MonitorEntry.Type

/** What a rule watches, by name: exactly one of `monitor`, `workflow` or `server` (checked by `parse`). */
const AlertTargetRef = Schema.Struct({
  monitor: Schema.optional(name),
  workflow: Schema.optional(name),
  server: Schema.optional(name)
})

/**
 * Where a rule sends: `{ email: "oncall@example.com" }`, `{ slack: "C0123456" }`, or
 * `{ webhook: "https://…", secretEnv: "HOOK_SECRET" }` (the signing secret is read from that
 * environment variable at apply time). A plugin sink's destination is written as the API takes
 * it, `{ type: "pagerduty", … }`. `parse` checks that exactly one form is used.
 */
const DestinationRef = Schema.Struct(
  {
    email: Schema.optional(text),
    slack: Schema.optional(text),
    webhook: Schema.optional(text),
    secretEnv: Schema.optional(text),
    type: Schema.optional(Schema.String)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type DestinationRef = typeof DestinationRef.Type

export const AlertRuleEntry = Schema.Struct({
  name,
  target: AlertTargetRef,
  destination: DestinationRef,
  // The API's own rules for these fields; `on` defaults by target type, as in the API.
  on: RuleInput.fields.on,
  notifyRecovery: RuleInput.fields.notifyRecovery,
  reminderMinutes: RuleInput.fields.reminderMinutes,
  // Without a default, like a monitor's: a pause set by an operator stays unless the file says.
  state: Schema.optional(Schema.Literal("enabled", "paused"))
})
export type AlertRuleEntry = typeof AlertRuleEntry.Type

/** The target type and name an entry's `target` names (valid once `parse` accepted the file). */
export const targetOf = (entry: AlertRuleEntry) =>
  entry.target.monitor !== undefined
    ? { type: "monitor" as const, name: entry.target.monitor }
    : entry.target.workflow !== undefined
      ? { type: "workflow" as const, name: entry.target.workflow }
      : { type: "mcp_server" as const, name: entry.target.server ?? "" }

export const ConfigFile = Schema.Struct({
  servers: Schema.optionalWith(Schema.Array(ServerEntry), { default: () => [] }),
  workflows: Schema.optionalWith(Schema.Array(WorkflowEntry), { default: () => [] }),
  monitors: Schema.optionalWith(Schema.Array(MonitorEntry), { default: () => [] }),
  // Optional once decoded too: code that builds a file (`armature test` applies parts of one)
  // need not name it.
  alertRules: Schema.optional(Schema.Array(AlertRuleEntry))
})
export type ConfigFile = typeof ConfigFile.Type

type WorkflowInput = Omit<typeof WorkflowEntry.Encoded, "criteria"> & {
  readonly criteria: ReadonlyArray<{
    readonly id?: string
    readonly text: string
    readonly required?: boolean
  }>
}

/**
 * A config file as written, for TypeScript files: `export default { … } satisfies ConfigFile.Input`
 * (a type-only import, so the file needs nothing at run time). Defaults may be left out, and
 * criterion ids too.
 */
export interface Input {
  readonly servers?: ReadonlyArray<typeof ServerEntry.Encoded>
  readonly workflows?: ReadonlyArray<WorkflowInput>
  readonly monitors?: ReadonlyArray<typeof MonitorEntry.Encoded>
  readonly alertRules?: ReadonlyArray<typeof AlertRuleEntry.Encoded>
}

/** Where each decoded entry stood in the file: field errors name the file's index. */
interface Places {
  readonly servers: ReadonlyArray<number>
  readonly workflows: ReadonlyArray<number>
  readonly monitors: ReadonlyArray<number>
  readonly alertRules: ReadonlyArray<number>
}

/** Names of entries the schema refused: references to them are not reported as unknown too. */
interface Refused {
  readonly servers: ReadonlyArray<string>
  readonly workflows: ReadonlyArray<string>
  readonly monitors: ReadonlyArray<string>
}

const nameOf = (entry: unknown): string | undefined => {
  const n = typeof entry === "object" && entry !== null ? (entry as { name?: unknown }).name : undefined
  return typeof n === "string" ? n : undefined
}

const entriesOf = (input: unknown, key: string): ReadonlyArray<unknown> | undefined => {
  const value =
    typeof input === "object" && input !== null ? (input as Record<string, unknown>)[key] : undefined
  return Array.isArray(value) ? value : undefined
}

/**
 * A file the schema refuses is checked entry by entry too, so one pass reports its schema,
 * reference and schedule errors together: the entries that decode on their own get every
 * check, and a refused workflow's schedule still gets its cron and time zone checked.
 */
const partialCheck = (input: unknown, schemaErrors: ReadonlyArray<FieldError>): ReadonlyArray<FieldError> => {
  const top = Schema.decodeUnknownEither(
    Schema.Struct({
      servers: Schema.optional(Schema.Array(Schema.Unknown)),
      workflows: Schema.optional(Schema.Array(Schema.Unknown)),
      monitors: Schema.optional(Schema.Array(Schema.Unknown)),
      alertRules: Schema.optional(Schema.Array(Schema.Unknown))
    })
  )(input)
  if (Either.isLeft(top)) return schemaErrors
  const decodeAll = <A, I>(key: string, schema: Schema.Schema<A, I>) => {
    const decoded: A[] = []
    const places: number[] = []
    const refused: string[] = []
    const schedules: FieldError[] = []
    for (const [i, entry] of (entriesOf(input, key) ?? []).entries()) {
      const result = Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })(entry)
      if (Either.isRight(result)) {
        decoded.push(result.right)
        places.push(i)
      } else {
        const name = nameOf(entry)
        if (name !== undefined) refused.push(name)
        const schedule = key === "workflows" ? (entry as { schedule?: unknown }).schedule : undefined
        if (typeof schedule === "object" && schedule !== null && !Array.isArray(schedule))
          schedules.push(...Schedules.validate(schedule as Schedule, `workflows[${i}].schedule`))
      }
    }
    return { decoded, places, refused, schedules }
  }
  const servers = decodeAll("servers", ServerEntry)
  const workflows = decodeAll("workflows", WorkflowEntry)
  const monitors = decodeAll("monitors", MonitorEntry)
  const rules = decodeAll("alertRules", AlertRuleEntry)
  const config: ConfigFile = {
    servers: servers.decoded,
    workflows: workflows.decoded,
    monitors: monitors.decoded,
    alertRules: rules.decoded
  }
  const places = {
    servers: servers.places,
    workflows: workflows.places,
    monitors: monitors.places,
    alertRules: rules.places
  }
  const refused = { servers: servers.refused, workflows: workflows.refused, monitors: monitors.refused }
  const seen = new Set(schemaErrors.map((e) => `${e.field}\u0000${e.message}`))
  const more = [...workflows.schedules, ...checkFile(config, places, refused)].filter(
    (e) => !seen.has(`${e.field}\u0000${e.message}`)
  )
  return [...schemaErrors, ...more]
}

/**
 * Decodes a parsed config file and checks what the schema alone cannot: names, references,
 * schedules. Every error is reported in one pass, schema errors together with the others.
 */
export const parse = (input: unknown): Effect.Effect<ConfigFile, ValidationFailed> =>
  Effect.gen(function* () {
    const prepared = withWorkflowCriterionIds(input)
    const decoded = yield* Effect.either(decode(ConfigFile)(prepared))
    if (Either.isLeft(decoded)) {
      const { fieldErrors, warnings } = decoded.left
      return yield* Effect.fail(validationFailed(partialCheck(prepared, fieldErrors), warnings))
    }
    const config = decoded.right
    const all = (n: number) => Array.from({ length: n }, (_, i) => i)
    yield* failIfAny(
      checkFile(
        config,
        {
          servers: all(config.servers.length),
          workflows: all(config.workflows.length),
          monitors: all(config.monitors.length),
          alertRules: all((config.alertRules ?? []).length)
        },
        { servers: [], workflows: [], monitors: [] }
      )
    )
    return config
  })

/** Names, references and schedules of decoded entries, each named at its place in the file. */
const checkFile = (config: ConfigFile, at: Places, refused: Refused): FieldError[] => {
  const errors: FieldError[] = []
  // The first of duplicates is the one references resolve to (the others are reported).
  const servers = new Map<string, ServerEntry>()
  for (const s of config.servers) if (!servers.has(nameKey(s.name))) servers.set(nameKey(s.name), s)
  const refusedServers = new Set(refused.servers.map(nameKey))
  const unique = (field: (i: number) => string, names: ReadonlyArray<string>) => {
    const keys = names.map(nameKey)
    keys.forEach((k, i) => {
      const first = keys.indexOf(k)
      if (first !== i)
        errors.push({
          field: field(i),
          message: `duplicate name "${names[i]}" (names ignore case; see "${names[first]}")`
        })
    })
  }
  unique(
    (i) => `servers[${at.servers[i]}].name`,
    config.servers.map((s) => s.name)
  )
  unique(
    (i) => `workflows[${at.workflows[i]}].name`,
    config.workflows.map((w) => w.name)
  )
  unique(
    (i) => `monitors[${at.monitors[i]}].name`,
    config.monitors.map((m) => m.name)
  )
  for (const [i, s] of config.servers.entries()) {
    unique(
      (j) => `servers[${at.servers[i]}].authProfiles[${j}].name`,
      s.authProfiles.map((p) => p.name)
    )
  }
  config.servers.forEach((s, i) => {
    if (s.transport === "stdio" ? !s.command : !s.baseUrl)
      errors.push({
        field: `servers[${at.servers[i]}].${s.transport === "stdio" ? "command" : "baseUrl"}`,
        message: `is required for transport ${s.transport}`
      })
  })
  const checkRef = (kind: string, i: number, entry: { server: string; authProfile?: string | undefined }) => {
    const server = servers.get(nameKey(entry.server))
    if (!server) {
      if (!refusedServers.has(nameKey(entry.server)))
        errors.push({ field: `${kind}[${i}].server`, message: `unknown server "${entry.server}"` })
    } else if (
      entry.authProfile &&
      !server.authProfiles.some((p) => nameKey(p.name) === nameKey(entry.authProfile!))
    )
      errors.push({
        field: `${kind}[${i}].authProfile`,
        message: `server "${entry.server}" has no auth profile "${entry.authProfile}"`
      })
  }
  config.workflows.forEach((w, position) => {
    const i = at.workflows[position]!
    checkRef("workflows", i, w)
    errors.push(...Schedules.validate(w.schedule, `workflows[${i}].schedule`))
    if (!w.criteria.some((c) => c.required))
      errors.push({ field: `workflows[${i}].criteria`, message: "at least one criterion must be required" })
  })
  config.monitors.forEach((m, position) => {
    checkRef("monitors", at.monitors[position]!, m)
  })
  const rules = config.alertRules ?? []
  unique(
    (i) => `alertRules[${at.alertRules[i]}].name`,
    rules.map((r) => r.name)
  )
  rules.forEach((r, position) => {
    errors.push(...checkAlertRule(config, r, `alertRules[${at.alertRules[position]}]`, refused))
  })
  return errors
}

const builtInShorthands = ["email", "slack", "webhook"] as const

/**
 * An alert rule's references and destination: its target names one entry of the file, its
 * destination uses one form, and a secret only ever comes from the environment.
 */
const checkAlertRule = (
  config: ConfigFile,
  rule: AlertRuleEntry,
  field: string,
  refused: Refused
): FieldError[] => {
  const errors: FieldError[] = []
  const named = (["monitor", "workflow", "server"] as const).filter((k) => rule.target[k] !== undefined)
  if (named.length !== 1) {
    errors.push({ field: `${field}.target`, message: "names exactly one of monitor, workflow or server" })
  } else {
    const kind = named[0]!
    const wanted = nameKey(rule.target[kind]!)
    const entries =
      kind === "monitor" ? config.monitors : kind === "workflow" ? config.workflows : config.servers
    const refusedNames = refused[`${kind}s`]
    if (!entries.some((e) => nameKey(e.name) === wanted) && !refusedNames.some((n) => nameKey(n) === wanted))
      errors.push({ field: `${field}.target.${kind}`, message: `unknown ${kind} "${rule.target[kind]}"` })
  }
  const d = rule.destination
  const forms = [
    ...builtInShorthands.filter((k) => d[k] !== undefined),
    ...(d.type === undefined ? [] : ["type"])
  ]
  if (forms.length !== 1) {
    errors.push({
      field: `${field}.destination`,
      message: "names exactly one of email, slack or webhook (or a plugin's `type` with its fields)"
    })
    return errors
  }
  const form = forms[0]!
  const webhook = form === "webhook" || (form === "type" && d.type === "webhook")
  for (const key of Object.keys(d)) {
    if (key === "secret")
      errors.push({
        field: `${field}.destination.secret`,
        message: "secrets never go in the file: name the environment variable that holds it in secretEnv"
      })
    else if (key === "secretEnv" && !webhook)
      errors.push({
        field: `${field}.destination.secretEnv`,
        message: "only a webhook takes a signing secret"
      })
    else if (form !== "type" && key !== form && key !== "secretEnv")
      errors.push({
        field: `${field}.destination.${key}`,
        message: `is not a field of a ${form} destination`
      })
  }
  return errors
}

/** Criterion ids may be left out in a file, as in the API: each workflow numbers its own. */
const withWorkflowCriterionIds = (input: unknown): unknown => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input
  const workflows = (input as { workflows?: unknown }).workflows
  return Array.isArray(workflows) ? { ...input, workflows: workflows.map(withCriterionIds) } : input
}

/** A destination of the file in words; a secret shows only as the variable that holds it. */
export const destinationLabel = (d: DestinationRef): string =>
  d.email !== undefined
    ? `email ${d.email}`
    : d.slack !== undefined
      ? `Slack ${d.slack}`
      : d.webhook !== undefined
        ? `webhook ${d.webhook}${d.secretEnv === undefined ? " (unsigned)" : ` (signed with $${d.secretEnv})`}`
        : `${d.type} destination`

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** A plain-language account of what a config file asks Armature to do. */
export const explain = (config: ConfigFile, now: Date): string => {
  const lines: string[] = []
  const rules = config.alertRules ?? []
  lines.push(
    `${plural(config.servers.length, "server")}, ${plural(config.workflows.length, "workflow")}, ${plural(config.monitors.length, "monitor")}${rules.length > 0 ? `, ${plural(rules.length, "alert rule")}` : ""}`
  )
  for (const s of config.servers) {
    lines.push("", `Server "${s.name}" — ${s.transport} ${s.transport === "stdio" ? s.command : s.baseUrl}`)
    for (const p of s.authProfiles) lines.push(`  auth profile "${p.name}": ${p.kind}`)
  }
  for (const w of config.workflows) {
    lines.push("", `Workflow "${w.name}" on server "${w.server}"`)
    lines.push(`  schedule: ${Schedules.label(w.schedule, w.testerModels.length)}`)
    if (w.schedule) {
      const next = Schedules.nextFires(w.schedule, now, 3).map((d) => d.toISOString())
      lines.push(`  next fires: ${next.join(", ")}`)
    }
    lines.push(`  tester models: ${w.testerModels.join(", ")} · judge: ${w.judgeModel}`)
    const allowed = w.toolPolicy.allowedTools
    lines.push(
      `  tools: ${allowed ? allowed.join(", ") : "every tool (open policy)"}${w.toolPolicy.deniedTools?.length ? `; denied: ${w.toolPolicy.deniedTools.join(", ")}` : ""}${w.toolPolicy.allowDestructive === false ? "; destructive tools hidden" : ""}`
    )
    const covering = ToolPolicy.coveringNames(w.toolPolicy)
    lines.push(
      `  counts for coverage: ${covering.length > 0 ? covering.join(", ") : "no tool (open policy or globs)"}`
    )
    lines.push(`  criteria (${w.criteria.filter((c) => c.required).length} required):`)
    for (const c of w.criteria)
      lines.push(`    ${c.required ? "•" : "◦"} ${c.text}${c.required ? "" : " (optional)"}`)
    for (const a of w.assertions) lines.push(`    ✓ assertion ${a.type}${a.required ? "" : " (optional)"}`)
    lines.push(
      `  limits: ${w.limits.maxSteps} steps, ${w.limits.maxToolCalls} tool calls, ${w.limits.timeoutSeconds}s, ${w.limits.callTimeoutSeconds}s per call`
    )
  }
  for (const m of config.monitors) {
    const steps = [m.toolName, ...m.nextSteps.map((s) => s.toolName)]
    lines.push("", `Monitor "${m.name}" on server "${m.server}"`)
    lines.push(
      `  calls ${steps.join(" → ")} every ${m.intervalSeconds}s (timeout ${m.timeoutMs} ms, ${m.retries} retries)`
    )
    for (const step of [m, ...m.nextSteps]) {
      for (const a of step.assertions) lines.push(`    ✓ ${step.toolName}: ${describeAssertion(a)}`)
    }
    if (m.degradedAboveMs) lines.push(`  degraded above ${m.degradedAboveMs} ms`)
    if (m.failAboveMs) lines.push(`  fails above ${m.failAboveMs} ms`)
    if (m.state === "paused" || m.muted)
      lines.push(`  ${m.state === "paused" ? "paused" : ""}${m.muted ? " muted" : ""}`)
  }
  for (const r of rules) {
    const target = targetOf(r)
    lines.push(
      "",
      `Alert rule "${r.name}" on ${target.type === "mcp_server" ? "server" : target.type} "${target.name}"`
    )
    lines.push(`  sends to ${destinationLabel(r.destination)}`)
    lines.push(
      `  fires on ${(r.on ?? defaultOn(target.type)).join(", ")}${r.notifyRecovery ? "; notifies recovery" : ""}${r.reminderMinutes === null ? "" : `; reminds every ${r.reminderMinutes} min`}${r.state === "paused" ? "; paused" : ""}`
    )
  }
  return lines.join("\n")
}
