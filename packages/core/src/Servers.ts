/**
 * MCP servers (SPEC §1, §2): registration with live probing, auth profiles whose secrets live
 * only in the `SecretStore`, catalog sync with drift classification, and catalog history.
 * Nothing returned here contains a secret value: profiles are returned as views, and stdio
 * environment values are stored as `secret:<ref>` references.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import * as Drift from "./Drift.js"
import type { Caller } from "./domain/Audit.js"
import { type CatalogDiff, type CatalogVersion, ToolChange } from "./domain/Catalog.js"
import { nameKey } from "./domain/Common.js"
import { type AuthProfile, type McpServer, profilesInOrder } from "./domain/McpServer.js"
import {
  Conflict,
  type FieldError,
  type ForbiddenRole,
  NotFound,
  type QuotaExceeded,
  type ServerUnreachable,
  type StdioNotAllowed,
  type StoreError,
  type UsedBy,
  type ValidationFailed
} from "./Errors.js"
import { now } from "./internal/clock.js"
import { archiveMonitors, deleteRulesOf } from "./internal/monitorRecords.js"
import {
  type AuthProfileInput,
  AuthProfileInput as AuthProfileInputSchema,
  checkAuthProfile,
  checkRegistration,
  RegisterInput,
  secretOf,
  UpdateInput
} from "./internal/serverInput.js"
import { type AuthProfileView, profileView } from "./internal/serverProbe.js"
import { otherServers, probeAndRecord, probeStateOnly, ServerPolicy } from "./internal/serverRecord.js"
import { authorizeLaunch } from "./internal/stdioLaunch.js"
import * as Pages from "./Pages.js"
import * as Plans from "./Plans.js"
import type { AlertStore } from "./ports/AlertStore.js"
import { Ids } from "./ports/Ids.js"
import { McpConnector } from "./ports/McpConnector.js"
import { MonitorStore } from "./ports/MonitorStore.js"
import { RunStore } from "./ports/RunStore.js"
import { SecretStore } from "./ports/SecretStore.js"
import { ServerStore } from "./ports/ServerStore.js"
import { Transactor } from "./ports/Transactor.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Roles from "./Roles.js"
import { decode, failIfAny } from "./Validation.js"

export { AuthProfileInput, RegisterInput, UpdateInput } from "./internal/serverInput.js"
export { AuthProfileView, profileView } from "./internal/serverProbe.js"
export { ServerPolicy } from "./internal/serverRecord.js"

/** Outcome of a live probe as returned to callers: the reason is one of `ServerUnreachable`'s. */
export interface ProbeOutcome {
  readonly ok: boolean
  readonly error?: { readonly reason: ServerUnreachable["reason"]; readonly message: string }
}

/** A catalog version without its tool list, for summaries. */
export interface CatalogSummary {
  readonly version: number
  readonly hash: string
  readonly serverInfo: CatalogVersion["serverInfo"]
  readonly protocolVersion: string
  readonly toolCount: number
  readonly createdAt: Date
}

/** Result of `sync` (SPEC §9.1 `sync_mcp_server_capabilities`). */
export const SyncResult = Schema.Struct({
  catalogVersion: Schema.Int,
  added: Schema.Array(Schema.String),
  removed: Schema.Array(Schema.String),
  changed: Schema.Array(ToolChange),
  /** Workflows that use a removed or changed tool (see `Drift.impact`). */
  affectedWorkflows: Schema.Array(
    Schema.Struct({
      workflowId: Schema.String,
      name: Schema.String,
      tools: Schema.Array(Schema.String),
      via: Schema.Array(Schema.Literal("tool_policy", "recent_runs"))
    })
  ),
  affectedMonitors: Schema.Array(
    Schema.Struct({ monitorId: Schema.String, name: Schema.String, tools: Schema.Array(Schema.String) })
  ),
  /**
   * The earlier version this catalog is identical to (a revert), or null: a restored catalog
   * ends the server's drift incident instead of paging, whatever its diff says.
   */
  restoredVersion: Schema.NullOr(Schema.Int)
})
export type SyncResult = typeof SyncResult.Type

