/**
 * `compare_runs` (SPEC §9.1): what changed between a base run and a candidate run — typically
 * the failing run and the verification run after a repair.
 *
 * - Criteria are matched by id, then (for those left) by text, ignoring case and spacing: a
 *   reworded criterion gets a new id only when it was removed and re-added. Status: passing in
 *   both → `still_passing`; in neither → `still_failing` (a `partial` is not passing); only in the
 *   base → `regressed`; only in the candidate → `fixed`; unmatched → `new` / `removed`.
 * - Assertions are matched by position and type, with the same statuses.
 * - A run that ended `error` has no verdicts, so its criteria read as `new`/`removed`;
 *   `warnings` says so rather than inventing verdicts.
 * - Runs of different workflows may be compared (`sameWorkflow: false`, with a warning).
 * - Error counts are calls that reached the server and came back with `isError` or failed;
 *   refused calls are counted apart.
 */
import { Effect, Schema } from "effect"
import type { Caller } from "./domain/Audit.js"
import { Id, Timestamp } from "./domain/Common.js"
import { type Run, RunStatus, Verdict } from "./domain/Run.js"
import { AssertionType } from "./domain/Workflow.js"
import type { ForbiddenRole, NotFound, StoreError, ValidationFailed } from "./Errors.js"
import { loadRun } from "./internal/runLookup.js"
import type { RunStore } from "./ports/RunStore.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

export const ResultChange = Schema.Literal(
  "regressed",
  "fixed",
  "still_failing",
  "still_passing",
  "new",
  "removed"
)
export type ResultChange = typeof ResultChange.Type

export const CriterionComparison = Schema.Struct({
  /** The candidate's id when the criterion is in the candidate, else the base's. */
  criterionId: Schema.String,
  text: Schema.String,
  status: ResultChange,
  /** How the two were paired; null for `new` and `removed`. */
  matchedBy: Schema.NullOr(Schema.Literal("id", "text")),
  baseVerdict: Schema.NullOr(Verdict),
  candidateVerdict: Schema.NullOr(Verdict),
  required: Schema.Boolean,
  /** The candidate's judge reasoning (else the base's): why it stands where it does. */
  reasoning: Schema.String
})
export type CriterionComparison = typeof CriterionComparison.Type

export const AssertionComparison = Schema.Struct({
  index: Schema.Int,
  type: AssertionType,
  status: ResultChange,
  basePassed: Schema.NullOr(Schema.Boolean),
  candidatePassed: Schema.NullOr(Schema.Boolean),
  message: Schema.String
})
export type AssertionComparison = typeof AssertionComparison.Type

/** One side of the comparison. */
export const ComparedRun = Schema.Struct({
  runId: Schema.String,
  workflowId: Schema.String,
  workflowName: Schema.String,
  workflowVersionId: Schema.String,
  workflowVersion: Schema.Int,
  status: RunStatus,
  testerModel: Schema.String,
  judgeModel: Schema.String,
  startedAt: Schema.NullOr(Timestamp),
  finishedAt: Schema.NullOr(Timestamp),
  /** Calls that reached the server and returned `isError` or failed. */
  toolErrors: Schema.Int,
  /** Calls refused by the tool policy or the call limit. */
  refusedCalls: Schema.Int,
  toolCalls: Schema.Int,
  errorCode: Schema.NullOr(Schema.String)
})
export type ComparedRun = typeof ComparedRun.Type

const FromTo = <A, I>(value: Schema.Schema<A, I>) =>
  Schema.NullOr(Schema.Struct({ base: value, candidate: value }))

/** What differs between the runs' setups; each entry is null when both sides are equal. */
export const SetupChanges = Schema.Struct({
  workflowVersion: FromTo(Schema.Int),
  testerModel: FromTo(Schema.String),
  judgeModel: FromTo(Schema.String),
  /** `name@version` of the MCP server each run talked to. */
  serverVersion: FromTo(Schema.NullOr(Schema.String)),
  catalogHash: FromTo(Schema.NullOr(Schema.String))
})

/** A number on both sides and the candidate minus the base; nulls where a side has none. */
export const Delta = Schema.Struct({
  base: Schema.NullOr(Schema.Number),
  candidate: Schema.NullOr(Schema.Number),
  delta: Schema.NullOr(Schema.Number)
})
export type Delta = typeof Delta.Type

