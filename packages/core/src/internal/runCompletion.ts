/**
 * Completing a run (SPEC §3.2 step 8, §7): the terminal run and the alert outbox rows it causes
 * are written in one transaction, so a crash or a failed insert can never leave a terminal run
 * whose alerts were lost, nor alerts about a run that is not stored.
 */
import { Effect, Option } from "effect"
import { isTerminal, type Run } from "../domain/Run.js"
import type { StoreError } from "../Errors.js"
import type { AlertStore } from "../ports/AlertStore.js"
import type { Ids } from "../ports/Ids.js"
import { RunStore } from "../ports/RunStore.js"
import { ServerStore } from "../ports/ServerStore.js"
import { Transactor } from "../ports/Transactor.js"
import { WorkflowStore } from "../ports/WorkflowStore.js"
import * as AlertEngine from "./alertEngine.js"

/** What `complete` did. */
export interface Completion {
  /** False when the run was already terminal (or is gone): nothing was written. */
  readonly completed: boolean
  /** Outbox rows enqueued with the run. */
  readonly alerts: number
}

/** The failure summary of an alert: the error, or the failing required checks with the judge's reasoning. */
export const failureSummary = (run: Run): string => {
  if (run.error !== null) return `${run.error.code}: ${run.error.message}`
  const failing = [
    ...run.criteria
      .filter((c) => c.required && c.verdict !== "pass")
      .map((c) => `${c.text} — ${c.verdict}: ${c.reasoning}`),
    ...run.assertions.filter((a) => a.required && !a.passed).map((a) => `${a.type}: ${a.message}`)
  ]
  return failing.length === 0 ? `Run ${run.status}` : failing.join("\n")
}

/** What the caller of `complete` already has, so that the completion need not read or commit it apart. */
export interface CompleteOptions {
  /**
   * The server the run ran against, as the worker loaded it to start the run (same organization,
   * the run's `mcpServerId`); `null` when it was gone then. Left out, it is read here. The alerts
   * then name the server the run actually ran against, even if it was renamed or deleted since.
   */
  readonly server?: { readonly id: string; readonly name: string } | null
  /**
   * Runs first in the completion's transaction, whatever `complete` then does (the worker ends
   * the run's job here: one commit per run instead of two). First, so that its row lock is taken
   * in the order every other job-and-run transaction takes them (job, then run): no deadlock with
   * a replica recovering the same job.
   */
  readonly alongside?: Effect.Effect<unknown, StoreError>
}

/**
 * Stores a terminal run and, in the same transaction, applies its outcome to the alert rules of
 * its workflow and to its server's incident, and enqueues the resulting messages. A run that is already terminal
 * is left alone and causes no alert, so a retried job cannot alert twice.
 */
export const complete = (
  run: Run,
  options: CompleteOptions = {}
): Effect.Effect<
  Completion,
  StoreError,
  RunStore | ServerStore | WorkflowStore | AlertStore | Ids | Transactor
> =>
  isTerminal(run.status)
    ? Effect.flatMap(Transactor, (tx) =>
        tx.withTransaction(
          Effect.gen(function* () {
            if (options.alongside !== undefined) yield* options.alongside
            const updated = yield* Effect.flatMap(RunStore, (s) => s.updateRun(run))
            if (!updated) return { completed: false, alerts: 0 }
            // A paused workflow alerts nobody (SPEC §7), even for a run someone started by hand.
            const workflow = yield* Effect.flatMap(WorkflowStore, (s) =>
              s.getWorkflow(run.orgId, run.workflowId)
            )
            if (Option.isSome(workflow) && workflow.value.state === "paused")
              return { completed: true, alerts: 0 }
            const server =
              options.server !== undefined
                ? options.server
                : Option.getOrNull(
                    yield* Effect.flatMap(ServerStore, (s) => s.getServer(run.orgId, run.mcpServerId))
                  )
            const messages = yield* AlertEngine.onRun({
              orgId: run.orgId,
              target: { type: "workflow", id: run.workflowId, name: run.workflowName },
              outcome: run.status,
              summary: failureSummary(run),
              link: `/runs/${run.id}`,
              at: run.finishedAt ?? run.createdAt,
              server: server === null ? null : { id: server.id, name: server.name }
            })
            return { completed: true, alerts: messages.length }
          })
        )
      )
    : Effect.dieMessage(`Runs.complete needs a terminal run; run ${run.id} is ${run.status}`)
