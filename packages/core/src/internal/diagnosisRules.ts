/**
 * The rules of `diagnose_run` (listed in words in `RunDiagnosis.ts`). Each rule looks at the
 * recorded run and the catalog history and either does not apply or returns a finding: a
 * classification, a confidence, a one-line summary, the calls and events it blames, and
 * remedies as intents that `RunDiagnosis` turns into concrete tool arguments. This file holds
 * the rules about the world around the test (infrastructure, the tool contract, the server);
 * `diagnosisAgentRules.ts` those about the test itself (the agent, the criteria).
 */

import * as Drift from "../Drift.js"
import type { CatalogVersion } from "../domain/Catalog.js"
import type { Run, ToolCall } from "../domain/Run.js"
import type { ToolPolicy } from "../domain/Workflow.js"
import type { Classification, Confidence, Suspect } from "../RunDiagnosis.js"
import * as Policy from "../ToolPolicy.js"
import { catalogAt } from "./catalogHistory.js"
import { agent, fallback, tooStrict } from "./diagnosisAgentRules.js"
import {
  callSuspect,
  clip,
  confidenceRank,
  decisive,
  eventSuspect,
  fittedIn,
  howFailed,
  isServerError,
  isTransportError,
  list,
  mismatch,
  succeeded,
  toolsNamedIn,
  unrecovered
} from "./diagnosisSignals.js"

/** What the rules read besides the run. */
export interface DiagnosisContext {
  readonly run: Run
  /** Catalog versions of the run's server, newest first (bounded). */
  readonly catalogs: ReadonlyArray<CatalogVersion>
  /** The newest passing run of the same workflow that started before this one. */
  readonly lastPassing: Run | null
  /** The tool policy of the run's workflow version; `null` when that version is gone. */
  readonly policy: ToolPolicy | null
}

/** A limit a remedy may raise. */
export type Limit = "timeoutSeconds" | "maxToolCalls" | "maxSteps"

/** A remedy as the rules see it; `RunDiagnosis` adds ids, positions and concrete changes. */
export type Remedy =
  | {
      readonly action:
        | "fix_server"
        | "fix_configuration"
        | "sync_mcp_server_capabilities"
        | "run_workflow_now"
      readonly summary: string
    }
  | {
      readonly action: "propose_workflow_patch"
      readonly summary: string
      /** Spec fields to change; `criteria` stands for the positions of `criterionIds`. */
      readonly fields: ReadonlyArray<string>
      readonly criterionIds?: ReadonlyArray<string>
      /** Tools to take out of `allowedTools` (exact names only). */
      readonly dropTools?: ReadonlyArray<string>
      readonly raiseLimit?: Limit
    }

export interface Hit {
  readonly classification: Classification
  readonly confidence: Confidence
  readonly summary: string
  readonly suspects: ReadonlyArray<Suspect>
  readonly remedies: ReadonlyArray<Remedy>
}

/** Ties between equally confident findings go to the first in this order. */
export const priority: ReadonlyArray<Classification> = [
  "infrastructure",
  "tool_contract_changed",
  "server_error",
  "agent_behaviour",
  "criteria_too_strict"
]

export const rerun: Remedy = {
  action: "run_workflow_now",
  summary: "Run the workflow again (run_workflow_now with wait) and compare_runs with this run"
}

/** Remedies of a run that ended `error`, by its error code. */
const errorRemedies = (run: Run): Remedy[] => {
  switch (run.error?.code) {
    case "auth_rejected":
      return [
        {
          action: "fix_configuration",
          summary: "Replace the credential of the workflow's auth profile: the MCP server rejected it"
        }
      ]
    case "timeout":
      return [
        {
          action: "propose_workflow_patch",
          summary:
            "Raise limits.timeoutSeconds, or narrow the task in the prompt: no final answer came in time",
          fields: ["limits.timeoutSeconds", "prompt"],
          raiseLimit: "timeoutSeconds"
        }
      ]
    case "model_failure":
    case "judge_failed": {
      const judge = run.error.code === "judge_failed"
      return [
        {
          action: "propose_workflow_patch",
          summary: `If the model provider keeps failing, switch the ${judge ? "judge" : "tester"} model`,
          fields: [judge ? "judgeModel" : "testerModels"]
        }
      ]
    }
    case "model_not_configured":
      return [
        {
          action: "fix_configuration",
          summary: `Configure a provider for the model (${clip(run.error.message)}) or choose a configured one`
        }
      ]
    case "worker_lost":
    case "internal_error":
      return []
    default:
      return [
        {
          action: "fix_server",
          summary:
            "Make the MCP server reachable from Armature (check its URL, TLS, network and that it is up)"
        }
      ]
  }
}

