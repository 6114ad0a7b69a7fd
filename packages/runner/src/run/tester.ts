/**
 * The tester agent's phase of a run (SPEC §3.2 steps 2–4): the agent loop bounded by what is left
 * of the run's time, its tokens counted whether it finishes or not.
 */
import { Clock, Effect } from "effect"
import * as Agent from "../Agent.js"
import { isTransportFailure, type RunFailed, runFailed } from "./failure.js"
import type { ResolvedModel } from "./models.js"
import type { OpenSession } from "./session.js"
import type { RunState } from "./state.js"

/**
 * Runs the agent over the open session and keeps its final answer (redacted). A tool call that
 * broke the connection fails the run with `transport_failure`, though the loop went on.
 */
export const testerAgent = (
  state: RunState,
  tester: ResolvedModel,
  { session, tools }: OpenSession
): Effect.Effect<void, RunFailed> =>
  Effect.gen(function* () {
    const used = (tokens: { readonly inputTokens: number; readonly outputTokens: number }) =>
      Effect.sync(() => state.progress.used("tester", tester.entry, tokens))
    // The agent bounds itself with what is left, keeping the tokens of the steps it finished.
    const outcome = yield* Agent.run({
      model: tester.model,
      session,
      tools,
      policy: state.spec.toolPolicy,
      limits: state.spec.limits,
      prompt: state.prompt,
      recorder: state.recorder,
      timeoutMs: state.deadline - (yield* Clock.currentTimeMillis)
    }).pipe(
      Effect.tapBoth({ onFailure: used, onSuccess: used }),
      Effect.mapError((e) => runFailed(e.reason, e.message))
    )
    state.progress.answered(outcome.finalAnswer === null ? null : state.recorder.redact(outcome.finalAnswer))
    const broken = state.recorder.toolCalls.find((c) => c.phase === "agent" && isTransportFailure(c.error))
    if (broken) return yield* runFailed("transport_failure", `${broken.name}: ${broken.error}`)
  }).pipe(Effect.withSpan("RunExecutor.agent"))