type Env = ServerStore | SecretStore | McpConnector | Ids | Transactor | AlertStore

const summaryOf = (c: CatalogVersion): CatalogSummary => ({
  version: c.version,
  hash: c.hash,
  serverInfo: c.serverInfo,
  protocolVersion: c.protocolVersion,
  toolCount: c.tools.length,
  createdAt: c.createdAt
})

const serverNotFound = (id: string) =>
  new NotFound({ message: `MCP server ${id} not found`, entity: "mcp_server", id: String(id) })

const profileNotFound = (id: string) =>
  new NotFound({ message: `Auth profile ${id} not found`, entity: "auth_profile", id: String(id) })

const loadServer = (orgId: string, id: string) =>
  Effect.flatMap(ServerStore, (store) => store.getServer(orgId, id)).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.fail(serverNotFound(id)), onSome: Effect.succeed }))
  )

/** Profiles of a server, oldest first: the first one is the server's default for probes. */
const profilesOf = (orgId: string, serverId: string) =>
  Effect.map(
    Effect.flatMap(ServerStore, (store) => store.listAuthProfiles(orgId, serverId)),
    profilesInOrder
  )

/** Stores a profile's secret in the SecretStore and the profile with only its reference. */
const createProfile = (orgId: string, serverId: string, input: AuthProfileInput, at: Date) =>
  Effect.gen(function* () {
    const secrets = yield* SecretStore
    const ids = yield* Ids
    const secret = secretOf(input)
    const profile: AuthProfile = {
      id: yield* ids.uuid,
      orgId,
      serverId,
      name: input.name,
      kind: input.kind,
      headerName: input.kind === "api_key_header" ? (input.headerName?.trim() ?? null) : null,
      tokenUrl: input.kind === "oauth_client_credentials" ? (input.tokenUrl?.trim() ?? null) : null,
      clientId: input.kind === "oauth_client_credentials" ? (input.clientId?.trim() ?? null) : null,
      scopes: input.kind === "oauth_client_credentials" ? (input.scopes ?? []) : [],
      secretRef: secret === null ? null : yield* secrets.put(orgId, Redacted.make(secret)),
      createdAt: at
    }
    yield* Effect.flatMap(ServerStore, (store) => store.insertAuthProfile(profile))
    return profile
  })

/** Stores each stdio environment value as a secret reference; values that already are one stay. */
const envAsSecrets = (orgId: string, env: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    const secrets = yield* SecretStore
    const stored: Record<string, string> = {}
    for (const [key, value] of Object.entries(env)) {
      stored[key] = value.startsWith("secret:")
        ? value
        : `secret:${yield* secrets.put(orgId, Redacted.make(value))}`
    }
    return stored
  })

/**
 * Field errors for `secret:<ref>` values a server does not already hold. Such a value is kept as a
 * reference, so adopting another record's reference would share its secret — and deleting it when
 * this server's environment changes would break the other record. Only the server's own
 * references may be sent back; any other value must be given in plain text.
 */
const foreignSecretRefs = (
  env: Readonly<Record<string, string>>,
  owned: Readonly<Record<string, string>>
): ReadonlyArray<FieldError> => {
  const own = new Set(Object.values(owned))
  return Object.entries(env)
    .filter(([, value]) => value.startsWith("secret:") && !own.has(value))
    .map(([key]) => ({
      field: `env.${key}`,
      message: "is a secret reference this server does not hold; give the value itself"
    }))
}

/**
 * Field errors for URLs the deployment's address guard refuses now (a literal blocked address, or
 * a name resolving to one): a policy refusal saves nothing, unlike a probe that fails. The guard
 * runs again at every connect, since DNS answers change.
 */
const guardedUrls = (
  urls: ReadonlyArray<{ readonly field: string; readonly url: string | null | undefined }>
) =>
  Effect.gen(function* () {
    const connector = yield* McpConnector
    const errors: FieldError[] = []
    for (const { field, url } of urls) {
      if (url === null || url === undefined || url.trim() === "") continue
      const checked = yield* Effect.either(connector.checkAddress(url.trim()))
      if (checked._tag === "Left") {
        errors.push({
          field,
          message: `is refused by this deployment's address guard: ${checked.left.message}`
        })
      }
    }
    return yield* failIfAny(errors)
  })

