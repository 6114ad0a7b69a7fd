/**
 * `diagnose_run` (SPEC §9.1): why a run failed, computed deterministically from its trace, the
 * server's catalog history and the criteria — no model call, so the same run always gets the
 * same diagnosis and every conclusion can be traced to a rule.
 *
 * Rules (each a finding with a confidence; the most confident one is the `classification`, ties
 * in the order below; `findings` lists them all, strongest first):
 * 1. `infrastructure` (high): the run ended `error` (unreachable server, rejected auth,
 *    transport failure, timeout, model provider or judge failure, lost worker), or a call's
 *    connection broke. The run says nothing about the server's tools, the agent or the criteria.
 * 2. `tool_contract_changed`: (high) a call names a tool or passes arguments that do not fit the
 *    catalog version the run saw but did fit the one of the workflow's last passing run (else the
 *    version before the run's); a refused call counts only when its tool is gone from the
 *    catalog (its arguments never reached the server); or the catalog broke (Drift's
 *    `breaking`) between the last passing run of the workflow and this run, on a tool either run
 *    called or the tool policy names. (medium/low) the run saw a tool list no stored catalog
 *    version has: the server changed after the last sync.
 * 3. `server_error`: calls answered with `isError`, a JSON-RPC error or no answer in time, and
 *    never retried successfully, excluding calls rule 2 explains and calls whose arguments the
 *    tool's schema refuses (the agent's fault). High when the judge or an assertion cites such a
 *    call or it is a setup/teardown call, medium otherwise.
 * 4. `agent_behaviour`: (high) calls refused by the tool policy or the call limit, arguments the
 *    schema refuses, a tool a failing criterion names never called, a failed `tool_called` /
 *    `tool_not_called` / `tool_order` / `max_tool_calls` assertion; (medium) no final answer, an
 *    answer that gives up, invalid tool calls by the model. (low) the fallback when no rule matched.
 * 5. `criteria_too_strict`: every call succeeded, no required assertion failed, the agent
 *    answered, and the judge's reasoning faults wording or format ("exact", "verbatim",
 *    "format"…). High when that is so for every failing criterion and the answer contains the
 *    text a criterion quotes; medium otherwise.
 *
 * Remediations name an Armature tool (`propose_workflow_patch`, `sync_mcp_server_capabilities`,
 * `run_workflow_now`) with arguments, or a fix outside Armature (`fix_server`,
 * `fix_configuration`). A patch carries `changes` only when they follow without judgement
 * (drop a removed tool from `allowedTools`, double a limit); otherwise `fields` says what to edit.
 */
import { Effect, Option, Schema } from "effect"
import type { Caller } from "./domain/Audit.js"
import { Id, JsonObject } from "./domain/Common.js"
import { AssertionResult, isTerminal, RunError, RunStatus, Verdict } from "./domain/Run.js"
import type { Workflow } from "./domain/Workflow.js"
import type { ForbiddenRole, NotFound, StoreError, ValidationFailed } from "./Errors.js"
import { catalogAt, HISTORY_DEPTH } from "./internal/catalogHistory.js"
import { positionOf, remediation } from "./internal/diagnosisRemedies.js"
import { type DiagnosisContext, findings } from "./internal/diagnosisRules.js"
import { clip, decisive } from "./internal/diagnosisSignals.js"
import { loadRun } from "./internal/runLookup.js"
import { RunStore } from "./ports/RunStore.js"
import { ServerStore } from "./ports/ServerStore.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

export const Classification = Schema.Literal(
  "server_error",
  "tool_contract_changed",
  "agent_behaviour",
  "criteria_too_strict",
  "infrastructure"
)
export type Classification = typeof Classification.Type

export const Confidence = Schema.Literal("high", "medium", "low")
export type Confidence = typeof Confidence.Type

/** A required or optional criterion the judge did not pass. */
export const FailedCriterion = Schema.Struct({
  criterionId: Schema.String,
  text: Schema.String,
  required: Schema.Boolean,
  verdict: Verdict,
  reasoning: Schema.String,
  evidence: Schema.Array(Schema.String),
  /** 0-based position in the workflow's current version (for `propose_workflow_patch`); null when gone. */
  position: Schema.NullOr(Schema.Int)
})
export type FailedCriterion = typeof FailedCriterion.Type

/** A failed assertion as the run recorded it (`passed` is false by definition). */
export const FailedAssertion = AssertionResult.pipe(Schema.omit("passed"))
export type FailedAssertion = typeof FailedAssertion.Type

