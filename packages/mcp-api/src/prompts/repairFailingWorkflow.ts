/**
 * `repair_failing_workflow(runId)` (SPEC §9.5): diagnose, read the trace, stage a fix, stop for a
 * human, apply, verify, compare — seven steps naming the exact tools and resource URIs.
 */
import { define, steps } from "../Prompt.js"

export const repairFailingWorkflow = define({
  name: "repair_failing_workflow",
  title: "Repair a failing workflow",
  description:
    "Walks through repairing the workflow of a failed run: diagnose, read the trace, stage a fix, stop " +
    "for human approval, apply, verify with a new run, and compare it with the failed one.",
  arguments: { runId: "The id of the failed or partial run to start from." },
  text: ({ runId }) =>
    steps(
      `Repair the workflow whose run ${runId} failed. Follow these seven steps in order, using the Armature ` +
        "MCP tools and resources named; do not skip step 4.",
      [
        `Diagnose: call \`diagnose_run\` with \`{ "runId": "${runId}" }\`. Note the workflowId, the failed ` +
          "criteria and assertions, the classification, and the ids of the tool calls and trace events it " +
          "names as responsible.",
        `Read the trace: read the resource \`armature://runs/${runId}/trace\` (and ` +
          `\`armature://runs/${runId}/artifacts\` for the final answer and the judge's reasoning) and ` +
          "confirm the cause. If the classification is server_error, tool_contract_changed or " +
          "infrastructure, the fix may belong in the MCP server rather than the workflow: say so.",
        "Stage a fix: read `armature://workflows/{workflowId}` for the current spec and its " +
          "`currentVersionId`, then call `propose_workflow_patch` with that workflowId, " +
          "`baseVersionId` = currentVersionId, a rationale, `evidence` = the tool-call and trace-event ids " +
          "from steps 1 and 2, and the smallest `changes` that fix the cause.",
        "Read the proposal: read `armature://workflow-change-proposals/{proposalId}` with the proposalId " +
          "from step 3, and show the human its diff, rationale, evidence and warnings. Then STOP and wait " +
          "for explicit human approval. Do not call `apply_workflow_change` until a human has approved this " +
          "proposal; if they ask for changes, stage a new proposal and stop again.",
        'Apply: only after approval, call `apply_workflow_change` with `{ "proposalId": "<proposalId>" }`.',
        'Verify: call `run_workflow_now` with `{ "workflowId": "<workflowId>", "wait": true, ' +
          `"baselineRunId": "${runId}", "reason": "verify the fix for run ${runId}" }\` and wait for ` +
          "the finished run.",
        `Compare: call \`compare_runs\` with \`{ "baseRunId": "${runId}", "candidateRunId": "<the new ` +
          "run's id>\" }` and report which criteria were fixed, which still fail and any regression."
      ]
    )
})
