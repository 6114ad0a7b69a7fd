/**
 * Remedies of `diagnose_run` made concrete: the arguments of the Armature tool each one names,
 * criterion positions in the workflow's current version (what `propose_workflow_patch` edits),
 * and `changes` where they follow without judgement.
 */
import type { JsonObject } from "../domain/Common.js"
import type { Run } from "../domain/Run.js"
import type { Workflow } from "../domain/Workflow.js"
import type { Remediation } from "../RunDiagnosis.js"
import type { Hit, Remedy } from "./diagnosisRules.js"
import { clip } from "./diagnosisSignals.js"

/** Upper bounds of the limits a remedy may double (those of `Limits`). */
const limitCaps = { timeoutSeconds: 3600, maxToolCalls: 500, maxSteps: 200 } as const

/** 0-based position of a run's criterion in the workflow's current version, by id, else by text. */
export const positionOf = (
  workflow: Workflow | null,
  criterion: { readonly criterionId: string; readonly text: string }
): number | null => {
  if (workflow === null) return null
  const criteria = workflow.spec.criteria
  const i = criteria.findIndex((c) => c.id === criterion.criterionId)
  const j = i >= 0 ? i : criteria.findIndex((c) => c.text === criterion.text)
  return j >= 0 ? j : null
}

/** The concrete `changes` of a patch remedy, when they follow without judgement. */
const changesOf = (remedy: Extract<Remedy, { action: "propose_workflow_patch" }>, workflow: Workflow) => {
  const changes: Record<string, unknown> = {}
  const policy = workflow.spec.toolPolicy
  if (remedy.dropTools !== undefined && policy.allowedTools !== undefined) {
    const allowedTools = policy.allowedTools.filter((t) => !remedy.dropTools!.includes(t))
    if (allowedTools.length > 0 && allowedTools.length < policy.allowedTools.length) {
      changes.toolPolicy = { ...policy, allowedTools }
    }
  }
  if (remedy.raiseLimit !== undefined) {
    const current = workflow.spec.limits[remedy.raiseLimit]
    const raised = Math.min(limitCaps[remedy.raiseLimit], Math.max(1, current * 2))
    if (raised > current) changes.limits = { [remedy.raiseLimit]: raised }
  }
  return Object.keys(changes).length > 0 ? changes : undefined
}

/** A remedy of a finding as a remediation: the Armature tool to call and its arguments, or the fix to make. */
export const remediation = (remedy: Remedy, hit: Hit, run: Run, workflow: Workflow | null): Remediation => {
  const base = { classification: hit.classification, summary: remedy.summary }
  switch (remedy.action) {
    case "fix_server":
    case "fix_configuration":
      return { ...base, action: remedy.action, fields: [], arguments: null }
    case "sync_mcp_server_capabilities":
      return { ...base, action: remedy.action, fields: [], arguments: { mcpServerId: run.mcpServerId } }
    case "run_workflow_now":
      return {
        ...base,
        action: remedy.action,
        fields: [],
        // The reason names this run, so the verification gets its own run id (ids derive from it).
        arguments: {
          workflowId: run.workflowId,
          reason: `Verify the fix for run ${run.id}`,
          testerModel: run.testerModel,
          baselineRunId: run.id,
          wait: true
        }
      }
    case "propose_workflow_patch": {
      const positions = (remedy.criterionIds ?? []).flatMap((id) => {
        const criterion = run.criteria.find((c) => c.criterionId === id)
        const p = criterion === undefined ? null : positionOf(workflow, criterion)
        return p === null ? [] : [`criteria[${p}].text`]
      })
      const fields = remedy.fields.flatMap((f) => (f === "criteria" ? positions : [f]))
      if (workflow === null) return { ...base, action: remedy.action, fields, arguments: null }
      const changes = changesOf(remedy, workflow)
      const args: JsonObject = {
        workflowId: workflow.id,
        baseVersionId: workflow.currentVersionId,
        rationale: clip(`Diagnosis of run ${run.id} (${hit.classification}): ${hit.summary}`, 1000),
        evidence: [...new Set(hit.suspects.map((s) => s.id))].slice(0, 20),
        ...(changes !== undefined && { changes })
      }
      return { ...base, action: remedy.action, fields, arguments: args }
    }
  }
}