/** The token endpoints of OAuth profiles, as fields to guard. */
const tokenUrls = (root: string, profiles: ReadonlyArray<AuthProfileInput>) =>
  profiles.map((p, i) => ({
    field: `${root}${root === "" ? "" : `[${i}].`}tokenUrl`,
    url: p.kind === "oauth_client_credentials" ? p.tokenUrl : null
  }))

const probeOutcome = (error: ServerUnreachable | null): ProbeOutcome =>
  error === null ? { ok: true } : { ok: false, error: { reason: error.reason, message: error.message } }

/**
 * Registers a server with its auth profiles (a `none` profile named `default` when none is
 * given) and probes it live. A failed probe still saves the server, as `unreachable` with the
 * precise reason in `lastProbeError`.
 */
export const register = (
  caller: Caller,
  input: unknown
): Effect.Effect<
  {
    server: McpServer
    authProfiles: ReadonlyArray<AuthProfileView>
    probe: ProbeOutcome
    catalog?: CatalogSummary
  },
  ForbiddenRole | StdioNotAllowed | ValidationFailed | Conflict | QuotaExceeded | StoreError,
  Env
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.write")
    yield* Plans.checkQuota(caller, "maxServers")
    const policy = yield* ServerPolicy
    const spec = yield* decode(RegisterInput)(input)
    const stdio = spec.transport === "stdio"
    if (stdio) yield* authorizeLaunch(caller, spec.command?.trim() ?? "")
    yield* failIfAny([
      ...checkRegistration(spec, policy.allowInsecureHttp),
      ...foreignSecretRefs(spec.env, {})
    ])
    yield* guardedUrls([
      { field: "baseUrl", url: stdio ? null : spec.baseUrl },
      ...tokenUrls("authProfiles", spec.authProfiles)
    ])
    const store = yield* ServerStore
    const existing = yield* store.listServers(caller.orgId)
    const name = spec.name
    // The store enforces this too (two concurrent registrations); checked first for the message.
    if (existing.some((s) => nameKey(s.name) === nameKey(name))) {
      return yield* new Conflict({
        message: `A server named "${name}" already exists in this organization`,
        fieldErrors: [{ field: "name", message: "is used by another server of this organization" }]
      })
    }
    const ids = yield* Ids
    const tx = yield* Transactor
    const at = yield* now
    const serverId = yield* ids.uuid
    const profileInputs: ReadonlyArray<AuthProfileInput> =
      spec.authProfiles.length > 0 ? spec.authProfiles : [{ name: "default", kind: "none" }]
    const { server, profiles } = yield* tx.withTransaction(
      Effect.gen(function* () {
        // stdio environments routinely carry tokens; keep every value as a secret reference.
        const env = yield* envAsSecrets(caller.orgId, spec.env)
        const server: McpServer = {
          id: serverId,
          orgId: caller.orgId,
          name,
          transport: spec.transport,
          baseUrl: spec.transport === "stdio" ? null : (spec.baseUrl?.trim() ?? null),
          command: spec.transport === "stdio" ? (spec.command?.trim() ?? null) : null,
          args: spec.args,
          env,
          extraHeaders: spec.extraHeaders,
          launchApproved: stdio,
          // Not probed yet: a crash before the probe must not leave a server that looks healthy.
          state: "unreachable",
          lastProbeError: null,
          lastProbedAt: null,
          createdAt: at,
          updatedAt: at
        }
        yield* store.insertServer(server)
        const profiles: AuthProfile[] = []
        // Profiles keep the order given (the first is the default): ties on creation time would
        // fall back to their random ids, so each is a millisecond after the one before.
        for (const [i, p] of profileInputs.entries()) {
          profiles.push(yield* createProfile(caller.orgId, serverId, p, new Date(at.getTime() + i)))
        }
        return { server, profiles }
      })
    )
    const probed = yield* probeAndRecord(server, profiles[0] ?? null)
    return {
      server: probed.server,
      authProfiles: profiles.map(profileView),
      probe: probeOutcome(probed.error),
      ...(probed.catalog === null ? {} : { catalog: summaryOf(probed.catalog) })
    }
  })

