/**
 * The run tools (SPEC §9.1): find runs, read one, diagnose a failure, compare two, and dispatch
 * a workflow now. Each calls the core use case of the same name; core decodes and authorizes
 * again, so these entries only shape arguments and results.
 */
import { Id, Run, RunComparison, RunDiagnosis, RunSummary, Runs, toRunSummary } from "@armature/core"
import { Effect, Schema } from "effect"
import { define, reading } from "../Tool.js"

export const searchRuns = define({
  name: "search_runs",
  title: "Search runs",
  summary:
    "Lists the organization's workflow runs, newest first, filtered by workflow, status and start time " +
    "(ISO 8601 `before`/`after`), 20 per page by default (at most 100); pass `nextCursor` back as " +
    "`cursor` for the next page.",
  annotations: reading,
  input: Runs.SearchInput.fields,
  output: Schema.Struct({ runs: Schema.Array(RunSummary), nextCursor: Schema.NullOr(Schema.String) }),
  run: (caller, args) => Runs.search(caller, args)
})

export const inspectRun = define({
  name: "inspect_run",
  title: "Inspect a run",
  summary:
    "The full record of one run: workflow version, prompt and models, each criterion and assertion " +
    "result with reasoning and evidence ids, the tool-call trace, the final answer, tokens, cost, " +
    "duration and error.",
  annotations: reading,
  input: { runId: Id },
  output: Run,
  run: (caller, args) => Runs.get(caller, args.runId)
})

export const diagnoseRun = define({
  name: "diagnose_run",
  title: "Diagnose a run",
  summary:
    "Why a run failed: its failed or partial criteria and assertions, the tool calls and trace events " +
    "most likely responsible (with ids), a classification (server_error, tool_contract_changed, " +
    "agent_behaviour, criteria_too_strict, infrastructure) and suggested remediations. Computed " +
    "deterministically from the trace, the catalog history and the criteria.",
  annotations: reading,
  input: RunDiagnosis.DiagnoseInput.fields,
  output: RunDiagnosis.RunDiagnosis,
  run: (caller, args) => RunDiagnosis.diagnose(caller, args)
})

export const compareRuns = define({
  name: "compare_runs",
  title: "Compare two runs",
  summary:
    "Compares a candidate run with a base run: per criterion regressed, fixed, still_failing, " +
    "still_passing, new or removed; version and model changes; tools called in only one run; error " +
    "counts; token, cost and duration deltas.",
  annotations: reading,
  input: RunComparison.CompareInput.fields,
  output: RunComparison.RunComparison,
  run: (caller, args) => RunComparison.compare(caller, args)
})

const dispatch = Runs.DispatchInput.fields

/** The result of `run_workflow_now`: the run's summary, and the whole run when waited for. */
export const DispatchResult = Schema.Struct({
  ...RunSummary.fields,
  /** False when the same arguments named a run dispatched before: that run is returned. */
  created: Schema.Boolean,
  run: Schema.optional(Run)
})

export const runWorkflowNow = define({
  name: "run_workflow_now",
  title: "Run a workflow now",
  summary:
    "Dispatches a run of a workflow. The run id is derived from the workflow, the normalized reason and " +
    "`idempotencyKey`, so repeating the same call returns the same run instead of starting another. " +
    "With `wait: true`, waits up to `waitSeconds` (default 120, at most 600) and returns the finished " +
    "run; past that, fails with run_wait_timeout and the run goes on.",
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  input: {
    workflowId: dispatch.workflowId,
    reason: dispatch.reason,
    idempotencyKey: dispatch.idempotencyKey,
    testerModel: dispatch.testerModel,
    baselineRunId: dispatch.baselineRunId,
    wait: Schema.optional(Schema.Boolean),
    waitSeconds: Schema.optional(Runs.WaitSeconds)
  },
  output: DispatchResult,
  run: (caller, { wait, waitSeconds, ...args }) =>
    Effect.gen(function* () {
      const dispatched = yield* Runs.dispatch(caller, { ...args, trigger: "api" })
      const created = dispatched.created
      if (wait !== true) return { ...toRunSummary(dispatched.run), created }
      const run = yield* Runs.waitForTerminal(caller, dispatched.run.id, waitSeconds)
      return { ...toRunSummary(run), created, run }
    })
})
