/**
 * Probes (SPEC §2): a fresh session, `initialize` and every page of `tools/list`, turned into the
 * content of a catalog version (canonical hash, serverInfo, protocol version, capabilities), and
 * the drift against the previous version.
 */
import {
  type AuthProfile,
  type CatalogDiff,
  Catalogs,
  type CatalogVersion,
  Drift,
  type JsonObject,
  type McpCallError,
  McpConnector,
  type McpServer,
  type ServerInfo,
  ServerUnreachable,
  type Tool
} from "@armature/core"
import { Duration, Effect } from "effect"

/** What a probe learned: the content of a catalog version. */
export interface Probe {
  readonly hash: string
  readonly serverInfo: ServerInfo
  readonly protocolVersion: string
  readonly capabilities: JsonObject
  readonly tools: ReadonlyArray<Tool>
}

/** A probe compared with the previous catalog version. */
export interface Sync {
  readonly probe: Probe
  /** False when the hash equals the previous version's: no new version is needed. */
  readonly changed: boolean
  /** `null` when there was no previous version. */
  readonly diff: CatalogDiff | null
}

const defaultTimeoutMs = 30_000

/** A failed `tools/list` as the probe's reason; a JSON-RPC error to `tools/list` means no usable MCP tools API. */
const listFailure: Record<McpCallError["kind"], ServerUnreachable["reason"]> = {
  protocol: "not_mcp",
  not_mcp: "not_mcp",
  auth_rejected: "auth_rejected",
  http_status: "http_status",
  timeout: "timeout",
  transport: "transport"
}

/** Probes a server with a fresh session; `timeoutMs` bounds the whole probe. */
export const probe = (
  server: McpServer,
  profile: AuthProfile | null,
  options: { readonly timeoutMs?: number } = {}
): Effect.Effect<Probe, ServerUnreachable, McpConnector> => {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
  return Effect.gen(function* () {
    const session = yield* (yield* McpConnector).connect(server, profile, { connectTimeoutMs: timeoutMs })
    const tools = yield* session.listTools.pipe(
      Effect.mapError(
        (e) =>
          new ServerUnreachable({
            message: `tools/list failed: ${e.message}`,
            reason: listFailure[e.kind],
            ...(e.httpStatus === undefined ? {} : { httpStatus: e.httpStatus })
          })
      )
    )
    return {
      hash: Catalogs.canonicalHash(tools),
      serverInfo: session.serverInfo,
      protocolVersion: session.protocolVersion,
      capabilities: session.capabilities,
      tools
    }
  }).pipe(
    Effect.scoped,
    Effect.timeoutFail({
      duration: Duration.millis(timeoutMs),
      onTimeout: () =>
        new ServerUnreachable({ message: `Probe did not finish within ${timeoutMs} ms`, reason: "timeout" })
    })
  )
}

/** Probes and compares with the previous catalog version (drift classified by core). */
export const sync = (
  server: McpServer,
  profile: AuthProfile | null,
  previous: Pick<CatalogVersion, "hash" | "tools"> | null,
  options: { readonly timeoutMs?: number } = {}
): Effect.Effect<Sync, ServerUnreachable, McpConnector> =>
  Effect.map(probe(server, profile, options), (p) => ({
    probe: p,
    changed: previous === null || previous.hash !== p.hash,
    diff: previous === null ? null : Drift.diff(previous.tools, p.tools)
  }))
