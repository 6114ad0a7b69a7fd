/**
 * The terminal run: what every run reports (timing, trace, usage, server info), then either the
 * graded criteria and assertions or the `RunError` that ended it.
 */
import { Assertions, type CriterionResult, Grading, type Run } from "@armature/core"
import { Clock, Effect } from "effect"
import type { RunFailed } from "./failure.js"
import type { RunState } from "./state.js"

/** What a run reports however it ended, timed now. */
const finished = (state: RunState) =>
  Effect.map(Clock.currentTimeMillis, (finishedAt) => {
    const { usage, serverInfo, catalogHash, finalAnswer } = state.progress
    return {
      ...state.run,
      startedAt: new Date(state.started),
      finishedAt: new Date(finishedAt),
      durationMs: finishedAt - state.started,
      finalAnswer,
      toolCalls: state.recorder.toolCalls,
      trace: state.recorder.trace,
      usage,
      costUsd: usage.reduce((sum, u) => sum + u.costUsd, 0),
      serverInfo,
      catalogHash
    }
  })

/** A run that went through: the judge's criteria and the assertions, rolled up into its status. */
export const graded = (state: RunState, criteria: ReadonlyArray<CriterionResult>): Effect.Effect<Run> =>
  Effect.map(finished(state), (base) => {
    const assertions = Assertions.evaluate(state.spec.assertions, {
      toolCalls: state.recorder.toolCalls,
      finalAnswer: base.finalAnswer,
      usage: base.usage,
      durationMs: base.durationMs
    })
    return {
      ...base,
      status: Grading.rollUp(criteria, assertions),
      criteria,
      assertions,
      error: null
    } satisfies Run
  })

/** A run a phase ended: status `error` with the failure's code and message. */
export const errored = (state: RunState, failure: RunFailed): Effect.Effect<Run> =>
  Effect.map(
    finished(state),
    (base) =>
      ({
        ...base,
        status: "error",
        criteria: [],
        assertions: [],
        error: { code: failure.code, message: failure.message }
      }) satisfies Run
  )