/** One server with its auth profiles (views) and its latest catalog summary. */
export const get = (
  caller: Caller,
  serverId: string
): Effect.Effect<
  { server: McpServer; authProfiles: ReadonlyArray<AuthProfileView>; catalog: CatalogSummary | null },
  ForbiddenRole | NotFound | StoreError,
  ServerStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.read")
    const server = yield* loadServer(caller.orgId, serverId)
    const profiles = yield* profilesOf(caller.orgId, serverId)
    const latest = yield* Effect.flatMap(ServerStore, (s) => s.latestCatalog(caller.orgId, serverId))
    return {
      server,
      authProfiles: profiles.map(profileView),
      catalog: Option.match(latest, { onNone: () => null, onSome: summaryOf })
    }
  })

/** The servers of the caller's organization. */
export const list = (
  caller: Caller,
  page?: Pages.PageRequest
): Effect.Effect<Pages.Page<McpServer>, ForbiddenRole | ValidationFailed | StoreError, ServerStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.read")
    const store = yield* ServerStore
    return yield* Pages.read(
      page,
      (query) => store.listServers(caller.orgId, query),
      (servers) => servers
    )
  })

/** Adds a named auth profile to a server; its secret goes to the SecretStore. */
export const addAuthProfile = (
  caller: Caller,
  serverId: string,
  input: unknown
): Effect.Effect<AuthProfileView, ForbiddenRole | NotFound | ValidationFailed | Conflict | StoreError, Env> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.write")
    const policy = yield* ServerPolicy
    const profile = yield* decode(AuthProfileInputSchema)(input)
    yield* loadServer(caller.orgId, serverId)
    const errors = [...checkAuthProfile("", profile, policy.allowInsecureHttp)]
    const existing = yield* profilesOf(caller.orgId, serverId)
    if (existing.some((p) => nameKey(p.name) === nameKey(profile.name))) {
      errors.push({ field: "name", message: "is used by another profile of this server" })
    }
    yield* failIfAny(errors)
    yield* guardedUrls(tokenUrls("", [profile]))
    const at = yield* now
    const tx = yield* Transactor
    return profileView(yield* tx.withTransaction(createProfile(caller.orgId, serverId, profile, at)))
  })

/** What `replaceAuthProfileSecret` accepts: the profile kind's secret field, as at creation. */
export const SecretInput = AuthProfileInputSchema.pipe(Schema.pick("token", "headerValue", "clientSecret"))

/**
 * Replaces an auth profile's secret (a rotated token, header value or client secret) and deletes
 * the old one; the profile's other settings never change in place. The secret is checked by the
 * rules of a new profile of its kind, with fields named as there (`token`, `headerValue`,
 * `clientSecret`). Sessions opened with the old secret are not reused: the session pool keys on
 * the secret's reference.
 */
