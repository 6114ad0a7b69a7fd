/**
 * A server's catalog history: the latest version and the versions before it, each with the drift
 * from its predecessor.
 */
import { Effect } from "effect"
import * as Drift from "../Drift.js"
import type { Caller } from "../domain/Audit.js"
import type { CatalogDiff, CatalogVersion } from "../domain/Catalog.js"
import type { ForbiddenRole, NotFound, StoreError } from "../Errors.js"
import { otherServers } from "../internal/serverRecord.js"
import { ServerStore } from "../ports/ServerStore.js"
import * as Roles from "../Roles.js"
import { annotateSpan, type CatalogSummary, loadServer, summaryOf } from "./records.js"

/** Catalog history entry: a version summary with the drift from the version before it. */
export interface CatalogHistoryEntry extends CatalogSummary {
  readonly diff: CatalogDiff | null
}

/** The latest catalog version and the history (newest first), each with the diff to its predecessor. */
export const catalog = Effect.fn("Servers.catalog")(function* (
  caller: Caller,
  serverId: string,
  options: { readonly limit?: number } = {}
): Effect.fn.Return<
  { latest: CatalogVersion | null; history: ReadonlyArray<CatalogHistoryEntry> },
  ForbiddenRole | NotFound | StoreError,
  ServerStore
> {
  yield* annotateSpan(caller.orgId, serverId)
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