/** A tool call or trace event (by its id in the run) that likely caused the failure, and why. */
export const Suspect = Schema.Struct({
  kind: Schema.Literal("tool_call", "trace_event"),
  id: Schema.String,
  toolName: Schema.NullOr(Schema.String),
  why: Schema.String
})
export type Suspect = typeof Suspect.Type

/** One rule that matched, with the ids it rests on. */
export const Finding = Schema.Struct({
  classification: Classification,
  confidence: Confidence,
  summary: Schema.String,
  evidence: Schema.Array(Schema.String)
})
export type Finding = typeof Finding.Type

export const RemediationAction = Schema.Literal(
  "propose_workflow_patch",
  "sync_mcp_server_capabilities",
  "run_workflow_now",
  "fix_server",
  "fix_configuration"
)

/**
 * What to change. `arguments` are for the Armature tool named by `action` (null for fixes outside
 * Armature); a patch's `changes` is present only when it follows without judgement, otherwise
 * `fields` names the spec fields to edit.
 */
export const Remediation = Schema.Struct({
  action: RemediationAction,
  /** The finding it answers. */
  classification: Classification,
  summary: Schema.String,
  fields: Schema.Array(Schema.String),
  arguments: Schema.NullOr(JsonObject)
})
export type Remediation = typeof Remediation.Type

/** Which catalog versions the diagnosis compared. */
export const CatalogContext = Schema.Struct({
  versionAtRun: Schema.NullOr(Schema.Int),
  latestVersion: Schema.NullOr(Schema.Int),
  lastPassingRunId: Schema.NullOr(Schema.String),
  versionAtLastPass: Schema.NullOr(Schema.Int)
})

/** The result of `diagnose_run`. */
export const RunDiagnosis = Schema.Struct({
  runId: Schema.String,
  workflowId: Schema.String,
  workflowName: Schema.String,
  workflowVersion: Schema.Int,
  status: RunStatus,
  /** False for a passing run and for one not finished yet: nothing to diagnose. */
  failed: Schema.Boolean,
  summary: Schema.String,
  classification: Schema.NullOr(Classification),
  confidence: Schema.NullOr(Confidence),
  failedCriteria: Schema.Array(FailedCriterion),
  failedAssertions: Schema.Array(FailedAssertion),
  /** Most likely first. */
  suspects: Schema.Array(Suspect),
  findings: Schema.Array(Finding),
  remediations: Schema.Array(Remediation),
  error: Schema.NullOr(RunError),
  catalog: CatalogContext
})
export type RunDiagnosis = typeof RunDiagnosis.Type

/** Arguments of `diagnose_run`. */
export const DiagnoseInput = Schema.Struct({ runId: Id })

/** Suspects listed at most: enough to act on, small enough to read. */
const MAX_SUSPECTS = 25
/** Everything `compute` reads: the rules' context plus the workflow as it is now (null when gone). */
export interface DiagnosisInput extends DiagnosisContext {
  readonly workflow: Workflow | null
}

