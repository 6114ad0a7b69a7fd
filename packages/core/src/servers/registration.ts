/**
 * Registering a server (with its auth profiles, probed live) and reading the servers of an
 * organization.
 */
import { Effect, Option } from "effect"
import type { Caller } from "../domain/Audit.js"
import { nameKey } from "../domain/Common.js"
import type { AuthProfile, McpServer } from "../domain/McpServer.js"
import {
  Conflict,
  type ForbiddenRole,
  type NotFound,
  type QuotaExceeded,
  type StdioNotAllowed,
  type StoreError,
  type ValidationFailed
} from "../Errors.js"
import { now } from "../internal/clock.js"
import { type AuthProfileInput, checkRegistration, RegisterInput } from "../internal/serverInput.js"
import { type AuthProfileView, profileView } from "../internal/serverProbe.js"
import { probeAndRecord, ServerPolicy } from "../internal/serverRecord.js"
import { authorizeLaunch } from "../internal/stdioLaunch.js"
import * as Pages from "../Pages.js"
import * as Plans from "../Plans.js"
import type { AlertStore } from "../ports/AlertStore.js"
import { Ids } from "../ports/Ids.js"
import type { McpConnector } from "../ports/McpConnector.js"
import type { SecretStore } from "../ports/SecretStore.js"
import { ServerStore } from "../ports/ServerStore.js"
import { Transactor } from "../ports/Transactor.js"
import * as Roles from "../Roles.js"
import { decode, failIfAny } from "../Validation.js"
import {
  annotateSpan,
  type CatalogSummary,
  loadServer,
  type ProbeOutcome,
  probeOutcome,
  profilesOf,
  summaryOf
} from "./records.js"
import { createProfile, envAsSecrets, foreignSecretRefs } from "./secrets.js"
import { guardedUrls, tokenUrls } from "./urlGuard.js"

/**
 * What writing and probing a server needs. Kept local (as in each sibling): an exported alias
 * from this folder would have to be named in the declarations of packages that infer these types.
 */
type Env = ServerStore | SecretStore | McpConnector | Ids | Transactor | AlertStore

/**
 * Registers a server with its auth profiles (a `none` profile named `default` when none is
 * given) and probes it live. A failed probe still saves the server, as `unreachable` with the
 * precise reason in `lastProbeError`.
 */
export const register = Effect.fn("Servers.register")(function* (
  caller: Caller,
  input: unknown
): Effect.fn.Return<
  {
    server: McpServer
    authProfiles: ReadonlyArray<AuthProfileView>
    probe: ProbeOutcome
    catalog?: CatalogSummary
  },
  ForbiddenRole | StdioNotAllowed | ValidationFailed | Conflict | QuotaExceeded | StoreError,
  Env
> {
  yield* annotateSpan(caller.orgId)
  yield* Roles.authorize(caller.actor, "servers.write")
  yield* Plans.checkQuota(caller, "maxServers")
  const policy = yield* ServerPolicy
  const spec = yield* decode(RegisterInput)(input)
  const stdio = spec.transport === "stdio"
  if (stdio) yield* authorizeLaunch(caller, spec.command?.trim() ?? "")
  yield* failIfAny([...checkRegistration(spec, policy.allowInsecureHttp), ...foreignSecretRefs(spec.env, {})])
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
  yield* Effect.annotateCurrentSpan("armature.mcp_server_id", serverId)
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
export const get = Effect.fn("Servers.get")(function* (
  caller: Caller,
  serverId: string
): Effect.fn.Return<
  { server: McpServer; authProfiles: ReadonlyArray<AuthProfileView>; catalog: CatalogSummary | null },
  ForbiddenRole | NotFound | StoreError,
  ServerStore
> {
  yield* annotateSpan(caller.orgId, serverId)
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
export const list = Effect.fn("Servers.list")(function* (
  caller: Caller,
  page?: Pages.PageRequest
): Effect.fn.Return<Pages.Page<McpServer>, ForbiddenRole | ValidationFailed | StoreError, ServerStore> {
  yield* annotateSpan(caller.orgId)
  yield* Roles.authorize(caller.actor, "servers.read")
  const store = yield* ServerStore
  return yield* Pages.read(
    page,
    (query) => store.listServers(caller.orgId, query),
    (servers) => servers
  )
})
