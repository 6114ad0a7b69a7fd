/**
 * The part of a run that talks to the server (SPEC §3.2 steps 1–5): connect and list tools, the
 * setup steps, the tester agent, and teardown — which runs whatever happened before it, in the
 * same scope, so the session closes right after it.
 */
import { McpConnector, type McpSession, type Tool, type WorkflowSpec } from "@armature/core"
import { Effect, Either, type Scope } from "effect"
import { renderDeep } from "../internal/variables.js"
import { untilDeadline, within } from "./deadline.js"
import { isTransportFailure, type RunFailed, runFailed } from "./failure.js"
import type { ResolvedModel } from "./models.js"
import type { RunState } from "./state.js"
import { testerAgent } from "./tester.js"

/**
 * Teardown cleans up test data, so it still runs after the deadline — for at most this long: the
 * run may end this much after `timeoutSeconds`, never more.
 */
export const teardownGraceMs = 10_000

/** An open session with the tools the server listed. */
export interface OpenSession {
  readonly session: McpSession
  readonly tools: ReadonlyArray<Tool>
}

/** Opens the session in the caller's scope and lists the tools, within the deadline. */
const connect = (state: RunState): Effect.Effect<OpenSession, RunFailed, McpConnector | Scope.Scope> =>
  Effect.flatMap(McpConnector, (connector) =>
    untilDeadline(
      state,
      "Connecting to the server",
      Effect.gen(function* () {
        const connectTimeoutMs = Math.min(30_000, state.deadline - state.started)
        const session = yield* connector
          .connect(state.server, state.profile, { connectTimeoutMs })
          .pipe(
            Effect.mapError((e) =>
              runFailed(
                e.reason === "auth_rejected" ? "auth_rejected" : "server_unreachable",
                state.recorder.redact(
                  `${e.reason}${e.httpStatus ? ` (HTTP ${e.httpStatus})` : ""}: ${e.message}`
                )
              )
            )
          )
        state.progress.connected(session)
        const tools = yield* Effect.mapError(session.listTools, (e) =>
          runFailed("transport_failure", state.recorder.redact(`tools/list: ${e.message}`))
        )
        return { session, tools }
      })
    )
  ).pipe(
    Effect.tap(({ tools }) => Effect.sync(() => state.progress.listed(tools))),
    Effect.withSpan("RunExecutor.connect")
  )

/** Calls the setup or teardown steps in order; a broken connection fails the run, a tool error does not. */
const steps = (
  state: RunState,
  session: McpSession,
  phase: "setup" | "teardown",
  list: WorkflowSpec["setup"]
): Effect.Effect<void, RunFailed> =>
  Effect.gen(function* () {
    const callOptions = {
      timeoutMs: state.spec.limits.callTimeoutSeconds * 1000,
      maxTotalTimeoutMs:
        Math.max(state.spec.limits.callTimeoutSeconds, state.spec.limits.callTimeoutCapSeconds) * 1000
    }
    for (const step of list) {
      const args = renderDeep(step.arguments, state.vars) as Record<string, unknown>
      const r = yield* state.recorder.call(session, phase, 0, step.tool, args, callOptions)
      if (isTransportFailure(r.error))
        return yield* runFailed("transport_failure", `${phase} ${step.tool}: ${r.error}`)
    }
  }).pipe(Effect.withSpan(`RunExecutor.${phase}`))

/**
 * Connects, runs setup and the tester agent, then teardown with at least `teardownGraceMs` even
 * past the deadline. The first failure is the run's: teardown's counts only when all before it went well.
 */
export const exercise = (
  state: RunState,
  tester: ResolvedModel
): Effect.Effect<void, RunFailed, McpConnector> =>
  Effect.scoped(
    Effect.gen(function* () {
      const open = yield* connect(state)
      const main = yield* Effect.either(
        Effect.zipRight(
          untilDeadline(state, "Setup", steps(state, open.session, "setup", state.spec.setup)),
          testerAgent(state, tester, open)
        )
      )
      // Teardown runs whatever happened before it (SPEC §3.2 step 5).
      const teardown = yield* Effect.either(
        Effect.suspend(() =>
          within(
            state,
            "Teardown",
            Math.max(state.deadline - state.clock.unsafeCurrentTimeMillis(), teardownGraceMs),
            steps(state, open.session, "teardown", state.spec.teardown)
          )
        )
      )
      return yield* Either.isLeft(main) ? main : teardown
    })
  )
