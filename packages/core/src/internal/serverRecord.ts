/**
 * Recording a live probe (SPEC §2): the server's state, a new catalog version when the hash
 * changed, and the alerts both cause (the server's incident opening or ending, a breaking or
 * suspicious drift, or a restore), written together. Every new catalog version, the first one
 * included, is scanned for tool poisoning against the organization's other servers.
 */
import { Context, Effect, Option } from "effect"
import * as Catalogs from "../Catalogs.js"
import * as Drift from "../Drift.js"
import type { CatalogDiff, CatalogVersion } from "../domain/Catalog.js"
import type { AuthProfile, McpServer } from "../domain/McpServer.js"
import { ServerStore } from "../ports/ServerStore.js"
import { Transactor } from "../ports/Transactor.js"
import * as AlertEngine from "./alertEngine.js"
import { now } from "./clock.js"
import { newId } from "./ids.js"
import { describeFailure, type ProbeResult, probe as probeLive } from "./serverProbe.js"

/**
 * Deployment policy for outbound server connections. `allowInsecureHttp` permits plain `http://`
 * base URLs beyond loopback (the reference server sets it from `ARMATURE_ALLOW_INSECURE_HTTP`);
 * `probeTimeoutMs` bounds a whole probe; `apiStdioCommands` is the operator's opt-in letting
 * owners register stdio servers over an API, for exactly these commands (empty: nobody but the
 * operator may). Optional: the defaults apply when no layer provides it.
 */
export class ServerPolicy extends Context.Reference<ServerPolicy>()("@armature/core/ServerPolicy", {
  defaultValue: (): {
    readonly allowInsecureHttp: boolean
    readonly probeTimeoutMs: number
    readonly apiStdioCommands?: ReadonlyArray<string>
  } => ({
    allowInsecureHttp: false,
    probeTimeoutMs: 30_000,
    apiStdioCommands: []
  })
}) {}

/**
 * How many earlier catalog versions a new one is compared with to recognise a restore: reverts
 * return to a recent state, and each version read carries its whole tool list.
 */
const restoreScanDepth = 200

/** Probes once and records the result: server state, and a new catalog version when the hash changed. */
export const probeAndRecord = (server: McpServer, profile: AuthProfile | null) =>
  Effect.gen(function* () {
    const policy = yield* ServerPolicy
    const store = yield* ServerStore
    const tx = yield* Transactor
    const result = yield* Effect.either(probeLive(server, profile, policy.probeTimeoutMs))
    const at = yield* now
    const transition = (outcome: "pass" | "error", summary: string) =>
      AlertEngine.onProbe({
        orgId: server.orgId,
        target: { type: "mcp_server", id: server.id, name: server.name },
        outcome,
        summary,
        link: `/mcp-servers/${server.id}`,
        at
      })
    return yield* tx.withTransaction(
      Effect.gen(function* () {
        if (result._tag === "Left") {
          const updated: McpServer = {
            ...server,
            state: "unreachable",
            lastProbeError: describeFailure(result.left),
            lastProbedAt: at,
            updatedAt: at
          }
          yield* store.updateServer(updated)
          yield* transition("error", `Probe failed: ${describeFailure(result.left)}`)
          return {
            server: updated,
            error: result.left,
            before: null,
            catalog: null,
            created: false,
            diff: null,
            restoredVersion: null
          } as const
        }
        const updated: McpServer = {
          ...server,
          state: "active",
          lastProbeError: null,
          lastProbedAt: at,
          updatedAt: at
        }
        yield* store.updateServer(updated)
        yield* transition("pass", "Probe succeeded")
        const stored = yield* storeCatalog(server, result.right, at)
        // Every new version is scanned for tool poisoning, the first one too (against nothing).
        const others = stored.created ? yield* otherServers(server) : []
        const diff = stored.created
          ? Drift.diff(stored.before?.tools ?? [], stored.catalog.tools, { others })
          : null
        const suspicious = diff !== null && Drift.isSuspicious(diff)
        // A revert to a poisoned version is no recovery: its new findings alert instead.
        const restored =
          stored.created && stored.before !== null && !suspicious
            ? Drift.restoredVersion(
                stored.catalog,
                yield* store.listCatalogVersions(server.orgId, server.id, restoreScanDepth)
              )
            : null
        // Same transaction as the catalog version: the outbox row exists exactly when the drift does.
        const event = (
          event: "drift_breaking" | "drift_suspicious" | "restored",
          summary: string,
          also: ReadonlyArray<"drift_breaking"> = []
        ) =>
          AlertEngine.onEvent({
            orgId: server.orgId,
            target: { type: "mcp_server", id: server.id, name: server.name },
            event,
            also,
            summary,
            link: `/mcp-servers/${server.id}`,
            at,
            catalogVersion: stored.catalog.version,
            ...(restored === null ? {} : { restoredVersion: restored })
          })
        const breaking = diff !== null && stored.before !== null && Drift.isBreaking(diff)
        if (restored !== null) {
          yield* event(
            "restored",
            `Catalog version ${stored.catalog.version} is identical to version ${restored}: the change was reverted.`
          )
        } else if (suspicious) {
          yield* event(
            "drift_suspicious",
            [
              suspiciousSummary(stored.catalog.version, diff!),
              ...(breaking ? [driftSummary(stored.catalog.version, diff!)] : [])
            ].join("\n"),
            breaking ? ["drift_breaking"] : []
          )
        } else if (breaking) {
          yield* event("drift_breaking", driftSummary(stored.catalog.version, diff!))
        }
        return { server: updated, error: null, ...stored, diff, restoredVersion: restored } as const
      })
    )
  })

