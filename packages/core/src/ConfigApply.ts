/**
 * Monitoring-as-code (`armature apply`, SPEC §10): compares a config file with what the
 * organization has, matching by name, and brings the organization in line through the same use
 * cases as the API — so every rule and permission of the API holds for a file too. Applying the
 * same file twice writes nothing the second time (in particular no new workflow version).
 * Nothing is deleted: what the organization has beyond the file is listed, never removed.
 */
import { isDeepStrictEqual } from "node:util"
import { Config, Effect, Option, Redacted, Schema, Struct } from "effect"
import * as Alerting from "./Alerting.js"
import {
  type AlertRuleEntry,
  type ConfigFile,
  type MonitorEntry,
  nameKey,
  type ServerEntry,
  targetOf,
  type WorkflowEntry
} from "./ConfigFile.js"
import type { AlertRule } from "./domain/Alert.js"
import type { Caller } from "./domain/Audit.js"
import type { AuthProfile, McpServer } from "./domain/McpServer.js"
import { MonitorSpec } from "./domain/Monitor.js"
import { WorkflowSpec } from "./domain/Workflow.js"
import { type FieldError, SecretInArguments, ValidationFailed, validationFailed } from "./Errors.js"
import * as ConfigRules from "./internal/configRules.js"
import { isLiveMonitor } from "./internal/monitorRecords.js"
import {
  type AuthProfileInput,
  checkAuthProfile,
  checkRegistration,
  secretOf
} from "./internal/serverInput.js"
import * as Monitors from "./Monitors.js"
import { AlertStore } from "./ports/AlertStore.js"
import { MonitorStore } from "./ports/MonitorStore.js"
import { SecretStore } from "./ports/SecretStore.js"
import { ServerStore } from "./ports/ServerStore.js"
import { Transactor } from "./ports/Transactor.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Roles from "./Roles.js"
import * as Servers from "./Servers.js"
import { failIfAny } from "./Validation.js"
import * as Workflows from "./Workflows.js"

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

const sameName = (a: string, b: string) => nameKey(a) === nameKey(b)

const loadCurrent = (orgId: string) =>
  Effect.gen(function* () {
    const servers = yield* Effect.flatMap(ServerStore, (s) => s.listServers(orgId))
    const profiles = new Map<string, ReadonlyArray<AuthProfile>>()
    for (const server of servers) {
      profiles.set(server.id, yield* Effect.flatMap(ServerStore, (s) => s.listAuthProfiles(orgId, server.id)))
    }
    const workflows = yield* Effect.flatMap(WorkflowStore, (s) => s.listWorkflows(orgId))
    // Archived (deleted) monitors are left out: a file naming one creates a new monitor.
    const monitors = (yield* Effect.flatMap(MonitorStore, (s) => s.listMonitors(orgId))).filter(isLiveMonitor)
    const rules = yield* Effect.flatMap(AlertStore, (s) => s.listRules(orgId))
    return { servers, profiles, workflows, monitors, rules }
  })

type State = Effect.Effect.Success<ReturnType<typeof loadCurrent>>

/** Name → id lookups for the references of workflows, monitors and alert rules. */
const refsOf = (state: State) => ({
  server: (name: string) => state.servers.find((s) => sameName(s.name, name)),
  /** The id of an alert rule's target, by the type and name the file gives. */
  target: ({ type, name }: ReturnType<typeof targetOf>) =>
    (type === "monitor"
      ? state.monitors.find((m) => sameName(m.name, name))?.id
      : type === "workflow"
        ? state.workflows.find((w) => sameName(w.spec.name, name))?.id
        : state.servers.find((s) => sameName(s.name, name))?.id) ?? pending,
  profile: (serverId: string | undefined, name: string | undefined) =>
    serverId === undefined || name === undefined
      ? undefined
      : state.profiles.get(serverId)?.find((p) => sameName(p.name, name))
})

