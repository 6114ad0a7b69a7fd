/**
 * Reading a server's records for the use cases: the server and its auth profiles (not found is
 * `not_found`), the profile a probe uses, and the summaries callers get back.
 */
import { Effect } from "effect"
import type { CatalogVersion } from "../domain/Catalog.js"
import { profilesInOrder } from "../domain/McpServer.js"
import type { ServerUnreachable } from "../Errors.js"
import { notFound, orNotFound } from "../internal/notFound.js"
import { ServerStore } from "../ports/ServerStore.js"

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

/** A catalog version's summary. */
export const summaryOf = (c: CatalogVersion): CatalogSummary => ({
  version: c.version,
  hash: c.hash,
  serverInfo: c.serverInfo,
  protocolVersion: c.protocolVersion,
  toolCount: c.tools.length,
  createdAt: c.createdAt
})

/** A probe's failure (or none) as callers get it. */
export const probeOutcome = (error: ServerUnreachable | null): ProbeOutcome =>
  error === null ? { ok: true } : { ok: false, error: { reason: error.reason, message: error.message } }

/** The `not_found` of an auth profile that does not exist (or is another server's). */
export const profileNotFound = (id: string) => notFound("auth_profile", id)

/** A server of the organization, or `not_found`. */
export const loadServer = (orgId: string, id: string) =>
  Effect.flatMap(ServerStore, (store) => store.getServer(orgId, id)).pipe(orNotFound("mcp_server", id))

/** Profiles of a server, oldest first: the first one is the server's default for probes. */
export const profilesOf = (orgId: string, serverId: string) =>
  Effect.map(
    Effect.flatMap(ServerStore, (store) => store.listAuthProfiles(orgId, serverId)),
    profilesInOrder
  )

/** Picks the profile to probe with: the given one (which must belong to the server) or the default. */
export const chooseProfile = (orgId: string, serverId: string, authProfileId: string | undefined) =>
  Effect.gen(function* () {
    const profiles = yield* profilesOf(orgId, serverId)
    if (authProfileId === undefined) return profiles[0] ?? null
    const found = profiles.find((p) => p.id === authProfileId)
    return found === undefined ? yield* profileNotFound(authProfileId) : found
  })

/** Names the organization, and the server when there is one, on the use case's span. */
export const annotateSpan = (orgId: string, serverId?: string) =>
  Effect.annotateCurrentSpan({
    "armature.org_id": orgId,
    ...(serverId === undefined ? {} : { "armature.mcp_server_id": serverId })
  })
