/**
 * The proposal tools (SPEC §9.1, §9.3): stage a change of a workflow, or a new regression
 * workflow from a run, and apply a staged change. Staging changes nothing, so viewers may stage;
 * applying takes an editor.
 */
import { Id, Proposals } from "@armature/core"
import { define } from "../Tool.js"

/** Staging adds a proposal and nothing else; a repeat stages another. */
const staging = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false
} as const

export const proposeWorkflowPatch = define({
  name: "propose_workflow_patch",
  title: "Propose a workflow change",
  summary:
    "Stages a change of a workflow against its current version (`baseVersionId`), validated against " +
    "that version and the server's catalog: `changes` may set name, description, prompt, testerModels, " +
    "judgeModel, schedule (null = manual), toolPolicy, limits and assertions, and edit criteria with " +
    '`{ op: "add", text, required?, position? }`, `{ op: "update", position, text?, required? }` and ' +
    '`{ op: "remove", position }` (0-based positions over the base version). Returns the proposal id, ' +
    "the field-level diff and warnings; nothing changes until an editor applies it within 24 hours.",
  annotations: staging,
  input: Proposals.ProposeInput.fields,
  output: Proposals.Staged,
  run: (caller, args) => Proposals.propose(caller, args)
})

export const draftRegressionWorkflowFromRun = define({
  name: "draft_regression_workflow_from_run",
  title: "Draft a regression workflow from a run",
  summary:
    "Stages a proposal that creates a new manual-only workflow reproducing a failed run: the same " +
    "server and prompt, the failing criteria, and only the tools the run called allowed.",
  annotations: staging,
  input: Proposals.DraftInput.fields,
  output: Proposals.Staged,
  run: (caller, args) => Proposals.draftRegressionFromRun(caller, args)
})

export const applyWorkflowChange = define({
  name: "apply_workflow_change",
  title: "Apply a proposal",
  summary:
    "Applies a staged proposal: appends the new workflow version (or creates the workflow). Fails with " +
    "proposal_expired after 24 hours, proposal_already_applied on a second apply, and version_conflict " +
    "when the workflow changed after the proposal's base version (stage it again).",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  input: { proposalId: Id },
  output: Proposals.Applied,
  run: (caller, args) => Proposals.apply(caller, args.proposalId)
})