export const replaceAuthProfileSecret = (
  caller: Caller,
  serverId: string,
  profileId: string,
  input: unknown
): Effect.Effect<
  AuthProfileView,
  ForbiddenRole | NotFound | ValidationFailed | StoreError,
  ServerStore | SecretStore | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.write")
    const secretInput = yield* decode(SecretInput)(input)
    yield* loadServer(caller.orgId, serverId)
    const stored = yield* Effect.flatMap(ServerStore, (store) =>
      store.getAuthProfile(caller.orgId, profileId)
    )
    const profile = Option.getOrUndefined(Option.filter(stored, (p) => p.serverId === serverId))
    if (profile === undefined) return yield* profileNotFound(profileId)
    const merged: AuthProfileInput = {
      name: profile.name,
      kind: profile.kind,
      ...(profile.headerName === null ? {} : { headerName: profile.headerName }),
      ...(profile.tokenUrl === null ? {} : { tokenUrl: profile.tokenUrl }),
      ...(profile.clientId === null ? {} : { clientId: profile.clientId }),
      ...(profile.kind === "oauth_client_credentials" ? { scopes: profile.scopes } : {}),
      ...secretInput
    }
    const secret = secretOf(merged)
    yield* failIfAny([
      // The stored settings passed these rules when the profile was made; only the secret is new.
      ...checkAuthProfile("", merged, true),
      ...(profile.kind === "none"
        ? [{ field: "kind", message: "a none profile holds no secret to replace" }]
        : [])
    ])
    const tx = yield* Transactor
    return profileView(
      yield* tx.withTransaction(
        Effect.gen(function* () {
          const secrets = yield* SecretStore
          const secretRef = yield* secrets.put(caller.orgId, Redacted.make(secret!))
          yield* Effect.flatMap(ServerStore, (store) =>
            store.setAuthProfileSecret(caller.orgId, profile.id, secretRef)
          )
          if (profile.secretRef !== null) yield* secrets.delete(caller.orgId, profile.secretRef)
          return { ...profile, secretRef }
        })
      )
    )
  })

/**
 * Changes how a server is reached (transport, URL or command, headers, environment) and probes
 * it again with its default profile. Replaced environment secrets are deleted.
 */
export const update = (
  caller: Caller,
  serverId: string,
  patch: unknown
): Effect.Effect<
  { server: McpServer; probe: ProbeOutcome },
  ForbiddenRole | StdioNotAllowed | NotFound | ValidationFailed | Conflict | StoreError,
  Env
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.write")
    const policy = yield* ServerPolicy
    const changes = yield* decode(UpdateInput)(patch)
    const current = yield* loadServer(caller.orgId, serverId)
    const transport = changes.transport ?? current.transport
    const stdio = transport === "stdio"
    // Switching transport drops the fields of the old one unless the patch sets them again.
    const merged: RegisterInput = {
      name: current.name,
      transport,
      baseUrl: changes.baseUrl !== undefined ? changes.baseUrl : stdio ? null : current.baseUrl,
      command: changes.command !== undefined ? changes.command : stdio ? current.command : null,
      args: changes.args ?? (stdio ? current.args : []),
      env: changes.env ?? (stdio ? current.env : {}),
      extraHeaders: changes.extraHeaders ?? current.extraHeaders,
      authProfiles: []
    }
    // Changing a stdio server, or turning a server into one, is setting a command to start.
    if (stdio || current.transport === "stdio") yield* authorizeLaunch(caller, merged.command?.trim() ?? "")
    yield* failIfAny([
      ...checkRegistration(merged, policy.allowInsecureHttp),
      ...foreignSecretRefs(merged.env, current.env)
    ])
    yield* guardedUrls([{ field: "baseUrl", url: stdio ? null : merged.baseUrl }])
    const store = yield* ServerStore
    const secrets = yield* SecretStore
    const tx = yield* Transactor
    const at = yield* now
    const server = yield* tx.withTransaction(
      Effect.gen(function* () {
        const env = yield* envAsSecrets(caller.orgId, merged.env)
        const server: McpServer = {
          ...current,
          transport,
          baseUrl: merged.baseUrl?.trim() ?? null,
          command: merged.command?.trim() ?? null,
          args: merged.args,
          env,
          extraHeaders: merged.extraHeaders,
          launchApproved: stdio,
          updatedAt: at
        }
        yield* store.updateServer(server)
        const kept = new Set(Object.values(env))
        for (const ref of Object.values(current.env)) {
          if (!kept.has(ref)) yield* secrets.delete(caller.orgId, ref.slice("secret:".length))
        }
        return server
      })
    )
    const profile = yield* chooseProfile(caller.orgId, serverId, undefined)
    const hasCatalog = Option.isSome(yield* store.latestCatalog(caller.orgId, serverId))
    const probed = hasCatalog
      ? yield* probeStateOnly(server, profile)
      : yield* probeAndRecord(server, profile)
    return { server: probed.server, probe: probeOutcome(probed.error) }
  })