/** Run `error` (or calls whose connection broke): the run says nothing about server, agent or criteria. */
const infrastructure = ({ run }: DiagnosisContext): Hit | null => {
  const broken = run.toolCalls.filter(isTransportError)
  if (run.status !== "error" && broken.length === 0) return null
  const errors = run.trace.filter((e) => e.type === "error" && e.toolCallId === undefined)
  return {
    classification: "infrastructure",
    confidence: "high",
    summary:
      run.error === null
        ? `${broken.length} call(s) failed at the transport level (${list(broken.map((c) => c.name))})`
        : `The run could not complete: ${run.error.code} — ${clip(run.error.message)}`,
    suspects: [
      ...broken.map((c) => callSuspect(c, `connection failed: ${clip(c.error ?? "")}`)),
      ...errors.map((e) => eventSuspect(e, `run error: ${clip(e.text ?? "")}`))
    ],
    remedies: [...errorRemedies(run), rerun]
  }
}

/**
 * Calls that fit the catalog of the workflow's last passing run (else the version before the
 * run's) but not the one the run saw; breaking drift since
 * the last passing run of the workflow on a tool either run called or the policy names; or a
 * tool list the run saw that no stored catalog version has (the server changed after the last
 * sync).
 */
const contract = ({ run, catalogs, lastPassing, policy }: DiagnosisContext): Hit | null => {
  const atRun = catalogAt(run, catalogs)
  const suspects: Suspect[] = []
  const details: string[] = []
  const tools = new Set<string>()
  const removed = new Set<string>()
  if (atRun !== null) {
    const atPass = lastPassing === null ? null : catalogAt(lastPassing, catalogs)
    // The contract the workflow last worked with: the catalog of its last pass, else the one before.
    const reference =
      atPass !== null && atPass.version < atRun.version
        ? atPass
        : atPass === null
          ? (catalogs.find((v) => v.version < atRun.version) ?? null)
          : null
    for (const call of run.toolCalls) {
      // A refused call never reached the server; only its name can tell of a removed tool.
      if (call.refused && atRun.tools.some((t) => t.name === call.name)) continue
      const why = mismatch(call, atRun)
      const before = why === null || reference === null ? null : fittedIn(call, [reference])
      if (before === null) continue
      const what = `${why}; it fitted catalog version ${before.version}`
      if (!tools.has(call.name)) details.push(what)
      suspects.push(callSuspect(call, what))
      tools.add(call.name)
      if (!atRun.tools.some((t) => t.name === call.name)) removed.add(call.name)
    }
    if (lastPassing !== null && atPass !== null && atPass.hash !== atRun.hash) {
      const touched = new Set([
        ...run.toolCalls.map((c) => c.name),
        ...lastPassing.toolCalls.filter(succeeded).map((c) => c.name),
        ...(policy === null ? [] : Policy.coveringNames(policy))
      ])
      const changes = Drift.changes(Drift.diff(atPass.tools, atRun.tools)).filter(
        (c) => c.classification === "breaking" && touched.has(c.tool)
      )
      for (const change of changes) {
        tools.add(change.tool)
        if (change.details.includes("tool removed")) removed.add(change.tool)
        const what = `${change.tool} changed between catalog version ${atPass.version} (last passing run ${lastPassing.id}) and ${atRun.version}: ${clip(change.details.join("; "), 100)}`
        details.push(what)
        for (const call of run.toolCalls.filter(
          (c) => c.name === change.tool && !suspects.some((s) => s.id === c.id)
        )) {
          suspects.push(callSuspect(call, what))
        }
      }
    }
  }
  // Only a run newer than the oldest version read can be told apart from one beyond the history.
  const oldest = catalogs.at(-1)
  const unsynced =
    run.catalogHash !== null &&
    oldest !== undefined &&
    oldest.createdAt.getTime() <= (run.startedAt ?? run.createdAt).getTime() &&
    !catalogs.some((v) => v.hash === run.catalogHash)
  if (tools.size === 0 && !unsynced) return null
  if (unsynced) {
    details.push(
      `the run saw a tool list (hash ${run.catalogHash!.slice(0, 12)}…) that no stored catalog version has`
    )
  }
  const remedies: Remedy[] = []
  if (unsynced) {
    remedies.push({
      action: "sync_mcp_server_capabilities",
      summary: "Sync the server's catalog: the run saw tools that differ from the stored catalog"
    })
  }
  if (tools.size > 0) {
    const named = run.criteria.filter((c) => toolsNamedIn(c.text, tools).length > 0).map((c) => c.criterionId)
    const dropTools =
      policy === null ? [] : [...removed].filter((t) => Policy.coveringNames(policy).includes(t))
    remedies.push({
      action: "propose_workflow_patch",
      summary: `Update the workflow to the current contract of ${list(tools)}${
        dropTools.length > 0 ? ` (take the removed ${list(dropTools)} out of allowedTools)` : ""
      }`,
      fields: [
        "prompt",
        ...(named.length > 0 ? ["criteria"] : []),
        ...(dropTools.length > 0 ? ["toolPolicy.allowedTools"] : [])
      ],
      criterionIds: named,
      ...(dropTools.length > 0 && { dropTools })
    })
    remedies.push({
      action: "fix_server",
      summary: `If the change to ${list(tools)} was not intended, restore the previous contract on the server`
    })
  }
  remedies.push(rerun)
  return {
    classification: "tool_contract_changed",
    confidence: tools.size > 0 ? "high" : run.toolCalls.some(isServerError) ? "medium" : "low",
    summary: `The tool contract changed: ${clip(details.slice(0, 3).join("; "), 300)}`,
    suspects,
    remedies
  }
}

