/** The spec of a regression workflow drafted from a run (SPEC §9.1 `draft_regression_workflow_from_run`). */
import type { Run } from "../domain/Run.js"
import type { Criterion, WorkflowSpec } from "../domain/Workflow.js"

/** Default name: `Regression: <workflow name> (<run id first 8>)`, cut to the 200 characters a name may have. */
export const defaultName = (run: Run): string => {
  const suffix = ` (${run.id.slice(0, 8)})`
  return `Regression: ${run.workflowName}`.slice(0, 200 - suffix.length) + suffix
}

/**
 * A manual-only workflow reproducing the run: same server, auth profile, prompt, setup/teardown,
 * variables and limits as the version the run was pinned to, the run's tester and judge model,
 * the criteria the run did not pass (all of its criteria when none failed), the assertions it
 * failed, and `allowedTools` = the distinct tools it called (refused calls excluded: the policy
 * did not allow them). Criteria keep their ids so `compare_runs` can match them with the
 * original run; all are required, since reproducing those failures is the point.
 */
export const regressionSpec = (
  run: Run,
  source: WorkflowSpec,
  name: string
): { readonly spec: WorkflowSpec; readonly warnings: ReadonlyArray<string> } => {
  const warnings: string[] = []
  const failing = run.criteria.filter((c) => c.verdict !== "pass")
  const picked = failing.length > 0 ? failing : run.criteria
  let criteria: ReadonlyArray<Criterion> = picked.map((c) => ({
    id: c.criterionId,
    text: c.text,
    required: true
  }))
  if (criteria.length === 0) {
    // A run that ended `error` before grading has no verdicts: take the version's criteria.
    criteria = source.criteria.map((c) => ({ ...c, required: true }))
    warnings.push(
      `Run ${run.id} has no criterion verdicts; the draft uses every criterion of its workflow version.`
    )
  } else if (failing.length === 0) {
    warnings.push(`Run ${run.id} failed no criterion; the draft uses all of its criteria.`)
  }
  const failedAssertions = new Set(run.assertions.filter((a) => !a.passed).map((a) => a.index))
  const assertions = source.assertions.filter((_, i) => failedAssertions.has(i))
  const called = [...new Set(run.toolCalls.filter((c) => !c.refused).map((c) => c.name))]
  if (called.length === 0)
    warnings.push(`Run ${run.id} called no tool; the draft keeps the original tool policy.`)
  const spec: WorkflowSpec = {
    ...source,
    name,
    description: `Regression test drafted from run ${run.id} of workflow "${run.workflowName}" (version ${run.workflowVersion}).`,
    criteria,
    assertions,
    testerModels: [run.testerModel],
    judgeModel: run.judgeModel,
    schedule: null,
    toolPolicy: called.length === 0 ? source.toolPolicy : { ...source.toolPolicy, allowedTools: called }
  }
  return { spec, warnings }
}
