/** The proposal resource (SPEC §9.4): what a human approves before `apply_workflow_change`. */
import { Proposal, Proposals } from "@armature/core"
import { define } from "../Resource.js"

export const proposal = define({
  uri: "armature://workflow-change-proposals/{id}",
  name: "workflow-change-proposal",
  title: "Workflow change proposal",
  description:
    "A staged workflow change: the complete spec applying it would store, the field-level diff against " +
    "the base version, rationale, evidence ids, warnings, expiry, and whether it was applied.",
  output: Proposal,
  read: (caller, id) => Proposals.get(caller, id)
})
