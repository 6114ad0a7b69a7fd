/**
 * Reused MCP sessions per (server, auth profile), so a monitor check costs about one tool call
 * instead of a connect + initialize + call. A session that died (process gone, connection reset,
 * session expired on the server) is replaced transparently and the call is made once more.
 *
 * Only monitors use the pool: probes must see a fresh session (SPEC §2) and runs own theirs.
 */
import {
  type AuthProfile,
  type CallOptions,
  type JsonObject,
  type McpCallError,
  McpConnector,
  type McpServer,
  type McpSession,
  ServerUnreachable,
  type ToolCallResult
} from "@armature/core"
import {
  Clock,
  Config,
  type ConfigError,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  Layer,
  Schedule,
  Scope
} from "effect"
import { isOpenOf, secretsOf } from "./internal/session.js"

/** A pooled session. */
export interface Pooled {
  readonly session: McpSession
}

/** Sessions shared by monitor checks. */
export class SessionPool extends Context.Tag("@armature/runner/SessionPool")<
  SessionPool,
  {
    /**
     * The pooled session of a server and profile, connecting when there is none. With `waitMs`,
     * waiting (for a connect of this or a concurrent caller) ends after that long with reason
     * `timeout`; the connect itself goes on for the callers after.
     */
    readonly get: (
      server: McpServer,
      profile: AuthProfile | null,
      waitMs?: number
    ) => Effect.Effect<Pooled, ServerUnreachable>
    /**
     * Calls a tool on the pooled session; a dead session is replaced and the call made once more.
     * The call's time budget (`maxTotalTimeoutMs`, else `timeoutMs`) covers connecting and
     * initializing too, so a server that never answers `initialize` cannot stretch it.
     */
    readonly call: (
      server: McpServer,
      profile: AuthProfile | null,
      name: string,
      args: JsonObject,
      options: CallOptions
    ) => Effect.Effect<
      { readonly result: ToolCallResult; readonly secrets: ReadonlyArray<string> },
      McpCallError | ServerUnreachable
    >
    /** Open sessions, for metrics and tests. */
    readonly size: Effect.Effect<number>
  }
>() {}

export interface Options {
  /** Sessions unused this long are closed (default 5 minutes). */
  readonly idleMs?: number
  readonly connectTimeoutMs?: number
}

interface Entry {
  readonly deferred: Deferred.Deferred<Pooled, ServerUnreachable>
  readonly scope: Scope.CloseableScope
  lastUsed: number
  /** Set once connected, to tell this session from a replacement. */
  value?: Pooled
}

/** Everything that shapes a connection is in the key, so an edited server never gets a stale session. */
const keyOf = (server: McpServer, profile: AuthProfile | null) =>
  JSON.stringify([
    server.id,
    server.updatedAt.getTime(),
    server.transport,
    server.baseUrl,
    server.command,
    server.args,
    server.env,
    server.extraHeaders,
    profile?.id ?? null,
    profile?.secretRef ?? null
  ])

/** Whether an error means the session itself is gone, not just this call. */
const isDeadSession = (e: McpCallError, session: McpSession) =>
  !isOpenOf(session) ||
  e.kind === "transport" ||
  // Streamable HTTP servers answer 404 to a session id they no longer know.
  (e.kind === "http_status" && (e.httpStatus === 404 || e.httpStatus === 400))