/** The connection settings a server entry asks for, in the shape `Servers.update` takes. */
const connectionOf = (entry: ServerEntry) => ({
  transport: entry.transport,
  baseUrl: entry.transport === "stdio" ? null : (entry.baseUrl ?? null),
  command: entry.transport === "stdio" ? (entry.command ?? null) : null,
  args: entry.args ?? [],
  env: entry.env ?? {},
  extraHeaders: entry.extraHeaders ?? {}
})

/** The step of an entry that exists: an update when any field differs, else unchanged. */
const compared = (kind: Kind, name: string, changes: ReadonlyArray<string>): Step => ({
  kind,
  name,
  action: changes.length > 0 ? "update" : "unchanged",
  changes
})

/** The fields of two records that differ. */
const changedFields = (desired: Record<string, unknown>, stored: Record<string, unknown>) =>
  Object.keys(desired).filter((key) => !isDeepStrictEqual(desired[key], stored[key]))

/** A stored secret's value; an unreadable one is `undefined`, which differs from any value. */
const readSecret = (orgId: string, ref: string) =>
  Effect.flatMap(SecretStore, (secrets) => secrets.get(orgId, ref)).pipe(
    Effect.map(Redacted.value),
    Effect.orElseSucceed(() => undefined)
  )

/** Stored stdio environment values are secret references; compare what they hold. */
const storedEnv = (server: McpServer) =>
  Effect.gen(function* () {
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(server.env)) {
      env[key] = value.startsWith("secret:")
        ? // An unreadable secret counts as different, so apply writes it again.
          ((yield* readSecret(server.orgId, value.slice("secret:".length))) ?? `${value} (unreadable)`)
        : value
    }
    return env
  })

const profileSettings = (p: {
  readonly kind: string
  readonly headerName?: string | null | undefined
  readonly tokenUrl?: string | null | undefined
  readonly clientId?: string | null | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
}) => ({
  kind: p.kind,
  headerName: p.headerName ?? null,
  tokenUrl: p.tokenUrl ?? null,
  clientId: p.clientId ?? null,
  scopes: [...(p.scopes ?? [])]
})

type ServerUseCase =
  | ReturnType<typeof Servers.register>
  | ReturnType<typeof Servers.update>
  | ReturnType<typeof Servers.addAuthProfile>
  | ReturnType<typeof Servers.replaceAuthProfileSecret>
type ServerWrite = Effect.Effect<
  unknown,
  Effect.Effect.Error<ServerUseCase>,
  Effect.Effect.Context<ServerUseCase>
>

type ProfileEntry = ServerEntry["authProfiles"][number]

/** A secret a file names by its environment variable (`tokenEnv`, `secretEnv`), read through Effect `Config`. */
const fromEnv = (variable: string) =>
  Config.option(Config.redacted(variable)).pipe(Effect.orElseSucceed(() => Option.none()))

/**
 * The input `Servers` takes for a profile of the file. Its secret comes from the environment
 * variable `tokenEnv` names (through Effect `Config`), never from the file.
 */
const profileInput = (entry: ProfileEntry, field: string) =>
  Effect.gen(function* () {
    const base = {
      name: entry.name,
      kind: entry.kind,
      ...(entry.headerName === undefined ? {} : { headerName: entry.headerName }),
      ...(entry.tokenUrl === undefined ? {} : { tokenUrl: entry.tokenUrl }),
      ...(entry.clientId === undefined ? {} : { clientId: entry.clientId }),
      ...(entry.scopes === undefined ? {} : { scopes: entry.scopes })
    }
    if (entry.kind === "none") return { input: base, secret: {}, errors: [] as FieldError[] }
    if (entry.tokenEnv === undefined) {
      return {
        input: base,
        secret: {},
        errors: [
          {
            field: `${field}.tokenEnv`,
            message: `names the environment variable holding the ${entry.kind} secret; required`
          }
        ]
      }
    }
    const secret = yield* fromEnv(entry.tokenEnv)
    if (Option.isNone(secret)) {
      return {
        input: base,
        secret: {},
        errors: [{ field: `${field}.tokenEnv`, message: `environment variable ${entry.tokenEnv} is not set` }]
      }
    }
    const key =
      entry.kind === "bearer" ? "token" : entry.kind === "api_key_header" ? "headerValue" : "clientSecret"
    const value = { [key]: Redacted.value(secret.value) }
    return { input: { ...base, ...value }, secret: value, errors: [] as FieldError[] }
  })

