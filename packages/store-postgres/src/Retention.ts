/**
 * Retention: monitor checks, runs, ended jobs, sent alert deliveries, audit log entries and expired
 * Slack install links older than their windows are deleted in batches, so no single statement holds locks or bloats WAL for long.
 */
import {
  AlertStore,
  AuditLog,
  JobQueue,
  MonitorStore,
  ProposalStore,
  RunStore,
  SlackInstallations,
  type StoreError
} from "@armature/core"
import { Clock, Config, Duration, Effect, Layer, Schedule } from "effect"

/** How long each kind of history is kept, and how much one statement deletes. */
export interface Options {
  readonly checks: Duration.DurationInput
  readonly runs: Duration.DurationInput
  readonly jobs: Duration.DurationInput
  /** Unapplied workflow-change proposals (SPEC §9.3: 7 days). */
  readonly proposals: Duration.DurationInput
  /** Delivered and dead alert deliveries (`/alerts`); pending ones are never pruned. */
  readonly alerts: Duration.DurationInput
  /** Audit log entries (`/audit`): one per MCP tool call, among others. */
  readonly audit: Duration.DurationInput
  readonly batchSize: number
  /** Upper bound of batches per kind in one pass, so a huge backlog is worked off gradually. */
  readonly maxBatches: number
}

/**
 * 30 days of checks and sent alerts, 90 of runs, 7 of jobs and unapplied proposals, a year of the
 * audit log; batches of 5 000.
 */
export const defaults: Options = {
  checks: Duration.days(30),
  runs: Duration.days(90),
  jobs: Duration.days(7),
  proposals: Duration.days(7),
  alerts: Duration.days(30),
  audit: Duration.days(365),
  batchSize: 5000,
  maxBatches: 200
}

/** How many rows one pass deleted. */
export interface Pruned {
  readonly checks: number
  readonly runs: number
  readonly jobs: number
  readonly proposals: number
  readonly alerts: number
  readonly audit: number
  /** Slack install links that expired more than the jobs window ago. */
  readonly slackLinks: number
}

const inBatches = (options: Options, batch: Effect.Effect<number, StoreError>) =>
  Effect.gen(function* () {
    let total = 0
    for (let i = 0; i < options.maxBatches; i++) {
      const n = yield* batch
      total += n
      if (n < options.batchSize) break
      yield* Effect.yieldNow()
    }
    return total
  })

/** One retention pass over every organization. */
export const prune = (options: Options = defaults) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const before = (window: Duration.DurationInput) => new Date(now - Duration.toMillis(window))
    const monitors = yield* MonitorStore
    const runs = yield* RunStore
    const jobs = yield* JobQueue
    const proposals = yield* ProposalStore
    const alerts = yield* AlertStore
    const slack = yield* SlackInstallations
    const audit = yield* AuditLog
    const pruned: Pruned = {
      checks: yield* inBatches(options, monitors.pruneChecks(before(options.checks), options.batchSize)),
      runs: yield* inBatches(options, runs.pruneRuns(before(options.runs), options.batchSize)),
      jobs: yield* inBatches(options, jobs.prune(before(options.jobs), options.batchSize)),
      proposals: yield* proposals.deleteUnappliedBefore(before(options.proposals)),
      alerts: yield* inBatches(options, alerts.pruneOutbox(before(options.alerts), options.batchSize)),
      audit: yield* inBatches(options, audit.prune(before(options.audit), options.batchSize)),
      // Few rows (one per install attempt), so no batches.
      slackLinks: yield* slack.pruneLinks(before(options.jobs))
    }
    yield* Effect.logDebug("retention pass", pruned)
    return pruned
  })

/** Runs a retention pass every `every` (default hourly) for the life of the layer; failures are logged. */
export const layer = (options: Options = defaults, every: Duration.DurationInput = Duration.hours(1)) =>
  Layer.scopedDiscard(
    Effect.forkScoped(
      prune(options).pipe(
        Effect.catchAll((error) => Effect.logWarning("retention pass failed", error)),
        Effect.repeat(Schedule.spaced(every))
      )
    )
  )

/** `layer` with its options from configuration (a `Config.Wrap` of `Options`). */
export const layerConfig = (config: Config.Config.Wrap<Options>, every?: Duration.DurationInput) =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), (options) => layer(options, every)))