export const Counts = Schema.Struct({
  regressed: Schema.Int,
  fixed: Schema.Int,
  still_failing: Schema.Int,
  still_passing: Schema.Int,
  new: Schema.Int,
  removed: Schema.Int
})

/** The result of `compare_runs`. */
export const RunComparison = Schema.Struct({
  base: ComparedRun,
  candidate: ComparedRun,
  sameWorkflow: Schema.Boolean,
  statusChanged: Schema.Boolean,
  /** Over criteria only. */
  counts: Counts,
  criteria: Schema.Array(CriterionComparison),
  assertions: Schema.Array(AssertionComparison),
  changes: SetupChanges,
  tools: Schema.Struct({
    onlyInBase: Schema.Array(Schema.String),
    onlyInCandidate: Schema.Array(Schema.String),
    inBoth: Schema.Array(Schema.String)
  }),
  usage: Schema.Struct({
    inputTokens: Delta,
    outputTokens: Delta,
    totalTokens: Delta,
    costUsd: Delta,
    durationMs: Delta,
    toolErrors: Delta
  }),
  warnings: Schema.Array(Schema.String)
})
export type RunComparison = typeof RunComparison.Type

/** Arguments of `compare_runs`. */
export const CompareInput = Schema.Struct({ baseRunId: Id, candidateRunId: Id })

const normalize = (text: string) => text.trim().replace(/\s+/g, " ").toLowerCase()

const changeOf = (base: boolean | null, candidate: boolean | null): ResultChange =>
  base === null
    ? "new"
    : candidate === null
      ? "removed"
      : base
        ? candidate
          ? "still_passing"
          : "regressed"
        : candidate
          ? "fixed"
          : "still_failing"

const compareCriteria = (base: Run, candidate: Run): CriterionComparison[] => {
  type C = Run["criteria"][number]
  const pairs: Array<{ b: C | null; c: C | null; by: "id" | "text" | null }> = []
  const leftBase = new Set(base.criteria)
  const unmatched: C[] = []
  for (const c of candidate.criteria) {
    const b = [...leftBase].find((x) => x.criterionId === c.criterionId)
    if (b === undefined) unmatched.push(c)
    else {
      leftBase.delete(b)
      pairs.push({ b, c, by: "id" })
    }
  }
  for (const c of unmatched) {
    const b = [...leftBase].find((x) => normalize(x.text) === normalize(c.text))
    if (b !== undefined) leftBase.delete(b)
    pairs.push({ b: b ?? null, c, by: b === undefined ? null : "text" })
  }
  for (const b of leftBase) pairs.push({ b, c: null, by: null })
  return pairs.map(({ b, c, by }) => {
    const shown = (c ?? b)!
    return {
      criterionId: shown.criterionId,
      text: shown.text,
      status: changeOf(b === null ? null : b.verdict === "pass", c === null ? null : c.verdict === "pass"),
      matchedBy: b !== null && c !== null ? by : null,
      baseVerdict: b?.verdict ?? null,
      candidateVerdict: c?.verdict ?? null,
      required: shown.required,
      reasoning: shown.reasoning
    }
  })
}

const compareAssertions = (base: Run, candidate: Run): AssertionComparison[] => {
  const key = (a: Run["assertions"][number]) => `${a.index}\u0000${a.type}`
  const inBase = new Map(base.assertions.map((a) => [key(a), a]))
  const inCandidate = new Map(candidate.assertions.map((a) => [key(a), a]))
  const keys = [...new Set([...inCandidate.keys(), ...inBase.keys()])]
  return keys
    .map((k) => {
      const b = inBase.get(k) ?? null
      const c = inCandidate.get(k) ?? null
      const shown = (c ?? b)!
      return {
        index: shown.index,
        type: shown.type,
        status: changeOf(b?.passed ?? null, c?.passed ?? null),
        basePassed: b?.passed ?? null,
        candidatePassed: c?.passed ?? null,
        message: shown.message
      }
    })
    .sort((a, b) => a.index - b.index)
}

const toolErrors = (run: Run) =>
  run.toolCalls.filter((c) => !c.refused && (c.isError || c.error !== null)).length

const side = (run: Run): ComparedRun => ({
  runId: run.id,
  workflowId: run.workflowId,
  workflowName: run.workflowName,
  workflowVersionId: run.workflowVersionId,
  workflowVersion: run.workflowVersion,
  status: run.status,
  testerModel: run.testerModel,
  judgeModel: run.judgeModel,
  startedAt: run.startedAt,
  finishedAt: run.finishedAt,
  toolErrors: toolErrors(run),
  refusedCalls: run.toolCalls.filter((c) => c.refused).length,
  toolCalls: run.toolCalls.length,
  errorCode: run.error?.code ?? null
})

