import { Context, type Effect, type Option } from "effect"
import type { Proposal } from "../domain/Proposal.js"
import type { StoreError } from "../Errors.js"

/** Staged workflow changes. */
export class ProposalStore extends Context.Tag("@armature/core/ProposalStore")<
  ProposalStore,
  {
    readonly insertProposal: (proposal: Proposal) => Effect.Effect<void, StoreError>
    readonly getProposal: (orgId: string, id: string) => Effect.Effect<Option.Option<Proposal>, StoreError>
    /**
     * Marks a proposal applied only if it is not applied yet (atomic); returns false when it
     * already was, so two concurrent applies cannot both succeed.
     */
    readonly markApplied: (
      orgId: string,
      id: string,
      at: Date,
      versionId: string
    ) => Effect.Effect<boolean, StoreError>
    /** Deletes unapplied proposals created before `before`; returns how many. */
    readonly deleteUnappliedBefore: (before: Date) => Effect.Effect<number, StoreError>
  }
>() {}