const workflowSpecOf = (entry: WorkflowEntry, serverId: string, authProfileId: string | null) =>
  Schema.encodeSync(WorkflowSpec)({
    ...Struct.omit(entry, "server", "authProfile"),
    mcpServerId: serverId,
    authProfileId
  })

/** The monitor a file entry asks for; what it leaves out of `state` and `muted` stays as stored. */
const monitorSpecOf = (
  entry: MonitorEntry,
  serverId: string,
  authProfileId: string | null,
  stored?: Pick<MonitorSpec, "state" | "muted">
) =>
  Schema.encodeSync(MonitorSpec)({
    ...Struct.omit(entry, "server", "authProfile"),
    mcpServerId: serverId,
    authProfileId,
    state: entry.state ?? stored?.state ?? "active",
    muted: entry.muted ?? stored?.muted ?? false
  })

/**
 * The auth profile an entry asks for. An entry that names none leaves the choice to the use case
 * (which picks the server's default), so whatever is stored then counts as what the file wants —
 * but only on the same server: a stored profile belongs to the stored server, and an entry moved
 * to another server must not carry it along (the use case would refuse it), so it asks for none.
 */
const profileIdOf = (
  entry: { readonly authProfile?: string | undefined },
  named: AuthProfile | undefined,
  serverId: string,
  stored: { readonly mcpServerId: string; readonly authProfileId: string | null } | undefined
): string | null =>
  entry.authProfile !== undefined
    ? (named?.id ?? pending)
    : stored !== undefined && stored.mcpServerId === serverId
      ? stored.authProfileId
      : null

/** A use case's field errors named as in the file: `arguments.x` becomes `monitors[2].arguments.x`. */
const inFile =
  (prefix: string) =>
  <E>(error: E): E => {
    const named = (fields: ReadonlyArray<FieldError>) =>
      fields.map((f) => ({ ...f, field: `${prefix}.${f.field}` }))
    if (error instanceof ValidationFailed)
      return validationFailed(named(error.fieldErrors), error.warnings) as E
    if (error instanceof SecretInArguments)
      return new SecretInArguments({ message: error.message, fieldErrors: named(error.fieldErrors) }) as E
    return error
  }

/** A placeholder id for references to what the plan has yet to create. */
const pending = "00000000-0000-0000-0000-000000000000"

/**
 * Compares the file with the organization. Fails with `validation_failed` (fields named as in
 * the file) when the file cannot be applied as it stands: a missing secret variable, or an
 * auth profile whose settings differ from the stored one (profiles are immutable; give the new
 * settings a new profile name). A profile whose `tokenEnv` holds another secret than the stored
 * one is an update: its secret is replaced.
 */
export const plan = (caller: Caller, config: ConfigFile) =>
  Effect.map(prepare(caller, config), (prepared) => prepared.plan)

/**
 * The plan and the effect that carries it out, so a caller can show the plan and then apply
 * exactly it (`plan` and `apply` are this, halved).
 */
