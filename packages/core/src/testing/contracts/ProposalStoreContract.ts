import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ProposalStore } from "../../ports/ProposalStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { at, era, newOrg, plus, proposal, uid } from "./fixtures.js"

/** Registers the `ProposalStore` contract tests. */
export const proposalStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("proposals", () => {
    it.effect("are read within their organization only", () =>
      Effect.gen(function* () {
        const store = yield* ProposalStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const p = proposal(orgA)
        yield* store.insertProposal(p)
        expect(Option.getOrThrow(yield* store.getProposal(orgA, p.id))).toEqual(p)
        expect(Option.isNone(yield* store.getProposal(orgB, p.id))).toBe(true)
      })
    )

    it.effect("markApplied succeeds once, even when two applies race", () =>
      Effect.gen(function* () {
        const store = yield* ProposalStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const p = proposal(orgA)
        yield* store.insertProposal(p)
        expect(yield* store.markApplied(orgB, p.id, at(10), uid())).toBe(false)
        const versionIds = [uid(), uid()]
        const results = yield* Effect.forEach(versionIds, (v) => store.markApplied(orgA, p.id, at(10), v), {
          concurrency: "unbounded"
        })
        expect(results.filter(Boolean)).toHaveLength(1)
        const applied = Option.getOrThrow(yield* store.getProposal(orgA, p.id))
        expect(applied.appliedAt).toEqual(at(10))
        expect(applied.appliedVersionId).toBe(versionIds[results.indexOf(true)])
        expect(yield* store.markApplied(orgA, p.id, at(20), uid())).toBe(false)
      })
    )

    it.effect("deleteUnappliedBefore removes only unapplied proposals created before the time", () =>
      Effect.gen(function* () {
        const store = yield* ProposalStore
        const orgId = yield* newOrg
        const t = era()
        const old = proposal(orgId, { createdAt: t, expiresAt: plus(t, 86_400) })
        const applied = proposal(orgId, { createdAt: t, expiresAt: plus(t, 86_400) })
        const recent = proposal(orgId, { createdAt: plus(t, 120), expiresAt: plus(t, 86_400) })
        for (const p of [old, applied, recent]) yield* store.insertProposal(p)
        yield* store.markApplied(orgId, applied.id, plus(t, 5), uid())
        expect(yield* store.deleteUnappliedBefore(plus(t, 60))).toBeGreaterThanOrEqual(1)
        expect(Option.isNone(yield* store.getProposal(orgId, old.id))).toBe(true)
        expect(Option.isSome(yield* store.getProposal(orgId, applied.id))).toBe(true)
        expect(Option.isSome(yield* store.getProposal(orgId, recent.id))).toBe(true)
      })
    )
  })
}