/** Calls the server answered with an error (`isError`, JSON-RPC error, call timeout) that the agent never got past. */
const serverError = ({ run, catalogs }: DiagnosisContext, blamed: ReadonlySet<string>): Hit | null => {
  const atRun = catalogAt(run, catalogs)
  // Calls whose arguments the tool's own schema refuses are the agent's doing.
  const badArgs = (c: ToolCall) => atRun !== null && mismatch(c, atRun) !== null
  const failed = unrecovered(run.toolCalls, (c) => isServerError(c) && !blamed.has(c.id) && !badArgs(c))
  if (failed.length === 0) return null
  const { criteria, assertions } = decisive(run)
  const cited = new Set([...criteria.flatMap((c) => c.evidence), ...assertions.flatMap((a) => a.evidence)])
  const confident =
    failed.some((c) => cited.has(c.id) || c.phase !== "agent") ||
    assertions.some((a) => a.type === "no_tool_errors")
  const byTool = new Map<string, ToolCall>()
  for (const call of failed) if (!byTool.has(call.name)) byTool.set(call.name, call)
  const first = failed[0]!
  return {
    classification: "server_error",
    confidence: confident ? "high" : "medium",
    summary: `${failed.length} call(s) to ${list(byTool.keys())} failed on the server and were not retried successfully; ${first.name} ${howFailed(first)}`,
    suspects: failed.map((c) =>
      callSuspect(c, `${c.phase === "agent" ? "" : `${c.phase} call `}${c.name} ${howFailed(c)}`)
    ),
    remedies: [
      ...[...byTool.values()].map(
        (c): Remedy => ({
          action: "fix_server",
          summary: `Fix ${c.name} on the server: ${howFailed(c)} (call ${c.id}, arguments ${clip(JSON.stringify(c.arguments) ?? "{}", 100)})`
        })
      ),
      rerun
    ]
  }
}

/** Every finding for a non-passing terminal run, most confident first (ties by `priority`); never empty. */
export const findings = (ctx: DiagnosisContext): ReadonlyArray<Hit> => {
  const contractHit = contract(ctx)
  const blamed = new Set(contractHit?.suspects.map((s) => s.id) ?? [])
  const serverHit = serverError(ctx, blamed)
  // An agent that stopped or gave up after the server failed it did what it could.
  const excused = (contractHit !== null && contractHit.suspects.length > 0) || serverHit !== null
  const hits = [
    infrastructure(ctx),
    contractHit,
    serverHit,
    agent(ctx, blamed, excused),
    tooStrict(ctx)
  ].filter((h): h is Hit => h !== null)
  if (hits.length === 0) hits.push(fallback(ctx))
  return hits.sort(
    (a, b) =>
      confidenceRank[b.confidence] - confidenceRank[a.confidence] ||
      priority.indexOf(a.classification) - priority.indexOf(b.classification)
  )
}