export const prepare = (caller: Caller, config: ConfigFile) =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.read")
    const state = yield* loadCurrent(caller.orgId)
    const refs = refsOf(state)
    const policy = yield* Servers.ServerPolicy
    const steps: Step[] = []
    const errors: FieldError[] = []
    const serverWrites: Array<{ readonly field: string; readonly write: ServerWrite }> = []

    for (const [i, entry] of config.servers.entries()) {
      const existing = refs.server(entry.name)
      const connection = connectionOf(entry)
      // The rules `Servers` applies, checked here so that a file they refuse fails before any
      // write (not halfway through) and names its fields as in the file.
      errors.push(
        ...checkRegistration(
          { name: entry.name, ...connection, authProfiles: [] },
          policy.allowInsecureHttp
        ).map((e) => ({ field: `servers[${i}].${e.field}`, message: e.message }))
      )
      const profiles: Array<Record<string, unknown>> = []
      const newProfiles: Array<{ name: string; field: string; input: Record<string, unknown> }> = []
      for (const [j, p] of entry.authProfiles.entries()) {
        const field = `servers[${i}].authProfiles[${j}]`
        const stored = existing === undefined ? undefined : refs.profile(existing.id, p.name)
        if (stored !== undefined) {
          const changed = changedFields(profileSettings(p), profileSettings(stored))
          if (changed.length > 0) {
            errors.push({
              field,
              message: `auth profile "${p.name}" exists with other settings (${changed.join(", ")}); profiles cannot be changed in place — give the new settings a new profile name`
            })
          } else if (p.kind !== "none" && p.tokenEnv !== undefined) {
            // A rotated secret (or one the store can no longer read) is replaced in place.
            const { input, secret, errors: secretErrors } = yield* profileInput(p, field)
            errors.push(...secretErrors)
            const storedSecret =
              stored.secretRef === null ? undefined : yield* readSecret(caller.orgId, stored.secretRef)
            if (secretErrors.length === 0 && secretOf(input as AuthProfileInput) !== storedSecret) {
              steps.push({
                kind: "auth_profile",
                name: `${entry.name}/${p.name}`,
                action: "update",
                changes: ["secret"]
              })
              serverWrites.push({
                field,
                write: Servers.replaceAuthProfileSecret(caller, stored.serverId, stored.id, secret)
              })
            }
          }
          continue
        }
        const { input, errors: secretErrors } = yield* profileInput(p, field)
        errors.push(...secretErrors)
        // Without its secret the profile is already reported; checking it would only repeat that.
        if (secretErrors.length === 0) {
          errors.push(...checkAuthProfile(field, input as AuthProfileInput, policy.allowInsecureHttp))
        }
        profiles.push(input)
        newProfiles.push({ name: p.name, field, input })
      }
      if (existing === undefined) {
        steps.push({ kind: "server", name: entry.name, action: "create", changes: [] })
        for (const p of newProfiles) {
          steps.push({ kind: "auth_profile", name: `${entry.name}/${p.name}`, action: "create", changes: [] })
        }
        serverWrites.push({
          field: `servers[${i}]`,
          write: Servers.register(caller, { name: entry.name, ...connection, authProfiles: profiles })
        })
        continue
      }
      // A stdio server registered before launches needed approval (or by an API caller) is
      // approved by the operator's apply: an update even when its settings are the same.
      const desired = { ...connection, ...(entry.transport === "stdio" ? { launchApproved: true } : {}) }
      const changes = changedFields(desired, { ...existing, env: yield* storedEnv(existing) })
      steps.push(compared("server", entry.name, changes))
      if (changes.length > 0) {
        const fields = changes.filter((key): key is keyof typeof connection => key in connection)
        serverWrites.push({
          field: `servers[${i}]`,
          write: Servers.update(caller, existing.id, Struct.pick(connection, ...fields))
        })
      }
      for (const p of newProfiles) {
        steps.push({ kind: "auth_profile", name: `${entry.name}/${p.name}`, action: "create", changes: [] })
        serverWrites.push({ field: p.field, write: Servers.addAuthProfile(caller, existing.id, p.input) })
      }
    }

    const workflowWrites = config.workflows.map((entry, i) => {
      const server = refs.server(entry.server)
      const profile = refs.profile(server?.id, entry.authProfile)
      const existing = state.workflows.find((w) => sameName(w.spec.name, entry.name))
      if (existing === undefined) {
        steps.push({ kind: "workflow", name: entry.name, action: "create", changes: [] })
      } else {
        const serverId = server?.id ?? pending
        const desired = workflowSpecOf(entry, serverId, profileIdOf(entry, profile, serverId, existing.spec))
        const changes = changedFields(desired, Schema.encodeSync(WorkflowSpec)(existing.spec))
        steps.push(compared("workflow", entry.name, changes))
        if (changes.length === 0) return undefined
      }
      return { entry, existing, field: `workflows[${i}]` }
    })

    const monitorWrites = config.monitors.map((entry, i) => {
      const server = refs.server(entry.server)
      const profile = refs.profile(server?.id, entry.authProfile)
      const existing = state.monitors.find((m) => sameName(m.name, entry.name))
      if (existing === undefined) {
        steps.push({ kind: "monitor", name: entry.name, action: "create", changes: [] })
      } else {
        const serverId = server?.id ?? pending
        const desired = monitorSpecOf(
          entry,
          serverId,
          profileIdOf(entry, profile, serverId, existing),
          existing
        )
        const changes = changedFields(desired, Monitors.specOf(existing))
        steps.push(compared("monitor", entry.name, changes))
        if (changes.length === 0) return undefined
      }
      return { entry, existing, field: `monitors[${i}]` }
    })

    const ruleWrites: RuleWrite[] = []
    for (const [i, entry] of (config.alertRules ?? []).entries()) {
      const field = `alertRules[${i}]`
      const { secret, errors: secretErrors } = yield* ruleSecret(entry, field)
      errors.push(...secretErrors)
      // Rule names are unique in the store (ignoring case and spacing), as the file's are.
      const existing = state.rules.find((r) => sameName(r.name, entry.name))
      if (existing === undefined) {
        steps.push({ kind: "alert_rule", name: entry.name, action: "create", changes: [] })
        ruleWrites.push({ entry, field, existing, secret, secretChanged: secret !== undefined, changes: [] })
        continue
      }
      const desired = ConfigRules.desiredOf(entry, refs.target(targetOf(entry)), existing)
      const changes = changedFields(
        ConfigRules.comparable(desired),
        ConfigRules.comparable(ConfigRules.storedOf(existing))
      )
      // Only a webhook signs; moving to another destination type is a change of `destination`.
      const ref = storedSecretRef(existing)
      const secretChanged =
        desired.destination.type === "webhook" &&
        secret !== (ref === null ? undefined : yield* readSecret(caller.orgId, ref))
      steps.push(compared("alert_rule", entry.name, [...changes, ...(secretChanged ? ["secret"] : [])]))
      if (changes.length > 0 || secretChanged)
        ruleWrites.push({ entry, field, existing, secret, secretChanged, changes })
    }

    yield* failIfAny(errors)

    const named = (kind: Kind, names: ReadonlyArray<string>, inFile: ReadonlyArray<{ name: string }>) =>
      names.filter((n) => !inFile.some((e) => sameName(e.name, n))).map((name) => ({ kind, name }))
    const notInFile = [
      ...named(
        "server",
        state.servers.map((s) => s.name),
        config.servers
      ),
      ...named(
        "workflow",
        state.workflows.map((w) => w.spec.name),
        config.workflows
      ),
      ...named(
        "monitor",
        state.monitors.map((m) => m.name),
        config.monitors
      ),
      ...named(
        "alert_rule",
        state.rules.map((r) => r.name),
        config.alertRules ?? []
      )
    ]

    /**
     * Servers first; then workflows and monitors, whose references resolve against the new state.
     * One transaction: a write the use cases refuse (an unknown model, arguments a tool does not
     * take) leaves nothing of the file behind. Their field errors are named as in the file.
     */
    const execute = Effect.gen(function* () {
      for (const { field, write } of serverWrites) yield* Effect.mapError(write, inFile(field))
      const after = refsOf(yield* loadCurrent(caller.orgId))
      const idsOf = (
        entry: { server: string; authProfile?: string | undefined },
        stored: { readonly mcpServerId: string; readonly authProfileId: string | null } | undefined
      ) => {
        // ConfigFile.parse checked that every reference names a server of the file, and the
        // server writes above either stored each one or failed.
        const server = after.server(entry.server)!
        return {
          serverId: server.id,
          profileId: profileIdOf(entry, after.profile(server.id, entry.authProfile), server.id, stored)
        }
      }
      for (const write of workflowWrites) {
        if (write === undefined) continue
        const { serverId, profileId } = idsOf(write.entry, write.existing?.spec)
        const spec = workflowSpecOf(write.entry, serverId, profileId)
        const named = inFile(write.field)
        if (write.existing === undefined) yield* Effect.mapError(Workflows.create(caller, spec), named)
        else yield* Effect.mapError(Workflows.update(caller, write.existing.id, { spec }), named)
      }
      for (const write of monitorWrites) {
        if (write === undefined) continue
        const { serverId, profileId } = idsOf(write.entry, write.existing)
        const spec = monitorSpecOf(write.entry, serverId, profileId, write.existing)
        const named = inFile(write.field)
        if (write.existing === undefined) yield* Effect.mapError(Monitors.create(caller, spec), named)
        else yield* Effect.mapError(Monitors.update(caller, write.existing.id, spec), named)
      }
      // Last: a rule's target may be a workflow or monitor the writes above just created.
      const targets = ruleWrites.length === 0 ? undefined : refsOf(yield* loadCurrent(caller.orgId))
      for (const write of ruleWrites) yield* writeRule(caller, write, targets!)
    }).pipe((writes) => Effect.flatMap(Transactor, (tx) => tx.withTransaction(writes)))

    return { plan: { steps, notInFile } satisfies Plan, execute }
  })

