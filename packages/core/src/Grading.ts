/**
 * Grading: the roll-up of a run (SPEC §3.2 step 7), pass rates, and multi-sample results with
 * flaky criteria (SPEC §3.4).
 *
 * Roll-up rules, over REQUIRED criteria and assertions only (optional ones never decide):
 * - `pass` when every required item passed (criterion verdict `pass`, assertion `passed`);
 * - `fail` when none passed and none made partial progress;
 * - `partial` otherwise. A criterion verdict `partial` counts as half a pass: it is not a pass,
 *   so it prevents `pass`, and it is some progress, so it prevents `fail` — a run whose only
 *   required criterion is judged `partial` is `partial`.
 * - With no required item at all (prevented elsewhere for criteria, but possible for a direct
 *   caller) the run is `pass`: nothing required failed, and optional items never decide.
 */
import type {
  AssertionResult,
  CriterionResult,
  Run,
  RunStatus,
  TerminalStatus,
  Verdict
} from "./domain/Run.js"

/** Roll-up of a completed run's required criteria and assertions to `pass`, `fail` or `partial`. */
export const rollUp = (
  criteria: ReadonlyArray<CriterionResult>,
  assertions: ReadonlyArray<AssertionResult>
): "pass" | "fail" | "partial" => {
  const scores = [
    ...criteria
      .filter((c) => c.required)
      .map((c) => (c.verdict === "pass" ? 1 : c.verdict === "partial" ? 0.5 : 0)),
    ...assertions.filter((a) => a.required).map((a) => (a.passed ? 1 : 0))
  ]
  if (scores.every((s) => s === 1)) return "pass"
  if (scores.every((s) => s === 0)) return "fail"
  return "partial"
}

/** Terminal-run counts; `error` runs are counted apart. */
export interface PassCounts {
  readonly pass: number
  readonly partial: number
  readonly fail: number
  readonly error: number
}

/**
 * Share of passing runs among runs that completed, as a fraction 0–1: `error` runs are
 * excluded (SPEC §3.2), `partial` runs count as not passing; `null` when no run completed.
 */
export const passRate = (counts: PassCounts): number | null => {
  const graded = counts.pass + counts.partial + counts.fail
  return graded > 0 ? counts.pass / graded : null
}

/** Counts of the terminal statuses among runs; runs still pending or running are not counted. */
export const countStatuses = (statuses: ReadonlyArray<RunStatus>): PassCounts => {
  const counts = { pass: 0, partial: 0, fail: 0, error: 0 }
  for (const status of statuses) if (status in counts) counts[status as TerminalStatus]++
  return counts
}

/** A criterion whose verdict differed across the samples, with each sample's verdict in run order. */
export interface FlakyCriterion {
  readonly criterionId: string
  readonly verdicts: Verdict[]
}

/** The outcome of a multi-sample dispatch (SPEC §3.4). */
export interface SampleResult {
  /** Number of runs in the group, whatever their status. */
  readonly runs: number
  /** Pass rate over the completed non-error runs; `null` when there is none. */
  readonly passRate: number | null
  readonly flaky: FlakyCriterion[]
  /**
   * `pending` when no run started (or there are no runs), `running` while any run is not
   * terminal, `error` when every run errored; otherwise the roll-up over the graded samples:
   * `pass` when all passed, `fail` when all failed, `partial` when they disagree or any was partial.
   */
  readonly status: RunStatus
}

/**
 * Pass rate, flaky criteria and overall status of the runs of one sample group. Only graded
 * runs (terminal, not `error`) contribute verdicts: an error run says nothing about flakiness.
 */
export const samples = (runs: ReadonlyArray<Pick<Run, "id" | "status" | "criteria">>): SampleResult => {
  const graded = runs.filter(
    (run) => run.status === "pass" || run.status === "fail" || run.status === "partial"
  )

  const verdicts = new Map<string, Verdict[]>()
  for (const run of graded) {
    for (const criterion of run.criteria) {
      const list = verdicts.get(criterion.criterionId)
      if (list === undefined) verdicts.set(criterion.criterionId, [criterion.verdict])
      else list.push(criterion.verdict)
    }
  }
  const flaky: FlakyCriterion[] = []
  for (const [criterionId, list] of verdicts) {
    if (new Set(list).size > 1) flaky.push({ criterionId, verdicts: list })
  }

  return {
    runs: runs.length,
    passRate: passRate(countStatuses(runs.map((run) => run.status))),
    flaky,
    status: groupStatus(
      runs.map((run) => run.status),
      graded.map((run) => run.status)
    )
  }
}

const groupStatus = (all: ReadonlyArray<RunStatus>, graded: ReadonlyArray<RunStatus>): RunStatus => {
  if (all.length === 0 || all.every((s) => s === "pending")) return "pending"
  if (all.some((s) => s === "pending" || s === "running")) return "running"
  if (graded.length === 0) return "error"
  if (graded.every((s) => s === "pass")) return "pass"
  if (graded.every((s) => s === "fail")) return "fail"
  return "partial"
}
