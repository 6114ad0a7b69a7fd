/**
 * The worker: claims `workflow_run` jobs from the `JobQueue` with a lease and executes them with
 * bounded concurrency, renewing the leases while they run, and recovers the jobs of lost workers;
 * and claims due monitors and executes their checks. Closing the worker's scope stops claiming
 * and waits for in-flight work (drain) for a bounded time, then interrupts what is left.
 */
import { hostname } from "node:os"
import type {
  AlertStore,
  Ids,
  JobQueue,
  LanguageModels,
  McpConnector,
  MonitorStore,
  RunStore,
  SecretStore,
  ServerStore,
  Transactor,
  WorkflowStore
} from "@armature/core"
import { Config, type ConfigError, Duration, Effect, Layer, Option, Ref, type Scope } from "effect"
import * as JobLoop from "./internal/jobLoop.js"
import * as MonitorLoop from "./internal/monitorLoop.js"
import type { SessionPool } from "./SessionPool.js"

export interface Options {
  /** Lease owner id; default `<host>:<pid>:<random>`. */
  readonly owner?: string
  /** Workflow runs executed at once (default 4: runs wait on models and servers, not on CPU). */
  readonly concurrency?: number
  /** Lease of a claimed job, renewed every third of it (default 60 s): how long a lost worker's job waits. */
  readonly leaseMs?: number
  /** How often to return jobs whose lease expired to the queue (default half the lease). */
  readonly recoverEveryMs?: number
  /** On shutdown, how long work in flight may finish before it is interrupted (default 30 s). */
  readonly shutdownGraceMs?: number
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

/** Starts the worker in the current scope. */
export const make = (options: Options = {}): Effect.Effect<void, never, Env | Scope.Scope> =>
  Effect.gen(function* () {
    const owner = options.owner ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`
    const leaseMs = options.leaseMs ?? 60_000
    const stopping = yield* Ref.make(false)
    const monitors =
      options.monitors === false
        ? null
        : yield* MonitorLoop.start(
            { concurrency: options.monitorConcurrency ?? 64, pollMs: options.monitorPollMs ?? 500 },
            stopping
          )
    const jobs = yield* JobLoop.start(
      {
        owner,
        concurrency: options.concurrency ?? 4,
        leaseMs,
        pollMs: options.pollMs ?? 1000,
        recoverEveryMs: options.recoverEveryMs ?? Math.max(100, leaseMs / 2)
      },
      stopping
    )
    // Added last, so it runs first on shutdown: the loops' fibers and the lease renewal still run
    // while work drains. A run still in flight after the grace is interrupted and handed back;
    // checks left are interrupted when their loop's scope closes.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Ref.set(stopping, true)
        // Finalizers are uninterruptible: without `interruptible` the timeout would wait for the drain.
        const drained = yield* Effect.all([jobs.idle, monitors?.idle ?? Effect.void], {
          concurrency: "unbounded",
          discard: true
        }).pipe(
          Effect.interruptible,
          Effect.timeoutOption(Duration.millis(options.shutdownGraceMs ?? 30_000))
        )
        if (Option.isNone(drained)) yield* jobs.abandon
      })
    )
  })

/** The worker as a layer: starts with the layer, drains when the layer is released. */
export const layer = (options: Options = {}): Layer.Layer<never, never, Env> =>
  Layer.scopedDiscard(make(options))

/**
 * The worker with its options from configuration: `Config.all({ concurrency: Config.integer(…) })`
 * or any `Config.Wrap` of `Options`, with the names the application chooses.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<never, ConfigError.ConfigError, Env> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
