/**
 * The model phases around the session: resolving the tester and judge models before anything
 * connects, and the judge (SPEC §3.2 step 6) after teardown, within what is left of the run's time.
 */
import type { LanguageModelV4 } from "@ai-sdk/provider"
import { type CriterionResult, LanguageModels, type ModelCatalogEntry } from "@armature/core"
import { Effect } from "effect"
import * as Judge from "../Judge.js"
import { untilDeadline } from "./deadline.js"
import { type RunFailed, runFailed } from "./failure.js"
import type { RunState } from "./state.js"

/** A resolved model with the catalog entry its usage is priced by. */
export interface ResolvedModel {
  readonly model: LanguageModelV4
  readonly entry: ModelCatalogEntry
}

/** The run's tester and judge models; an unknown one fails the run with `model_not_configured`. */
export const resolveModels = (
  state: RunState
): Effect.Effect<
  { readonly tester: ResolvedModel; readonly judge: ResolvedModel },
  RunFailed,
  LanguageModels
> =>
  Effect.gen(function* () {
    const models = yield* LanguageModels
    const resolve = (id: string) =>
      Effect.mapError(models.resolve(id), (e) => runFailed("model_not_configured", e.message))
    const tester = yield* resolve(state.run.testerModel)
    const judge = yield* resolve(state.run.judgeModel)
    return { tester, judge }
  })

/** Grades the criteria from the recorded run; its tokens count whether it answers or fails. */
export const judge = (
  state: RunState,
  judgeModel: ResolvedModel
): Effect.Effect<ReadonlyArray<CriterionResult>, RunFailed> =>
  Effect.suspend(() => {
    const used = (tokens: { readonly inputTokens: number; readonly outputTokens: number }) =>
      Effect.sync(() => state.progress.used("judge", judgeModel.entry, tokens))
    return untilDeadline(
      state,
      "The judge",
      Judge.judge({
        model: judgeModel.model,
        criteria: state.spec.criteria,
        prompt: state.prompt,
        finalAnswer: state.progress.finalAnswer,
        toolCalls: state.recorder.toolCalls,
        trace: state.recorder.trace
      }).pipe(
        Effect.tapBoth({ onFailure: used, onSuccess: used }),
        Effect.mapError((e) => runFailed("judge_failed", e.message))
      )
    )
  }).pipe(
    Effect.map((outcome) => outcome.criteria),
    Effect.withSpan("RunExecutor.judge")
  )