/** Picks the profile to probe with: the given one (which must belong to the server) or the default. */
const chooseProfile = (orgId: string, serverId: string, authProfileId: string | undefined) =>
  Effect.gen(function* () {
    const profiles = yield* profilesOf(orgId, serverId)
    if (authProfileId === undefined) return profiles[0] ?? null
    const found = profiles.find((p) => p.id === authProfileId)
    return found === undefined ? yield* profileNotFound(authProfileId) : found
  })

/**
 * Probes a server again with a fresh session and records its state; stores a catalog version
 * only if the server has none yet (later catalog changes are `sync`'s job).
 */
export const probe = (
  caller: Caller,
  serverId: string,
  options: { readonly authProfileId?: string } = {}
): Effect.Effect<
  { server: McpServer; probe: ProbeOutcome },
  ForbiddenRole | NotFound | Conflict | StoreError,
  Env
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.probe")
    const server = yield* loadServer(caller.orgId, serverId)
    const profile = yield* chooseProfile(caller.orgId, serverId, options.authProfileId)
    const hasCatalog = Option.isSome(
      yield* Effect.flatMap(ServerStore, (s) => s.latestCatalog(caller.orgId, serverId))
    )
    // A plain probe must not create catalog versions behind sync's back once a catalog exists.
    const probed = hasCatalog
      ? yield* probeStateOnly(server, profile)
      : yield* probeAndRecord(server, profile)
    return { server: probed.server, probe: probeOutcome(probed.error) }
  })

/**
 * Re-probes a server (fresh session) and stores catalog version n+1 when the hash changed, with
 * the classified drift and the workflows and monitors it affects. A breaking drift fires the
 * server's rules that watch `drift_breaking`, new tool-poisoning findings (`suspicious` entries)
 * those that watch `drift_suspicious`; a catalog identical to an earlier version is
 * `restored` (`restoredVersion`) and ends that drift instead. Unreachable → the server is marked
 * so (its incident opens), and the call fails with `server_unreachable`.
 */
export const sync = (
  caller: Caller,
  serverId: string
): Effect.Effect<
  SyncResult,
  ForbiddenRole | NotFound | ServerUnreachable | Conflict | StoreError,
  Env | WorkflowStore | MonitorStore | RunStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.sync")
    const server = yield* loadServer(caller.orgId, serverId)
    const profile = yield* chooseProfile(caller.orgId, serverId, undefined)
    const probed = yield* probeAndRecord(server, profile)
    if (probed.error !== null) return yield* Effect.fail(probed.error)
    const catalog = probed.catalog!
    if (!probed.created) {
      return {
        catalogVersion: catalog.version,
        added: [],
        removed: [],
        changed: [],
        affectedWorkflows: [],
        affectedMonitors: [],
        restoredVersion: null
      }
    }
    // The first catalog of a server registered while unreachable: every tool is new.
    const diff = probed.diff ?? Drift.diff([], catalog.tools)
    const impact = (yield* impactsOf(caller.orgId, serverId, [diff]))[0]!
    return {
      catalogVersion: catalog.version,
      added: diff.added,
      removed: diff.removed,
      changed: diff.changed,
      affectedWorkflows: impact.affectedWorkflows,
      affectedMonitors: impact.affectedMonitors,
      restoredVersion: probed.restoredVersion
    }
  })

/** For each of `diffs`, the server's workflows and monitors using a tool it removed or changed: one read. */
const impactsOf = (orgId: string, serverId: string, diffs: ReadonlyArray<CatalogDiff>) =>
  Effect.gen(function* () {
    const workflows = yield* Effect.flatMap(WorkflowStore, (s) =>
      s.listWorkflows(orgId, { mcpServerId: serverId })
    )
    const monitors = yield* Effect.flatMap(MonitorStore, (s) =>
      s.listMonitors(orgId, { mcpServerId: serverId })
    )
    const calls = yield* Effect.flatMap(RunStore, (s) => s.recentToolCalls(orgId, serverId, 50))
    const recentCalls = calls.map((c) => ({ workflowId: c.workflowId, toolName: c.call.name }))
    return diffs.map((diff) => Drift.impact(diff, { workflows, monitors, recentCalls }))
  })

