/**
 * The run's deadline at the Effect level: every phase is cut when its budget runs out, since an
 * abort signal only helps when the provider or server honours it. A cut phase fails the run with
 * `timeout` and leaves an error event in the trace.
 */
import { Duration, Effect } from "effect"
import { type RunFailed, runFailed } from "./failure.js"
import type { RunState } from "./state.js"

/** Runs `effect` for at most `budgetMs`; `what` names the phase in the timeout's message. */
export const within = <A, R>(
  state: RunState,
  what: string,
  budgetMs: number,
  effect: Effect.Effect<A, RunFailed, R>
): Effect.Effect<A, RunFailed, R> =>
  Effect.timeoutFail(effect, {
    duration: Duration.millis(Math.max(0, budgetMs)),
    onTimeout: () => {
      const message = `${what} did not finish within the run's ${state.spec.limits.timeoutSeconds} s`
      state.recorder.event({ type: "error", text: `timeout: ${message}` })
      return runFailed("timeout", message)
    }
  })

/** Runs `effect` with what is left until the run's deadline, measured when it starts. */
export const untilDeadline = <A, R>(
  state: RunState,
  what: string,
  effect: Effect.Effect<A, RunFailed, R>
): Effect.Effect<A, RunFailed, R> =>
  Effect.suspend(() => within(state, what, state.deadline - state.clock.unsafeCurrentTimeMillis(), effect))
