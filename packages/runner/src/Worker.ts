/**
 * The worker: claims `workflow_run` jobs from the `JobQueue` with a lease and executes them with
 * bounded concurrency, renewing the leases while they run; and claims due monitors and executes
 * their checks. Closing the worker's scope stops claiming and waits for in-flight work (drain).
 */
import { hostname } from "node:os"
import {
  type AlertStore,
  type Ids,
  type Job,
  JobQueue,
  type LanguageModels,
  type McpConnector,
  type MonitorStore,
  type RunStore,
  Runs,
  type SecretStore,
  type ServerStore,
  type Transactor,
  type WorkflowStore
} from "@armature/core"
import {
  Cause,
  Clock,
  Config,
  type ConfigError,
  Duration,
  Effect,
  FiberMap,
  Layer,
  Queue,
  Ref,
  Schedule,
  type Scope
} from "effect"
import * as MonitorLoop from "./internal/monitorLoop.js"
import * as RunJob from "./RunJob.js"
import type { SessionPool } from "./SessionPool.js"

export interface Options {
  /** Lease owner id; default `<host>:<pid>:<random>`. */
  readonly owner?: string
  /** Workflow runs executed at once (default 4: runs wait on models and servers, not on CPU). */
  readonly concurrency?: number
  readonly leaseMs?: number
  /** How often to look for jobs when idle. */
  readonly pollMs?: number
  /** Run the monitor loop too (default true). */
  readonly monitors?: boolean
  /** Monitor checks executed at once (default 64: a check is one network round trip). */
  readonly monitorConcurrency?: number
  readonly monitorPollMs?: number
}

export type Env =
  | JobQueue
  | RunStore
  | WorkflowStore
  | ServerStore
  | MonitorStore
  | AlertStore
  | Transactor
  | Ids
  | McpConnector
  | LanguageModels
  | SecretStore
  | SessionPool

const retryBackoff = Duration.seconds(30)

const message = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n")[0]?.slice(0, 500) ?? "failed"

/** The job loop; forked in the scope, drained when the scope closes. */
const runJobs = (options: Options, owner: string) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const concurrency = options.concurrency ?? 4
    const leaseMs = options.leaseMs ?? 60_000
    const pollMs = options.pollMs ?? 1000
    const inFlight = yield* FiberMap.make<string>()
    const wake = yield* Queue.sliding<void>(1)
    const stopping = yield* Ref.make(false)
    // Job ids in flight, for lease renewal (read synchronously; fibers only interleave at yields).
    const active = new Set<string>()
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    const runOne = (job: Job) =>
      Effect.gen(function* () {
        const payload = job.payload as { runId?: unknown } | null
        const runId = typeof payload?.runId === "string" ? payload.runId : job.targetId
        const result = yield* RunJob.executeRun(job.orgId, runId, job.attempts)
        yield* queue.complete(owner, job.id, result.outcome, yield* now)
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.gen(function* () {
            if (Cause.isInterruptedOnly(cause)) return
            const at = yield* now
            yield* queue.fail(
              owner,
              job.id,
              message(cause),
              new Date(at.getTime() + Duration.toMillis(retryBackoff))
            )
          }).pipe(Effect.ignore)
        ),
        Effect.ensuring(
          Effect.zipRight(
            Effect.sync(() => active.delete(job.id)),
            Queue.offer(wake, undefined)
          )
        )
      )

    // Leases are renewed for every job in flight; a job whose lease was lost is interrupted, since
    // another worker may already be executing it.
    yield* Effect.gen(function* () {
      const ids = [...active]
      if (ids.length === 0) return
      const held = new Set(
        yield* queue.heartbeat(owner, ids, new Date((yield* Clock.currentTimeMillis) + leaseMs))
      )
      for (const id of ids) if (!held.has(id)) yield* FiberMap.remove(inFlight, id)
    }).pipe(
      Effect.ignore,
      Effect.repeat(Schedule.spaced(Duration.millis(Math.max(100, leaseMs / 3)))),
      Effect.forkScoped
    )

    // Finalizers run in reverse order: the claim loop (forked below) stops first, then this waits
    // for the jobs in flight while the lease renewal (forked above) keeps running.
    yield* Effect.addFinalizer(() =>
      Ref.set(stopping, true).pipe(Effect.zipRight(FiberMap.awaitEmpty(inFlight)), Effect.ignore)
    )

    yield* Effect.gen(function* () {
      while (true) {
        const free = concurrency - (yield* FiberMap.size(inFlight))
        let claimed = 0
        if (free > 0 && !(yield* Ref.get(stopping))) {
          const jobs = yield* queue
            .claim({ owner, kinds: [Runs.JOB_KIND], now: yield* now, leaseMs, limit: free })
            .pipe(Effect.orElseSucceed(() => [] as ReadonlyArray<Job>))
          for (const job of jobs) {
            active.add(job.id)
            yield* FiberMap.run(inFlight, job.id, runOne(job))
          }
          claimed = jobs.length
        }
        if (claimed === 0 || claimed < free) {
          yield* Queue.take(wake).pipe(Effect.timeout(Duration.millis(pollMs)), Effect.ignore)
        }
      }
    }).pipe(Effect.forkScoped)
  })

/** Starts the worker in the current scope. */
export const make = (options: Options = {}): Effect.Effect<void, never, Env | Scope.Scope> =>
  Effect.gen(function* () {
    const owner = options.owner ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`
    if (options.monitors !== false) {
      yield* MonitorLoop.start({
        concurrency: options.monitorConcurrency ?? 64,
        pollMs: options.monitorPollMs ?? 500
      })
    }
    yield* runJobs(options, owner)
  })

/** The worker as a layer: starts with the layer, drains when the layer is released. */
export const layer = (options: Options = {}): Layer.Layer<never, never, Env> =>
  Layer.scopedDiscard(make(options))

/** From configuration: `ARMATURE_WORKER_CONCURRENCY`, `ARMATURE_MONITOR_CONCURRENCY`, `ARMATURE_WORKER_MONITORS`. */
export const layerConfig: Layer.Layer<never, ConfigError.ConfigError, Env> = Layer.unwrapEffect(
  Effect.map(
    Config.all({
      concurrency: Config.integer("ARMATURE_WORKER_CONCURRENCY").pipe(Config.withDefault(4)),
      monitorConcurrency: Config.integer("ARMATURE_MONITOR_CONCURRENCY").pipe(Config.withDefault(64)),
      monitors: Config.boolean("ARMATURE_WORKER_MONITORS").pipe(Config.withDefault(true))
    }),
    layer
  )
)
