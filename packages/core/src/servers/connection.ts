/**
 * How a server is reached: changing its transport, URL or command, headers and environment, and
 * probing it again with a fresh session. A plain probe stores a catalog version only while the
 * server has none (later catalog changes are `sync`'s job).
 */
import { Effect, Option } from "effect"
import type { Caller } from "../domain/Audit.js"
import type { McpServer } from "../domain/McpServer.js"
import type {
  Conflict,
  ForbiddenRole,
  NotFound,
  StdioNotAllowed,
  StoreError,
  ValidationFailed
} from "../Errors.js"
import { now } from "../internal/clock.js"
import { checkRegistration, type RegisterInput, UpdateInput } from "../internal/serverInput.js"
import { probeAndRecord, probeStateOnly, ServerPolicy } from "../internal/serverRecord.js"
import { authorizeLaunch } from "../internal/stdioLaunch.js"
import type { AlertStore } from "../ports/AlertStore.js"
import type { Ids } from "../ports/Ids.js"
import type { McpConnector } from "../ports/McpConnector.js"
import { SecretStore } from "../ports/SecretStore.js"
import { ServerStore } from "../ports/ServerStore.js"
import { Transactor } from "../ports/Transactor.js"
import * as Roles from "../Roles.js"
import { decode, failIfAny } from "../Validation.js"
import { annotateSpan, chooseProfile, loadServer, type ProbeOutcome, probeOutcome } from "./records.js"
import { envAsSecrets, foreignSecretRefs } from "./secrets.js"
import { guardedUrls } from "./urlGuard.js"

/**
 * What writing and probing a server needs. Kept local (as in each sibling): an exported alias
 * from this folder would have to be named in the declarations of packages that infer these types.
 */
type Env = ServerStore | SecretStore | McpConnector | Ids | Transactor | AlertStore

/**
 * Changes how a server is reached (transport, URL or command, headers, environment) and probes
 * it again with its default profile. Replaced environment secrets are deleted.
 */
export const update = Effect.fn("Servers.update")(function* (
  caller: Caller,
  serverId: string,
  patch: unknown
): Effect.fn.Return<
  { server: McpServer; probe: ProbeOutcome },
  ForbiddenRole | StdioNotAllowed | NotFound | ValidationFailed | Conflict | StoreError,
  Env
> {
  yield* annotateSpan(caller.orgId, serverId)
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
  const probed = hasCatalog ? yield* probeStateOnly(server, profile) : yield* probeAndRecord(server, profile)
  return { server: probed.server, probe: probeOutcome(probed.error) }
})

/**
 * Probes a server again with a fresh session and records its state; stores a catalog version
 * only if the server has none yet (later catalog changes are `sync`'s job).
 */
export const probe = Effect.fn("Servers.probe")(function* (
  caller: Caller,
  serverId: string,
  options: { readonly authProfileId?: string } = {}
): Effect.fn.Return<
  { server: McpServer; probe: ProbeOutcome },
  ForbiddenRole | NotFound | Conflict | StoreError,
  Env
> {
  yield* annotateSpan(caller.orgId, serverId)
  yield* Roles.authorize(caller.actor, "servers.probe")
  const server = yield* loadServer(caller.orgId, serverId)
  const profile = yield* chooseProfile(caller.orgId, serverId, options.authProfileId)
  const hasCatalog = Option.isSome(
    yield* Effect.flatMap(ServerStore, (s) => s.latestCatalog(caller.orgId, serverId))
  )
  // A plain probe must not create catalog versions behind sync's back once a catalog exists.
  const probed = hasCatalog ? yield* probeStateOnly(server, profile) : yield* probeAndRecord(server, profile)
  return { server: probed.server, probe: probeOutcome(probed.error) }
})
