/** Building pending runs and storing them with their job, shared by dispatch and scheduled fires. */
import { Effect } from "effect"
import type { Run } from "../domain/Run.js"
import type { Workflow } from "../domain/Workflow.js"
import { JobQueue } from "../ports/JobQueue.js"
import { RunStore } from "../ports/RunStore.js"
import { Transactor } from "../ports/Transactor.js"

/** Job kind the runner's worker executes. */
export const JOB_KIND = "workflow_run"
/** A job is tried at most twice: the second attempt covers a crashed worker (`worker_lost`). */
export const MAX_ATTEMPTS = 2
/** A `pending` run pinned to the workflow's current version. */
export const pendingRun = (
  workflow: Workflow,
  fields: Pick<
    Run,
    | "id"
    | "testerModel"
    | "trigger"
    | "reason"
    | "idempotencyKey"
    | "baselineRunId"
    | "sampleGroupId"
    | "fireAt"
  >,
  at: Date
): Run => ({
  ...fields,
  orgId: workflow.orgId,
  workflowId: workflow.id,
  workflowVersionId: workflow.currentVersionId,
  workflowVersion: workflow.version,
  workflowName: workflow.spec.name,
  mcpServerId: workflow.spec.mcpServerId,
  judgeModel: workflow.spec.judgeModel,
  attempt: 1,
  status: "pending",
  createdAt: at,
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  finalAnswer: null,
  toolCalls: [],
  trace: [],
  criteria: [],
  assertions: [],
  usage: [],
  costUsd: 0,
  serverInfo: null,
  catalogHash: null,
  error: null
})

/**
 * Inserts the run and, only when it is new, enqueues its job — in one transaction, so a run is
 * never left pending without a job (a repeat would find the run and enqueue nothing).
 */
export const insertAndEnqueue = (run: Run, fireAt: Date, runAfter: Date, at: Date) =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const queue = yield* JobQueue
    const tx = yield* Transactor
    return yield* tx.withTransaction(
      Effect.gen(function* () {
        const result = yield* runs.insertRun(run)
        if (result.created) {
          yield* queue.enqueue(
            {
              orgId: run.orgId,
              kind: JOB_KIND,
              targetId: run.id,
              model: run.testerModel,
              fireAt,
              runAfter,
              payload: { runId: run.id },
              maxAttempts: MAX_ATTEMPTS
            },
            at
          )
        }
        return result
      })
    )
  })