/** The diagnosis of a run from what was recorded and read; see the module comment for the rules. */
export const compute = (input: DiagnosisInput): RunDiagnosis => {
  const { run, workflow, catalogs, lastPassing } = input
  const failedCriteria = run.criteria
    .filter((c) => c.verdict !== "pass")
    .map((c) => ({ ...c, evidence: [...c.evidence], position: positionOf(workflow, c) }))
  const failedAssertions = run.assertions
    .filter((a) => !a.passed)
    .map((a) => ({
      index: a.index,
      type: a.type,
      required: a.required,
      message: a.message,
      evidence: [...a.evidence]
    }))
  const atRun = catalogAt(run, catalogs)
  const atPass = lastPassing === null ? null : catalogAt(lastPassing, catalogs)
  const common = {
    runId: run.id,
    workflowId: run.workflowId,
    workflowName: run.workflowName,
    workflowVersion: run.workflowVersion,
    status: run.status,
    failedCriteria,
    failedAssertions,
    error: run.error,
    catalog: {
      versionAtRun: atRun?.version ?? null,
      latestVersion: catalogs[0]?.version ?? null,
      lastPassingRunId: lastPassing?.id ?? null,
      versionAtLastPass: atPass?.version ?? null
    }
  }
  const nothing = { classification: null, confidence: null, suspects: [], findings: [], remediations: [] }
  if (!isTerminal(run.status)) {
    return {
      ...common,
      ...nothing,
      failed: false,
      summary: `The run is ${run.status}; diagnose it once it is terminal (inspect_run, or run_workflow_now with wait).`
    }
  }
  if (run.status === "pass") {
    const optional = failedCriteria.length + failedAssertions.length
    return {
      ...common,
      ...nothing,
      failed: false,
      summary: `Nothing failed: every required criterion and assertion passed${
        optional > 0 ? ` (${optional} optional one(s) did not; optional results never decide)` : ""
      }.`
    }
  }
  const hits = findings(input)
  const top = hits[0]!
  const suspects = new Map<string, Suspect>()
  for (const s of hits.flatMap((h) => h.suspects)) if (!suspects.has(s.id)) suspects.set(s.id, s)
  const { criteria, assertions } = decisive(run)
  // What the judge and the assertions cited comes after what the rules blamed.
  for (const item of [...criteria, ...assertions]) {
    const label =
      "criterionId" in item
        ? `criterion "${clip(item.text, 60)}" (${item.verdict})`
        : `assertion ${item.type}`
    for (const id of item.evidence) {
      if (suspects.has(id)) continue
      const call = run.toolCalls.find((c) => c.id === id)
      const event = call === undefined ? run.trace.find((e) => e.id === id) : undefined
      if (call === undefined && event === undefined) continue
      suspects.set(id, {
        kind: call === undefined ? "trace_event" : "tool_call",
        id,
        toolName: call?.name ?? null,
        why: `cited as evidence for ${label}`
      })
    }
  }
  const remediations = new Map<string, Remediation>()
  for (const hit of hits) {
    for (const remedy of hit.remedies) {
      const key = `${remedy.action}\u0000${remedy.summary}`
      if (!remediations.has(key)) remediations.set(key, remediation(remedy, hit, run, workflow))
    }
  }
  // Verifying comes after fixing, whichever finding suggested it.
  const ordered = [...remediations.values()].sort(
    (a, b) => Number(a.action === "run_workflow_now") - Number(b.action === "run_workflow_now")
  )
  return {
    ...common,
    failed: true,
    summary: `${run.status}: ${criteria.length} required criteria and ${assertions.length} required assertions did not pass; most likely ${top.classification} (${top.confidence} confidence). ${top.summary}`,
    classification: top.classification,
    confidence: top.confidence,
    suspects: [...suspects.values()].slice(0, MAX_SUSPECTS),
    findings: hits.map((h) => ({
      classification: h.classification,
      confidence: h.confidence,
      summary: h.summary,
      evidence: [...new Set(h.suspects.map((s) => s.id))]
    })),
    remediations: ordered
  }
}

/** Diagnoses a run of the caller's organization (`diagnose_run`, any role). */
export const diagnose = (
  caller: Caller,
  input: { readonly runId: string }
): Effect.Effect<
  RunDiagnosis,
  ForbiddenRole | ValidationFailed | NotFound | StoreError,
  RunStore | ServerStore | WorkflowStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "diagnose_run")
    const { runId } = yield* decode(DiagnoseInput)(input)
    const run = yield* loadRun(caller.orgId, runId)
    const bare = { run, catalogs: [], lastPassing: null, policy: null, workflow: null }
    if (!isTerminal(run.status) || run.status === "pass") return compute(bare)
    const [runs, servers, workflows] = yield* Effect.all([RunStore, ServerStore, WorkflowStore])
    const { catalogs, passing, version, workflow } = yield* Effect.all(
      {
        catalogs: servers.listCatalogVersions(caller.orgId, run.mcpServerId, HISTORY_DEPTH),
        passing: runs.searchRuns(caller.orgId, {
          workflowId: run.workflowId,
          status: "pass",
          before: run.startedAt ?? run.createdAt,
          limit: 1
        }),
        version: workflows.getVersion(caller.orgId, run.workflowVersionId),
        workflow: workflows.getWorkflow(caller.orgId, run.workflowId)
      },
      { concurrency: "unbounded" }
    )
    const passingId = passing.items[0]?.runId
    const lastPassing =
      passingId === undefined ? null : Option.getOrNull(yield* runs.getRun(caller.orgId, passingId))
    return compute({
      run,
      catalogs,
      lastPassing,
      policy: Option.match(version, { onNone: () => null, onSome: (v) => v.spec.toolPolicy }),
      workflow: Option.getOrNull(workflow)
    })
  })
