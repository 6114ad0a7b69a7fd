import { type Context, Either, Option } from "effect"
import type { ProposalStore } from "../../ports/ProposalStore.js"
import { type Db, duplicate, rowOf } from "./Tables.js"

/** In-memory `ProposalStore`. */
export const makeProposalStore = (db: Db): Context.Tag.Service<ProposalStore> => ({
  insertProposal: (proposal) =>
    db.attempt((t) => {
      if (t.proposals.has(proposal.id)) return Either.left(duplicate("proposal", proposal.id))
      t.proposals.set(proposal.id, proposal)
      return Either.void
    }),
  getProposal: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.proposals, orgId, id))),
  markApplied: (orgId, id, at, versionId) =>
    db.run((t) => {
      const proposal = rowOf(t.proposals, orgId, id)
      if (proposal === undefined || proposal.appliedAt !== null) return false
      t.proposals.set(id, { ...proposal, appliedAt: at, appliedVersionId: versionId })
      return true
    }),
  deleteUnappliedBefore: (before) =>
    db.run((t) => {
      let deleted = 0
      for (const proposal of t.proposals.values()) {
        if (proposal.appliedAt === null && proposal.createdAt < before) {
          t.proposals.delete(proposal.id)
          deleted++
        }
      }
      return deleted
    })
})
