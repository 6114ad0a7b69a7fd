import { Clock, Effect } from "effect"
import type { Workflow } from "./domain/Workflow.js"
import * as Plans from "./Plans.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Runs from "./Runs.js"
import * as Schedules from "./Schedules.js"

/**
 * The scheduler tick (SPEC §3.1, §8). Any number of replicas may tick at once: a fire's run id
 * is derived from (workflow, model, fire time) and inserted idempotently, so each fire yields
 * exactly one run however many replicas see it.
 */

export interface TickResult {
  readonly fired: number
  readonly skipped: number
}

/**
 * Fires that are due for one workflow at `now`, one per tester model (staggered later by the job
 * queue). Only fires after the workflow's last change — creation, a new version, or a pause or
 * resume — (and after `lastFireAt`, when known) count: a new or resumed workflow first fires at
 * its first scheduled time after that, not at once because a fire before it (one it did not
 * exist for, or was paused at) falls within the misfire grace.
 */
export const dueFires = (
  workflow: Workflow,
  now: Date,
  lastFireAt: Date | null = null
): ReadonlyArray<{ model: string; fireAt: Date }> => {
  if (workflow.state !== "active" || workflow.spec.schedule === null) return []
  const anchor =
    lastFireAt !== null && lastFireAt.getTime() > workflow.updatedAt.getTime()
      ? lastFireAt
      : workflow.updatedAt
  const fireAt = Schedules.dueFire(workflow.spec.schedule, anchor, now)
  return fireAt === null ? [] : workflow.spec.testerModels.map((model) => ({ model, fireAt }))
}

/**
 * Makes a tick function that remembers the last fire it handled per workflow and model, so a
 * replica does not retry the same fire every tick (the store would dedupe it anyway).
 */
export const makeTick = Effect.sync(() => {
  const seen = new Map<string, number>()
  return Effect.gen(function* () {
    const now = new Date(yield* Clock.currentTimeMillis)
    const workflows = yield* (yield* WorkflowStore).listScheduled
    let fired = 0
    let skipped = 0
    // Asked once per organization and tick: a read-only workspace's schedules pause (nothing is
    // deleted, they resume with the subscription), and a fire past the month's runs is skipped.
    // Both are never the case without plan enforcement (`Plans`).
    const paused = new Map<string, boolean>()
    const isPaused = (orgId: string) =>
      Effect.gen(function* () {
        const known = paused.get(orgId)
        if (known !== undefined) return known
        const value = (yield* Plans.schedulesPaused(orgId)) || (yield* Plans.runsExhausted(orgId))
        paused.set(orgId, value)
        return value
      })
    for (const workflow of workflows) {
      const due = dueFires(workflow, now)
      if (due.length > 0 && (yield* isPaused(workflow.orgId))) continue
      for (const { model, fireAt } of due) {
        const key = `${workflow.id}\u0000${model}`
        if (seen.get(key) === fireAt.getTime()) continue
        const outcome = yield* Runs.scheduledFire(workflow, model, fireAt)
        seen.set(key, fireAt.getTime())
        if ("skipped" in outcome && outcome.skipped) skipped++
        else fired++
      }
    }
    return { fired, skipped } satisfies TickResult
  })
})
