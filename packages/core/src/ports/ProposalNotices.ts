import { Context, Effect } from "effect"
import type { Proposal } from "../domain/Proposal.js"

/**
 * Told of each proposal an agent stages, so a person can review it where the team works (the
 * reference server's Slack bot posts it to the organization's proposals channel with Approve and
 * Dismiss buttons). Optional: by default nobody is told and the proposal waits for `apply`. An
 * adapter must not fail or hold the caller up: staging has succeeded whatever it does.
 */
export class ProposalNotices extends Context.Reference<ProposalNotices>()("@armature/core/ProposalNotices", {
  defaultValue: (): { readonly staged: (proposal: Proposal) => Effect.Effect<void> } => ({
    staged: () => Effect.void
  })
}) {}