/**
 * The tests catalog changes affect: for each of `diffs`, the server's workflows and monitors that
 * use a tool it removed or changed (as `sync` reports them when it records the change).
 */
export const driftImpacts = (
  caller: Caller,
  serverId: string,
  diffs: ReadonlyArray<CatalogDiff>
): Effect.Effect<
  ReadonlyArray<Drift.Impact>,
  ForbiddenRole | NotFound | StoreError,
  ServerStore | WorkflowStore | MonitorStore | RunStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.read")
    yield* loadServer(caller.orgId, serverId)
    return yield* impactsOf(caller.orgId, serverId, diffs)
  })

/** Catalog history entry: a version summary with the drift from the version before it. */
export interface CatalogHistoryEntry extends CatalogSummary {
  readonly diff: CatalogDiff | null
}

/** The latest catalog version and the history (newest first), each with the diff to its predecessor. */
export const catalog = (
  caller: Caller,
  serverId: string,
  options: { readonly limit?: number } = {}
): Effect.Effect<
  { latest: CatalogVersion | null; history: ReadonlyArray<CatalogHistoryEntry> },
  ForbiddenRole | NotFound | StoreError,
  ServerStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.read")
    yield* loadServer(caller.orgId, serverId)
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500)
    // One extra version, so the oldest shown entry still gets its diff.
    const versions = yield* Effect.flatMap(ServerStore, (s) =>
      s.listCatalogVersions(caller.orgId, serverId, limit + 1)
    )
    // The look-alike name rules compare with the other servers as they are now.
    const others = yield* otherServers({ id: serverId, orgId: caller.orgId })
    const history = versions.slice(0, limit).map((v, i) => {
      const previous = versions[i + 1]
      return {
        ...summaryOf(v),
        diff: previous === undefined ? null : Drift.diff(previous.tools, v.tools, { others })
      }
    })
    return { latest: versions[0] ?? null, history }
  })

/** What deleting a server took with it. */
export const Deleted = Schema.Struct({
  serverId: Schema.String,
  /** Workflows of the server, archived: their runs stay readable. */
  archivedWorkflows: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String })),
  /** Monitors of the server, archived (deleted): their checks stay readable. */
  archivedMonitors: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String })),
  /** Alert rules on the server or on its archived monitors, which could never fire again. */
  deletedAlertRules: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String }))
})
export type Deleted = typeof Deleted.Type

/** The workflows and monitors (neither archived) of a server. */
const usersOf = (orgId: string, serverId: string) =>
  Effect.all({
    workflows: Effect.flatMap(WorkflowStore, (s) => s.listWorkflows(orgId, { mcpServerId: serverId })),
    monitors: Effect.flatMap(MonitorStore, (s) => s.listMonitors(orgId, { mcpServerId: serverId }))
  })

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

const named = (users: ReadonlyArray<UsedBy>) =>
  users
    .slice(0, 5)
    .map((u) => `${u.type} "${u.name}"`)
    .join(", ") + (users.length > 5 ? `, and ${users.length - 5} more` : "")

/**
 * Deletes a server with its auth profiles (and their secrets) and catalog history. Refused with
 * `conflict`, listing them in `usedBy`, while monitors or workflows use it — unless `cascade`,
 * which archives those workflows (runs stay readable) and those monitors (checks stay readable;
 * `Monitors.remove`), with the alert rules on them. Runs, archived workflows and archived
 * monitors keep the server's id: none of them has a foreign key to it.
 */
