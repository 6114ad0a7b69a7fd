/**
 * One `workflow_run` job: load the pending run and what it is pinned to, mark it running, execute
 * it, and write the terminal run together with its alert outbox rows in one transaction
 * (`Runs.complete`). Used by the worker; usable alone (CLI `armature test`, examples).
 */
import {
  type AlertStore,
  type AuthProfile,
  type Ids,
  isTerminal,
  type LanguageModels,
  type McpConnector,
  type McpServer,
  profilesInOrder,
  type Run,
  RunStore,
  Runs,
  type SecretStore,
  ServerStore,
  type StoreError,
  type Transactor,
  WorkflowStore,
  type Workflows
} from "@armature/core"
import { Clock, Effect, Option } from "effect"
import * as RunExecutor from "./RunExecutor.js"

/** The error message of a run ended `worker_lost`. */
export const workerLostMessage = "The worker executing this run was lost"

/** How a job ended, for the queue. */
export type JobOutcome = "done" | "skipped"

const terminalError = (run: Run, code: "internal_error" | "worker_lost", message: string, at: Date): Run => ({
  ...run,
  status: "error",
  startedAt: run.startedAt ?? at,
  finishedAt: at,
  durationMs: run.startedAt === null ? 0 : at.getTime() - run.startedAt.getTime(),
  error: { code, message }
})

/**
 * Ends the job of a run as `done` or `skipped` (the worker's `JobQueue.complete`; its result, false
 * when the lease was lost, changes nothing here). `executeRun` calls it in the transaction that
 * stores the terminal run when there is one, so a run and its job end with one commit.
 */
export type EndJob = (outcome: JobOutcome) => Effect.Effect<unknown, StoreError>

/**
 * Stores a terminal run and the alerts it causes in one transaction; false when it was already
 * terminal (another attempt finished it), in which case nothing is written or alerted.
 */
export const persist = (
  run: Run,
  options: Runs.CompleteOptions = {}
): Effect.Effect<
  boolean,
  StoreError,
  RunStore | ServerStore | WorkflowStore | AlertStore | Ids | Transactor
> => Effect.map(Runs.complete(run, options), (c) => c.completed)

/**
 * Completes the job with its terminal run (the job ends in the same transaction); when another
 * attempt finished first, with the run it stored. `server`: the one the run ran against, if loaded.
 */
const finish = (ended: Run, endJob: EndJob | undefined, server?: McpServer) =>
  Effect.gen(function* () {
    const options: Runs.CompleteOptions = {
      ...(endJob !== undefined && { alongside: endJob("done") }),
      ...(server !== undefined && { server: { id: server.id, name: server.name } })
    }
    if (yield* persist(ended, options)) return { outcome: "done", run: ended } as const
    const stored = yield* Effect.flatMap(RunStore, (s) => s.getRun(ended.orgId, ended.id))
    return { outcome: "done", run: Option.getOrNull(stored) } as const
  })

/**
 * Ends a run whose job will not be executed again (its attempts are used up, or it was
 * dead-lettered): `error` with `code`, unless it is already terminal or gone. True when this ended it.
 */
export const abandon = (
  orgId: string,
  runId: string,
  code: "internal_error" | "worker_lost",
  message: string
): Effect.Effect<
  boolean,
  StoreError,
  RunStore | ServerStore | WorkflowStore | AlertStore | Ids | Transactor
> =>
  Effect.gen(function* () {
    const stored = Option.getOrNull(yield* Effect.flatMap(RunStore, (s) => s.getRun(orgId, runId)))
    if (stored === null || isTerminal(stored.status)) return false
    return yield* persist(terminalError(stored, code, message, new Date(yield* Clock.currentTimeMillis)))
  }).pipe(
    Effect.withSpan("RunJob.abandon", {
      attributes: { "armature.org_id": orgId, "armature.run_id": runId, "armature.run_error": code }
    })
  )