interface RuleWrite {
  readonly entry: AlertRuleEntry
  readonly field: string
  readonly existing: AlertRule | undefined
  /** The webhook signing secret from `secretEnv`, if the file names one. */
  readonly secret: string | undefined
  readonly secretChanged: boolean
  /** For updates: the compared fields that differ. */
  readonly changes: ReadonlyArray<string>
}

/** The signing secret an alert rule's `secretEnv` names, or the field error of a variable that is not set. */
const ruleSecret = (entry: AlertRuleEntry, field: string) =>
  Effect.gen(function* () {
    const variable = entry.destination.secretEnv
    if (variable === undefined) return { secret: undefined, errors: [] as FieldError[] }
    const secret = yield* fromEnv(variable)
    return Option.isSome(secret)
      ? { secret: Redacted.value(secret.value), errors: [] as FieldError[] }
      : {
          secret: undefined,
          errors: [
            {
              field: `${field}.destination.secretEnv`,
              message: `environment variable ${variable} is not set`
            }
          ]
        }
  })

const storedSecretRef = (rule: AlertRule): string | null =>
  rule.destination.type === "webhook"
    ? ((rule.destination as { secretRef?: string | null }).secretRef ?? null)
    : null

/**
 * Creates or updates one alert rule through the use cases. An update sends only what changed;
 * a webhook whose secret did not change keeps its stored one, even when its address moves.
 */