export const remove = (
  caller: Caller,
  serverId: string,
  options: { readonly cascade?: boolean } = {}
): Effect.Effect<
  Deleted,
  ForbiddenRole | NotFound | Conflict | StoreError,
  ServerStore | SecretStore | WorkflowStore | MonitorStore | AlertStore | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.write")
    const server = yield* loadServer(caller.orgId, serverId)
    const tx = yield* Transactor
    return yield* tx.withTransaction(
      Effect.gen(function* () {
        const { workflows, monitors } = yield* usersOf(caller.orgId, serverId)
        const usedBy: ReadonlyArray<UsedBy> = [
          ...monitors.map((m) => ({ type: "monitor" as const, id: m.id, name: m.name })),
          ...workflows.map((w) => ({ type: "workflow" as const, id: w.id, name: w.spec.name }))
        ]
        if (usedBy.length > 0 && options.cascade !== true) {
          return yield* new Conflict({
            message:
              `Server "${server.name}" is used by ${plural(monitors.length, "monitor")} and ` +
              `${plural(workflows.length, "workflow")} (${named(usedBy)}). Delete or move them first, ` +
              "or delete with cascade=true, which archives the workflows and the monitors.",
            usedBy
          })
        }
        const at = yield* now
        const workflowStore = yield* WorkflowStore
        for (const w of workflows) yield* workflowStore.setState(caller.orgId, w.id, "archived", at)
        const rules = [
          ...(yield* deleteRulesOf(caller.orgId, [{ type: "mcp_server", id: serverId }])),
          ...(yield* archiveMonitors(caller.orgId, monitors, at))
        ]
        const store = yield* ServerStore
        const secrets = yield* SecretStore
        const profiles = yield* store.listAuthProfiles(caller.orgId, serverId)
        yield* store.deleteServer(caller.orgId, serverId)
        const refs = [
          ...profiles.flatMap((p) => (p.secretRef === null ? [] : [p.secretRef])),
          ...Object.values(server.env).flatMap((v) =>
            v.startsWith("secret:") ? [v.slice("secret:".length)] : []
          )
        ]
        for (const ref of refs) yield* secrets.delete(caller.orgId, ref)
        return {
          serverId,
          archivedWorkflows: workflows.map((w) => ({ id: w.id, name: w.spec.name })),
          archivedMonitors: monitors.map((m) => ({ id: m.id, name: m.name })),
          deletedAlertRules: rules.map((r) => ({ id: r.id, name: r.name }))
        }
      })
    )
  })

/**
 * Deletes one auth profile of a server and its secret. Refused with `conflict` while a monitor
 * or workflow names it (listed in `usedBy`), and for the server's last profile. When the first
 * profile goes, the next one becomes the server's default.
 */
export const removeAuthProfile = (
  caller: Caller,
  serverId: string,
  profileId: string
): Effect.Effect<
  void,
  ForbiddenRole | NotFound | Conflict | StoreError,
  ServerStore | SecretStore | WorkflowStore | MonitorStore | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "servers.write")
    yield* loadServer(caller.orgId, serverId)
    const tx = yield* Transactor
    yield* tx.withTransaction(
      Effect.gen(function* () {
        const profiles = yield* profilesOf(caller.orgId, serverId)
        const profile = profiles.find((p) => p.id === profileId)
        if (profile === undefined) return yield* profileNotFound(profileId)
        if (profiles.length === 1) {
          return yield* new Conflict({
            message: `"${profile.name}" is the server's only auth profile; a server keeps at least one (add another first).`,
            fieldErrors: [{ field: "profileId", message: "is the server's only auth profile" }]
          })
        }
        const { workflows, monitors } = yield* usersOf(caller.orgId, serverId)
        const usedBy: ReadonlyArray<UsedBy> = [
          ...monitors
            .filter((m) => m.authProfileId === profileId)
            .map((m) => ({ type: "monitor" as const, id: m.id, name: m.name })),
          ...workflows
            .filter((w) => w.spec.authProfileId === profileId)
            .map((w) => ({ type: "workflow" as const, id: w.id, name: w.spec.name }))
        ]
        if (usedBy.length > 0) {
          return yield* new Conflict({
            message: `Auth profile "${profile.name}" is used by ${named(usedBy)}; point them at another profile first.`,
            usedBy
          })
        }
        yield* Effect.flatMap(ServerStore, (s) => s.deleteAuthProfile(caller.orgId, profileId))
        if (profile.secretRef !== null) {
          yield* Effect.flatMap(SecretStore, (s) => s.delete(caller.orgId, profile.secretRef!))
        }
      })
    )
  })
