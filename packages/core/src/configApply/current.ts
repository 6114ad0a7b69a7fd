/**
 * What the organization has, as a plan compares it with a file: its servers with their auth
 * profiles, live workflows and monitors, and alert rules, looked up by the names a file uses.
 */
import { Config, Effect, Option, Redacted } from "effect"
import type { ConfigFile, targetOf } from "../ConfigFile.js"
import type { AuthProfile } from "../domain/McpServer.js"
import { type FieldError, SecretInArguments, ValidationFailed, validationFailed } from "../Errors.js"
import { isLiveMonitor } from "../internal/monitorRecords.js"
import { AlertStore } from "../ports/AlertStore.js"
import { MonitorStore } from "../ports/MonitorStore.js"
import { SecretStore } from "../ports/SecretStore.js"
import { ServerStore } from "../ports/ServerStore.js"
import { WorkflowStore } from "../ports/WorkflowStore.js"
import { type Kind, type Plan, sameName } from "./plan.js"

/** Reads what the organization has of every kind a file can name. */
export const loadCurrent = (orgId: string) =>
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

export type State = Effect.Effect.Success<ReturnType<typeof loadCurrent>>

/** What the organization has that the file does not name, kind by kind; apply leaves it as it is. */
export const notInFile = (state: State, config: ConfigFile): Plan["notInFile"] => {
  const notNamed = (
    kind: Kind,
    names: ReadonlyArray<string>,
    entries: ReadonlyArray<{ readonly name: string }>
  ) => names.filter((n) => !entries.some((e) => sameName(e.name, n))).map((name) => ({ kind, name }))
  return [
    ...notNamed(
      "server",
      state.servers.map((s) => s.name),
      config.servers
    ),
    ...notNamed(
      "workflow",
      state.workflows.map((w) => w.spec.name),
      config.workflows
    ),
    ...notNamed(
      "monitor",
      state.monitors.map((m) => m.name),
      config.monitors
    ),
    ...notNamed(
      "alert_rule",
      state.rules.map((r) => r.name),
      config.alertRules ?? []
    )
  ]
}

/** A placeholder id for references to what the plan has yet to create. */
export const pending = "00000000-0000-0000-0000-000000000000"

/** Name → id lookups for the references of workflows, monitors and alert rules. */
export const refsOf = (state: State) => ({
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

export type Refs = ReturnType<typeof refsOf>

/** What a workflow or monitor stores of its server and auth profile. */
export type StoredRefs = { readonly mcpServerId: string; readonly authProfileId: string | null }

/**
 * The auth profile an entry asks for. An entry that names none leaves the choice to the use case
 * (which picks the server's default), so whatever is stored then counts as what the file wants —
 * but only on the same server: a stored profile belongs to the stored server, and an entry moved
 * to another server must not carry it along (the use case would refuse it), so it asks for none.
 */
export const profileIdOf = (
  entry: { readonly authProfile?: string | undefined },
  named: AuthProfile | undefined,
  serverId: string,
  stored: StoredRefs | undefined
): string | null =>
  entry.authProfile !== undefined
    ? (named?.id ?? pending)
    : stored !== undefined && stored.mcpServerId === serverId
      ? stored.authProfileId
      : null

/**
 * The server and profile ids of an entry once the servers are written. ConfigFile.parse checked
 * that every reference names a server of the file, and the server writes either stored each one
 * or failed.
 */
export const idsOf = (
  after: Refs,
  entry: { readonly server: string; readonly authProfile?: string | undefined },
  stored: StoredRefs | undefined
) => {
  const server = after.server(entry.server)!
  return {
    serverId: server.id,
    profileId: profileIdOf(entry, after.profile(server.id, entry.authProfile), server.id, stored)
  }
}

/** A stored secret's value; an unreadable one is `undefined`, which differs from any value. */
export const readSecret = (orgId: string, ref: string) =>
  Effect.flatMap(SecretStore, (secrets) => secrets.get(orgId, ref)).pipe(
    Effect.map(Redacted.value),
    Effect.orElseSucceed(() => undefined)
  )

/** A secret a file names by its environment variable (`tokenEnv`, `secretEnv`), read through Effect `Config`. */
export const fromEnv = (variable: string) =>
  Config.option(Config.redacted(variable)).pipe(Effect.orElseSucceed(() => Option.none()))

/** A use case's field errors named as in the file: `arguments.x` becomes `monitors[2].arguments.x`. */
export const inFile =
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