const writeRule = (caller: Caller, write: RuleWrite, targets: ReturnType<typeof refsOf>) => {
  const desired = ConfigRules.desiredOf(write.entry, targets.target(targetOf(write.entry)), write.existing)
  // Without `secret`, an updated webhook keeps its stored secret; `null` (secretEnv removed from
  // the file) makes it unsigned.
  const destination = {
    ...desired.destination,
    ...(write.secretChanged ? { secret: write.secret ?? null } : {})
  }
  const full: Record<string, unknown> = { ...desired, destination }
  const named = <E>(error: E): E => {
    const renamed =
      error instanceof ValidationFailed
        ? (validationFailed(
            error.fieldErrors.map((f) => ({ ...f, field: ConfigRules.fileField(write.entry, f.field) })),
            error.warnings
          ) as E)
        : error
    return inFile(write.field)(renamed)
  }
  if (write.existing === undefined) return Effect.mapError(Alerting.createRule(caller, full), named)
  const changed = [...write.changes, ...(write.secretChanged ? ["destination"] : [])]
  const patch = Object.fromEntries([...new Set(changed)].map((key) => [key, full[key]]))
  return Effect.mapError(Alerting.updateRule(caller, write.existing.id, patch), named)
}

/** Applies a file: the plan's creates and updates, in one transaction, servers before what uses them. */
export const apply = (caller: Caller, config: ConfigFile) =>
  Effect.gen(function* () {
    const { plan, execute } = yield* prepare(caller, config)
    yield* execute
    return plan
  })

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
