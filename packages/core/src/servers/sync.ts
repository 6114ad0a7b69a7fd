/**
 * Catalog sync and drift (SPEC §2): a fresh probe that stores catalog version n+1 when the hash
 * changed, with the classified drift and the workflows and monitors it affects.
 */
import { Effect, Schema } from "effect"
import * as Drift from "../Drift.js"
import type { Caller } from "../domain/Audit.js"
import { type CatalogDiff, ToolChange } from "../domain/Catalog.js"
import type { Conflict, ForbiddenRole, NotFound, ServerUnreachable, StoreError } from "../Errors.js"
import { probeAndRecord } from "../internal/serverRecord.js"
import type { AlertStore } from "../ports/AlertStore.js"
import type { Ids } from "../ports/Ids.js"
import type { McpConnector } from "../ports/McpConnector.js"
import { MonitorStore } from "../ports/MonitorStore.js"
import { RunStore } from "../ports/RunStore.js"
import type { SecretStore } from "../ports/SecretStore.js"
import type { ServerStore } from "../ports/ServerStore.js"
import type { Transactor } from "../ports/Transactor.js"
import { WorkflowStore } from "../ports/WorkflowStore.js"
import * as Roles from "../Roles.js"
import { annotateSpan, chooseProfile, loadServer } from "./records.js"

/**
 * What writing and probing a server needs. Kept local (as in each sibling): an exported alias
 * from this folder would have to be named in the declarations of packages that infer these types.
 */
type Env = ServerStore | SecretStore | McpConnector | Ids | Transactor | AlertStore

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
 * Re-probes a server (fresh session) and stores catalog version n+1 when the hash changed, with
 * the classified drift and the workflows and monitors it affects. A breaking drift fires the
 * server's rules that watch `drift_breaking`, new tool-poisoning findings (`suspicious` entries)
 * those that watch `drift_suspicious`; a catalog identical to an earlier version is
 * `restored` (`restoredVersion`) and ends that drift instead. Unreachable → the server is marked
 * so (its incident opens), and the call fails with `server_unreachable`.
 */
export const sync = Effect.fn("Servers.sync")(function* (
  caller: Caller,
  serverId: string
): Effect.fn.Return<
  SyncResult,
  ForbiddenRole | NotFound | ServerUnreachable | Conflict | StoreError,
  Env | WorkflowStore | MonitorStore | RunStore
> {
  yield* annotateSpan(caller.orgId, serverId)
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

/**
 * The tests catalog changes affect: for each of `diffs`, the server's workflows and monitors that
 * use a tool it removed or changed (as `sync` reports them when it records the change).
 */
export const driftImpacts = Effect.fn("Servers.driftImpacts")(function* (
  caller: Caller,
  serverId: string,
  diffs: ReadonlyArray<CatalogDiff>
): Effect.fn.Return<
  ReadonlyArray<Drift.Impact>,
  ForbiddenRole | NotFound | StoreError,
  ServerStore | WorkflowStore | MonitorStore | RunStore
> {
  yield* annotateSpan(caller.orgId, serverId)
  yield* Roles.authorize(caller.actor, "servers.read")
  yield* loadServer(caller.orgId, serverId)
  return yield* impactsOf(caller.orgId, serverId, diffs)
})