const fromTo = <A>(base: A, candidate: A) => (base === candidate ? null : { base, candidate })

const delta = (base: number | null, candidate: number | null): Delta => ({
  base,
  candidate,
  // Rounded to what a cost or a duration can mean, so 0.1 + 0.2 does not show its float noise.
  delta: base === null || candidate === null ? null : Math.round((candidate - base) * 1e6) / 1e6
})

const tokens = (run: Run, kind: "inputTokens" | "outputTokens") => run.usage.reduce((n, u) => n + u[kind], 0)
const serverVersion = (run: Run) =>
  run.serverInfo === null ? null : `${run.serverInfo.name}@${run.serverInfo.version}`
const calledTools = (run: Run) => new Set(run.toolCalls.filter((c) => !c.refused).map((c) => c.name))
const sorted = (names: Iterable<string>) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))

/** Compares two runs; see the module comment for the rules. */
export const compute = (base: Run, candidate: Run): RunComparison => {
  const criteria = compareCriteria(base, candidate)
  const counts = { regressed: 0, fixed: 0, still_failing: 0, still_passing: 0, new: 0, removed: 0 }
  for (const c of criteria) counts[c.status]++
  const inBase = calledTools(base)
  const inCandidate = calledTools(candidate)
  const sameWorkflow = base.workflowId === candidate.workflowId
  const warnings: string[] = []
  if (!sameWorkflow) {
    warnings.push(
      `The runs belong to different workflows (${base.workflowName} and ${candidate.workflowName}); criteria are matched by id, then text.`
    )
  }
  for (const [name, run] of [
    ["base", base],
    ["candidate", candidate]
  ] as const) {
    if (run.status === "error") {
      warnings.push(
        `The ${name} run ended error (${run.error?.code ?? "unknown"}) before grading: it has no verdicts.`
      )
    } else if (run.status === "pending" || run.status === "running") {
      warnings.push(`The ${name} run is still ${run.status}: its results are not final.`)
    }
  }
  return {
    base: side(base),
    candidate: side(candidate),
    sameWorkflow,
    statusChanged: base.status !== candidate.status,
    counts,
    criteria,
    assertions: compareAssertions(base, candidate),
    changes: {
      workflowVersion: sameWorkflow
        ? fromTo(base.workflowVersion, candidate.workflowVersion)
        : { base: base.workflowVersion, candidate: candidate.workflowVersion },
      testerModel: fromTo(base.testerModel, candidate.testerModel),
      judgeModel: fromTo(base.judgeModel, candidate.judgeModel),
      serverVersion: fromTo(serverVersion(base), serverVersion(candidate)),
      catalogHash: fromTo(base.catalogHash, candidate.catalogHash)
    },
    tools: {
      onlyInBase: sorted([...inBase].filter((t) => !inCandidate.has(t))),
      onlyInCandidate: sorted([...inCandidate].filter((t) => !inBase.has(t))),
      inBoth: sorted([...inBase].filter((t) => inCandidate.has(t)))
    },
    usage: {
      inputTokens: delta(tokens(base, "inputTokens"), tokens(candidate, "inputTokens")),
      outputTokens: delta(tokens(base, "outputTokens"), tokens(candidate, "outputTokens")),
      totalTokens: delta(
        tokens(base, "inputTokens") + tokens(base, "outputTokens"),
        tokens(candidate, "inputTokens") + tokens(candidate, "outputTokens")
      ),
      costUsd: delta(base.costUsd, candidate.costUsd),
      durationMs: delta(base.durationMs, candidate.durationMs),
      toolErrors: delta(toolErrors(base), toolErrors(candidate))
    },
    warnings
  }
}

/** Compares two runs of the caller's organization (`compare_runs`, any role). */
export const compare = (
  caller: Caller,
  input: { readonly baseRunId: string; readonly candidateRunId: string }
): Effect.Effect<RunComparison, ForbiddenRole | ValidationFailed | NotFound | StoreError, RunStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "compare_runs")
    const args = yield* decode(CompareInput)(input)
    const base = yield* loadRun(caller.orgId, args.baseRunId)
    const candidate = yield* loadRun(caller.orgId, args.candidateRunId)
    return compute(base, candidate)
  })
