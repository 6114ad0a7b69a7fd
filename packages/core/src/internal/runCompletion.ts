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

/**
 * Stores a terminal run and, in the same transaction, applies its outcome to the alert rules of
 * its workflow and to its server's incident, and enqueues the resulting messages. A run that is already terminal
 * is left alone and causes no alert, so a retried job cannot alert twice.
 */
export const complete = (
  run: Run
): Effect.Effect<
  Completion,
  StoreError,
  RunStore | ServerStore | WorkflowStore | AlertStore | Ids | Transactor
> =>
  isTerminal(run.status)
    ? Effect.flatMap(Transactor, (tx) =>
        tx.withTransaction(
          Effect.gen(function* () {
            const updated = yield* Effect.flatMap(RunStore, (s) => s.updateRun(run))
            if (!updated) return { completed: false, alerts: 0 }
            // A paused workflow alerts nobody (SPEC §7), even for a run someone started by hand.
            const workflow = yield* Effect.flatMap(WorkflowStore, (s) =>
              s.getWorkflow(run.orgId, run.workflowId)
            )
            if (Option.isSome(workflow) && workflow.value.state === "paused")
              return { completed: true, alerts: 0 }
            const server = Option.getOrNull(
              yield* Effect.flatMap(ServerStore, (s) => s.getServer(run.orgId, run.mcpServerId))
            )
            const messages = yield* AlertEngine.onRun({
              orgId: run.orgId,
              target: { type: "workflow", id: run.workflowId, name: run.workflowName },
              outcome: run.status,
              previousOutcome: null,
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
