/**
 * Executes a pending run end to end (SPEC §3.2): connect, list and filter tools, setup, the tester
 * agent, teardown (also after failures), the judge, assertions and the roll-up. Every way a run
 * can go wrong ends as a terminal run with status `error` and a `RunError` code — the effect
 * itself never fails. The phases live in `run/`; each fails with `RunFailed`, caught once here.
 */
import type { LanguageModels, McpConnector, Run, SecretStore } from "@armature/core"
import { Effect } from "effect"
import { judge, resolveModels } from "./run/models.js"
import { exercise } from "./run/session.js"
import { type RunContext, start } from "./run/state.js"
import { errored, graded } from "./run/terminal.js"

export { teardownGraceMs } from "./run/session.js"
export type { RunContext } from "./run/state.js"

/** Runs one pending run to a terminal `Run`; the effect does not fail. */
export const execute = Effect.fn("RunExecutor.execute")(function* (
  ctx: RunContext
): Effect.fn.Return<Run, never, McpConnector | LanguageModels | SecretStore> {
  yield* Effect.annotateCurrentSpan({
    "armature.org_id": ctx.run.orgId,
    "armature.workflow_id": ctx.run.workflowId,
    "armature.run_id": ctx.run.id,
    "armature.mcp_server_id": ctx.server.id,
    "armature.tester_model": ctx.run.testerModel
  })
  const state = yield* start(ctx)
  return yield* Effect.gen(function* () {
    const models = yield* resolveModels(state)
    yield* exercise(state, models.tester)
    return yield* graded(state, yield* judge(state, models.judge))
  }).pipe(
    Effect.catchTag("RunFailed", (failure) => errored(state, failure)),
    Effect.tap((ended) =>
      Effect.annotateCurrentSpan({
        "armature.run_status": ended.status,
        ...(ended.error === null ? {} : { "armature.run_error": ended.error.code })
      })
    )
  )
})