/** Stores a new catalog version unless the latest one has the same hash. */
export const storeCatalog = (server: McpServer, probed: ProbeResult, at: Date) =>
  Effect.gen(function* () {
    const store = yield* ServerStore
    const latest = Option.getOrNull(yield* store.latestCatalog(server.orgId, server.id))
    const hash = Catalogs.canonicalHash(probed.tools)
    if (latest !== null && latest.hash === hash) return { before: latest, catalog: latest, created: false }
    const version: CatalogVersion = {
      id: yield* newId,
      orgId: server.orgId,
      serverId: server.id,
      version: (latest?.version ?? 0) + 1,
      hash,
      serverInfo: probed.serverInfo,
      protocolVersion: probed.protocolVersion,
      capabilities: probed.capabilities,
      tools: probed.tools,
      createdAt: at
    }
    yield* store.insertCatalogVersion(version)
    return { before: latest, catalog: version, created: true }
  })

export const probeStateOnly = (server: McpServer, profile: AuthProfile | null) =>
  Effect.gen(function* () {
    const policy = yield* ServerPolicy
    const result = yield* Effect.either(probeLive(server, profile, policy.probeTimeoutMs))
    const at = yield* now
    const error = result._tag === "Left" ? result.left : null
    const updated: McpServer = {
      ...server,
      state: error === null ? "active" : "unreachable",
      lastProbeError: error === null ? null : describeFailure(error),
      lastProbedAt: at,
      updatedAt: at
    }
    const tx = yield* Transactor
    yield* tx.withTransaction(
      Effect.gen(function* () {
        yield* Effect.flatMap(ServerStore, (s) => s.updateServer(updated))
        yield* AlertEngine.onProbe({
          orgId: server.orgId,
          target: { type: "mcp_server", id: server.id, name: server.name },
          outcome: error === null ? "pass" : "error",
          summary: error === null ? "Probe succeeded" : `Probe failed: ${describeFailure(error)}`,
          link: `/mcp-servers/${server.id}`,
          at
        })
      })
    )
    return { server: updated, error }
  })

/**
 * The organization's other servers with the tool names of their latest catalog: what the
 * look-alike name rules of the poisoning scan compare with.
 */
export const otherServers = (server: Pick<McpServer, "id" | "orgId">) =>
  Effect.gen(function* () {
    const store = yield* ServerStore
    const out: Array<{ server: string; tools: ReadonlyArray<{ name: string }> }> = []
    for (const other of yield* store.listServers(server.orgId)) {
      if (other.id === server.id) continue
      const latest = Option.getOrNull(yield* store.latestCatalog(server.orgId, other.id))
      if (latest !== null)
        out.push({ server: other.name, tools: latest.tools.map((t) => ({ name: t.name })) })
    }
    return out
  })

/** The alert summary of a version's poisoning findings: one line per finding. */
export const suspiciousSummary = (version: number, diff: CatalogDiff): string =>
  [
    `Catalog version ${version} has suspicious tool text (possible tool poisoning).`,
    ...Drift.findings(diff).map((f) => `${f.tool}: ${f.rule} at ${f.path}: "${f.excerpt}"`)
  ].join("\n")

export const driftSummary = (version: number, diff: CatalogDiff): string =>
  [
    `Catalog version ${version} has breaking changes.`,
    ...Drift.changes(diff)
      .filter((c) => c.classification === "breaking")
      .map((c) => `${c.tool}: ${c.details.join("; ")}`)
  ].join("\n")