/** Builds the pool; closing its scope closes every session. */
export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const connector = yield* McpConnector
    const poolScope = yield* Effect.scope
    const idleMs = options.idleMs ?? 300_000
    const entries = new Map<string, Entry>()

    const drop = (key: string, entry: Entry) =>
      Effect.suspend(() => {
        if (entries.get(key) === entry) entries.delete(key)
        return Scope.close(entry.scope, Exit.void)
      })

    const open = (key: string, entry: Entry, server: McpServer, profile: AuthProfile | null) =>
      Effect.gen(function* () {
        const opened = yield* connector
          .connect(server, profile, { connectTimeoutMs: options.connectTimeoutMs ?? 15_000 })
          .pipe(
            Scope.extend(entry.scope),
            Effect.map((session): Pooled => ({ session })),
            Effect.exit
          )
        if (Exit.isSuccess(opened)) entry.value = opened.value
        yield* Deferred.done(entry.deferred, opened)
        if (Exit.isFailure(opened)) yield* drop(key, entry)
      }).pipe(Effect.uninterruptible)

    const get = (
      server: McpServer,
      profile: AuthProfile | null,
      waitMs?: number
    ): Effect.Effect<Pooled, ServerUnreachable> =>
      Effect.gen(function* () {
        const key = keyOf(server, profile)
        const now = yield* Clock.currentTimeMillis
        let entry = entries.get(key)
        yield* Effect.annotateCurrentSpan("armature.session_reused", entry !== undefined)
        if (entry) {
          entry.lastUsed = now
          // Connected already (the common case of every check): nothing to wait for, so no
          // timeout race (a fiber and a timer per check) around an await that is already done.
          if (entry.value !== undefined) return entry.value
        } else {
          // Registered before connecting, so concurrent checks of one server share one connect.
          entry = {
            deferred: yield* Deferred.make<Pooled, ServerUnreachable>(),
            scope: yield* Scope.make(),
            lastUsed: now
          }
          entries.set(key, entry)
          // In the pool's scope, not the caller's: a caller that stops waiting leaves the connect
          // to finish for the callers after it.
          yield* Effect.forkIn(open(key, entry, server, profile), poolScope)
        }
        const ready = Deferred.await(entry.deferred)
        if (waitMs === undefined) return yield* ready
        return yield* ready.pipe(
          Effect.timeoutFail({
            duration: Duration.millis(Math.max(1, waitMs)),
            onTimeout: () =>
              new ServerUnreachable({
                message: `No initialized session within ${waitMs} ms (connecting and initializing count against the timeout)`,
                reason: "timeout"
              })
          })
        )
      })

    const call = (
      server: McpServer,
      profile: AuthProfile | null,
      name: string,
      args: JsonObject,
      callOptions: CallOptions
    ) => {
      const attempt = (
        mayReconnect: boolean
      ): Effect.Effect<
        { result: ToolCallResult; secrets: ReadonlyArray<string> },
        McpCallError | ServerUnreachable
      > =>
        Effect.gen(function* () {
          const budget = callOptions.maxTotalTimeoutMs ?? callOptions.timeoutMs
          const started = yield* Clock.currentTimeMillis
          const pooled = yield* get(server, profile, budget)
          // What connecting took comes off the call's budget.
          const spent = (yield* Clock.currentTimeMillis) - started
          const left = (ms: number) => Math.max(1, ms - spent)
          const outcome = yield* Effect.either(
            pooled.session.callTool(name, args, {
              ...callOptions,
              timeoutMs: Math.min(callOptions.timeoutMs, left(budget)),
              ...(callOptions.maxTotalTimeoutMs === undefined
                ? {}
                : { maxTotalTimeoutMs: left(callOptions.maxTotalTimeoutMs) })
            })
          )
          if (Either.isRight(outcome)) return { result: outcome.right, secrets: secretsOf(pooled.session) }
          if (!isDeadSession(outcome.left, pooled.session)) return yield* outcome.left
          yield* invalidate(server, profile, pooled)
          yield* Effect.annotateCurrentSpan("armature.session_replaced", true)
          return mayReconnect ? yield* attempt(false) : yield* outcome.left
        })
      // No span of its own: on the hot path of every monitor check, the check's span and the
      // session's `McpSession.callTool` (and `McpConnector.connect` when it connects) say enough.
      return attempt(true)
    }

    const invalidate = (server: McpServer, profile: AuthProfile | null, pooled: Pooled) =>
      Effect.gen(function* () {
        const key = keyOf(server, profile)
        const entry = entries.get(key)
        // Another fiber may already have replaced the dead session: only drop the one that failed.
        if (entry !== undefined && entry.value === pooled) yield* drop(key, entry)
      })

    const evictIdle = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      for (const [key, entry] of [...entries]) {
        if (now - entry.lastUsed > idleMs) yield* drop(key, entry)
      }
    })
    yield* evictIdle.pipe(
      Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1000, Math.min(idleMs, 60_000))))),
      Effect.forkScoped
    )
    yield* Effect.addFinalizer(() =>
      Effect.forEach([...entries], ([key, entry]) => drop(key, entry), {
        concurrency: "unbounded",
        discard: true
      })
    )

    return SessionPool.of({ get, call, size: Effect.sync(() => entries.size) })
  })

/** The pool as a scoped layer. */
export const layer = (options: Options = {}): Layer.Layer<SessionPool, never, McpConnector> =>
  Layer.scoped(SessionPool, make(options))

/** `layer` with its options from configuration (a `Config.Wrap` of `Options`). */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<SessionPool, ConfigError.ConfigError, McpConnector> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
