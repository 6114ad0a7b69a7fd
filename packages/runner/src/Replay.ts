/**
 * Replay (SPEC §3.5): a terminal run's recorded tool calls are made again, in order, against the
 * current server — no LLM — and each result is compared structurally with the recorded one. A
 * cheap, deterministic regression check that needs no model configured.
 */
import {
  type AuthProfile,
  isTerminal,
  McpConnector,
  type McpServer,
  Redaction,
  type Run,
  SecretStore,
  type ServerInfo,
  type ServerUnreachable,
  type ToolCall
} from "@armature/core"
import { Clock, Data, Effect, Either, Redacted } from "effect"
import { secretsOf } from "./internal/session.js"
import { type Change, diff } from "./internal/structuralDiff.js"

export type { Change } from "./internal/structuralDiff.js"

/** One recorded call made again. */
export interface ReplayedCall {
  readonly toolCallId: string
  readonly name: string
  readonly phase: ToolCall["phase"]
  /** `same`: no structural change; `changed`: see `changes`; `error`: the call failed now (or only then). */
  readonly status: "same" | "changed" | "error"
  readonly changes: ReadonlyArray<Change>
  readonly error: string | null
  readonly durationMs: number
}

export interface ReplayResult {
  readonly runId: string
  readonly serverInfo: ServerInfo
  readonly calls: ReadonlyArray<ReplayedCall>
  readonly changed: number
  readonly errors: number
  /** True when every call gave the same result as recorded. */
  readonly identical: boolean
}

/** Only terminal runs have a complete recording. */
export class NotReplayable extends Data.TaggedError("NotReplayable")<{ readonly message: string }> {}

/** The comparable part of a result. */
const shape = (r: { content: ReadonlyArray<unknown>; structuredContent?: unknown; isError: boolean }) => ({
  isError: r.isError,
  content: r.content,
  ...(r.structuredContent === undefined || r.structuredContent === null
    ? {}
    : { structuredContent: r.structuredContent })
})

/** Replays the calls that reached the server (refused ones never did), setup and teardown included. */
export const replay = (
  run: Run,
  server: McpServer,
  profile: AuthProfile | null,
  options: { readonly callTimeoutMs?: number } = {}
): Effect.Effect<ReplayResult, NotReplayable | ServerUnreachable, McpConnector | SecretStore> =>
  Effect.gen(function* () {
    if (!isTerminal(run.status))
      return yield* new NotReplayable({ message: `Run ${run.id} is ${run.status}, not terminal` })
    // Replayed results are redacted like the recording was, or every secret would show up as a change.
    const secrets =
      profile?.secretRef == null
        ? []
        : yield* Effect.flatMap(SecretStore, (s) => s.get(profile.orgId, profile.secretRef!)).pipe(
            Effect.map((v) => [Redacted.value(v)]),
            Effect.orElseSucceed(() => [] as string[])
          )
    const session = yield* (yield* McpConnector).connect(server, profile)
    const timeoutMs = options.callTimeoutMs ?? 60_000
    const calls: ReplayedCall[] = []
    for (const recorded of run.toolCalls.filter((c) => !c.refused)) {
      const started = yield* Clock.currentTimeMillis
      const r = yield* Effect.either(
        session.callTool(recorded.name, (recorded.arguments ?? {}) as Record<string, unknown>, {
          timeoutMs,
          maxTotalTimeoutMs: timeoutMs
        })
      )
      const durationMs = (yield* Clock.currentTimeMillis) - started
      const base = { toolCallId: recorded.id, name: recorded.name, phase: recorded.phase, durationMs }
      if (Either.isLeft(r)) {
        calls.push({
          ...base,
          status: "error",
          changes: [],
          error: Redaction.redactText(`${r.left.kind}: ${r.left.message}`, secrets)
        })
        continue
      }
      if (recorded.error !== null) {
        calls.push({
          ...base,
          status: "changed",
          changes: [{ path: "$", kind: "changed", before: recorded.error, after: "result" }],
          error: null
        })
        continue
      }
      const now = Redaction.redact(shape(r.right), [...secrets, ...secretsOf(session)])
      const changes = diff(shape(recorded), now)
      calls.push({ ...base, status: changes.length === 0 ? "same" : "changed", changes, error: null })
    }
    const changed = calls.filter((c) => c.status === "changed").length
    const errors = calls.filter((c) => c.status === "error").length
    return {
      runId: run.id,
      serverInfo: session.serverInfo,
      calls,
      changed,
      errors,
      identical: changed + errors === 0
    }
  }).pipe(Effect.scoped)
