/**
 * The job side of the worker: claims `workflow_run` jobs with a lease and executes them with
 * bounded concurrency, renewing the leases while they run; returns the jobs of lost workers to
 * the queue (`JobQueue.recoverExpired`), ending their runs `worker_lost` once their attempts are
 * used up, so no run stays `running` after a crash; and on shutdown hands back what is left.
 */
import { type Job, JobQueue, Runs, Transactor, Workflows } from "@armature/core"
import { Cause, Clock, Duration, Effect, FiberMap, Queue, Ref, Schedule } from "effect"
import * as RunJob from "../RunJob.js"

export interface LoopOptions {
  readonly owner: string
  readonly concurrency: number
  readonly leaseMs: number
  readonly pollMs: number
  /** How often to look for jobs whose lease expired. */
  readonly recoverEveryMs: number
}

const retryBackoff = Duration.seconds(30)
/** Expired jobs handed back per transaction; the rest follow in the next ones. */
const recoverBatch = 20

const message = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n")[0]?.slice(0, 500) ?? "failed"

/** Starts the loop in the current scope; it claims nothing once `stopping` is set. */
export const start = (options: LoopOptions, stopping: Ref.Ref<boolean>) =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const tx = yield* Transactor
    const { owner, leaseMs } = options
    const inFlight = yield* FiberMap.make<string, void, never>()
    const wake = yield* Queue.sliding<void>(1)
    // Jobs in flight as claimed, for lease renewal and hand-back (read synchronously; fibers only
    // interleave at yields).
    const active = new Map<string, Job>()
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
    // The worker's runs read each pinned workflow version once (versions never change).
    const versions = yield* Workflows.pinnedVersions()

    // A job that will not be tried again must not leave its run `running` or `pending`: the job
    // and the run end in one transaction, so a failure leaves both to the next attempt at this.
    const handBack = (job: Job, error: string, retryAt: Date, code: "internal_error" | "worker_lost") =>
      tx.withTransaction(
        Effect.gen(function* () {
          const released = yield* queue.fail(owner, job.id, error, retryAt)
          if (released && job.attempts >= job.maxAttempts) {
            const text =
              code === "worker_lost" ? RunJob.workerLostMessage : `The run could not be executed: ${error}`
            yield* RunJob.abandon(job.orgId, RunJob.runIdOf(job), code, text)
          }
        })
      )

    // The job ends in the transaction that stores its terminal run (one commit, not two). A lease
    // lost meanwhile makes `complete` a no-op, as it was when it ran after that transaction: the
    // run is stored all the same, and the job is its new holder's.
    const endJob =
      (job: Job): RunJob.EndJob =>
      (outcome) =>
        Effect.flatMap(now, (at) => queue.complete(owner, job.id, outcome, at))

    const runOne = (job: Job) =>
      RunJob.executeRun(job.orgId, RunJob.runIdOf(job), job.attempts, endJob(job), versions).pipe(
        Effect.asVoid,
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause)
            ? Effect.void
            : Effect.gen(function* () {
                const at = yield* now
                const retryAt = new Date(at.getTime() + Duration.toMillis(retryBackoff))
                yield* handBack(job, message(cause), retryAt, "internal_error")
              }).pipe(Effect.catchAllCause((c) => Effect.logWarning("failed job not handed back", c)))
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
      const ids = [...active.keys()]
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

    // Any replica recovers the jobs of any lost one; the store hands each expired job to one of them.
    const recover = Effect.gen(function* () {
      const at = yield* now
      const recovered = yield* tx.withTransaction(
        Effect.gen(function* () {
          const jobs = yield* queue.recoverExpired(at, recoverBatch)
          for (const job of jobs) {
            if (job.kind === Runs.JOB_KIND && job.state === "dead") {
              yield* RunJob.abandon(job.orgId, RunJob.runIdOf(job), "worker_lost", RunJob.workerLostMessage)
            }
          }
          return jobs
        })
      )
      if (recovered.some((j) => j.state === "queued")) yield* Queue.offer(wake, undefined)
      return recovered.length
    })
    yield* recover.pipe(
      Effect.repeat({ until: (n) => n < recoverBatch }),
      Effect.catchAllCause((cause) => Effect.logWarning("expired job leases not recovered", cause)),
      Effect.repeat(Schedule.spaced(Duration.millis(options.recoverEveryMs))),
      Effect.forkScoped
    )

    yield* Effect.gen(function* () {
      while (true) {
        const free = options.concurrency - (yield* FiberMap.size(inFlight))
        let claimed = 0
        if (free > 0 && !(yield* Ref.get(stopping))) {
          const jobs = yield* queue
            .claim({ owner, kinds: [Runs.JOB_KIND], now: yield* now, leaseMs, limit: free })
            .pipe(Effect.orElseSucceed(() => [] as ReadonlyArray<Job>))
          for (const job of jobs) {
            active.set(job.id, job)
            yield* FiberMap.run(inFlight, job.id, runOne(job))
          }
          claimed = jobs.length
        }
        if (claimed === 0 || claimed < free) {
          yield* Queue.take(wake).pipe(Effect.timeout(Duration.millis(options.pollMs)), Effect.ignore)
        }
      }
    }).pipe(Effect.forkScoped)

    return {
      /** Completes once no job is in flight. */
      idle: FiberMap.awaitEmpty(inFlight),
      /** Interrupts the jobs in flight and hands each back: queued again, or its run ended. */
      // Handed back right away: another replica may take the job at once. Its run is left
      // `running`, so the next attempt treats it as a lost worker's (retried once, or `worker_lost`).
      abandon: Effect.gen(function* () {
        const held = [...active.values()]
        yield* FiberMap.clear(inFlight)
        const at = yield* now
        yield* Effect.forEach(
          held,
          (job) =>
            handBack(job, "interrupted: the worker shut down", at, "worker_lost").pipe(
              Effect.catchAllCause((cause) => Effect.logWarning("interrupted job not handed back", cause))
            ),
          { discard: true }
        )
      })
    }
  })