/** The run a `workflow_run` job executes. */
export const runIdOf = (job: { readonly payload: unknown; readonly targetId: string }): string => {
  const payload = job.payload as { runId?: unknown } | null
  return typeof payload?.runId === "string" ? payload.runId : job.targetId
}

/**
 * The server and profile of a workflow spec (`authProfileId: null` = the server's first profile),
 * read afresh for every run in one read: an edited server or profile counts from the next run on.
 */
const target = (orgId: string, serverId: string, profileId: string | null) =>
  Effect.gen(function* () {
    const found = Option.getOrNull(
      yield* Effect.flatMap(ServerStore, (s) => s.getServerWithProfiles(orgId, serverId, profileId))
    )
    if (found === null) return null
    const profile = profilesInOrder(found.profiles)[0] ?? null
    if (profileId !== null && profile === null) return null
    return { server: found.server, profile } as { server: McpServer; profile: AuthProfile | null }
  })

/**
 * Executes the run a job names. `attempt` > 1 means an earlier worker lost the job: a run it left
 * `running` is retried once when the workflow's retry policy allows, else ends `worker_lost`.
 * With `endJob` (the worker), the job is ended here too: with the terminal run's transaction, or
 * alone when there was nothing to store (the run is gone or already terminal). `versions` reads
 * the pinned version (the worker's `Workflows.pinnedVersions`); without it, from the store.
 */
export const executeRun = (
  orgId: string,
  runId: string,
  attempt: number,
  endJob?: EndJob,
  versions?: Workflows.PinnedVersions
): Effect.Effect<
  { readonly outcome: JobOutcome; readonly run: Run | null },
  StoreError,
  | RunStore
  | WorkflowStore
  | ServerStore
  | AlertStore
  | Ids
  | Transactor
  | McpConnector
  | LanguageModels
  | SecretStore
> =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const stored = Option.getOrNull(yield* runs.getRun(orgId, runId))
    if (stored === null) {
      if (endJob !== undefined) yield* endJob("skipped")
      return { outcome: "skipped", run: null } as const
    }
    if (isTerminal(stored.status)) {
      if (endJob !== undefined) yield* endJob("done")
      return { outcome: "done", run: stored } as const
    }
    const at = new Date(yield* Clock.currentTimeMillis)
    const version = Option.getOrNull(
      yield* versions !== undefined
        ? versions(orgId, stored.workflowVersionId)
        : Effect.flatMap(WorkflowStore, (s) => s.getVersion(orgId, stored.workflowVersionId))
    )
    if (version === null) {
      const ended = terminalError(
        stored,
        "internal_error",
        "The pinned workflow version no longer exists",
        at
      )
      return yield* finish(ended, endJob)
    }
    if (stored.status === "running" && attempt > 1) {
      if (!version.spec.retryPolicy.retryOnWorkerLost || stored.attempt > 1) {
        const ended = terminalError(stored, "worker_lost", workerLostMessage, at)
        return yield* finish(ended, endJob)
      }
    }
    const pinned = yield* target(orgId, stored.mcpServerId, version.spec.authProfileId)
    if (pinned === null) {
      const ended = terminalError(
        stored,
        "internal_error",
        "The run's MCP server or auth profile no longer exists",
        at
      )
      return yield* finish(ended, endJob)
    }
    const running: Run = {
      ...stored,
      status: "running",
      startedAt: at,
      attempt: stored.status === "running" ? stored.attempt + 1 : stored.attempt
    }
    yield* runs.updateRun(running)
    const ended = yield* RunExecutor.execute({ run: running, spec: version.spec, ...pinned })
    return yield* finish(ended, endJob, pinned.server)
  }).pipe(
    Effect.tap(({ outcome, run }) =>
      Effect.annotateCurrentSpan({
        "armature.job_outcome": outcome,
        "armature.run_status": run?.status ?? "gone"
      })
    ),
    // One span per claimed job, around the run's own `RunExecutor.execute`.
    Effect.withSpan("RunJob.executeRun", {
      attributes: { "armature.org_id": orgId, "armature.run_id": runId, "armature.job_attempt": attempt }
    })
  )
