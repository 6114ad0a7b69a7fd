import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { OutboxMessage } from "../../domain/Alert.js"
import { AlertStore } from "../../ports/AlertStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { alertRule, at, era, newOrg, outboxMessage, plus, uid } from "./fixtures.js"

/** Registers the `AlertStore` contract tests. */
export const alertStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("rules", () => {
    it.effect("are read, filtered by target, updated and deleted within their organization only", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const target = { type: "monitor" as const, id: uid() }
        const rule = alertRule(orgA, { target })
        const other = alertRule(orgA)
        yield* store.insertRule(rule)
        yield* store.insertRule(other)
        expect(Option.getOrThrow(yield* store.getRule(orgA, rule.id))).toEqual(rule)
        expect(Option.isNone(yield* store.getRule(orgB, rule.id))).toBe(true)
        expect((yield* store.listRules(orgA, { target })).map((r) => r.id)).toEqual([rule.id])
        expect(yield* store.listRules(orgA, { target: { type: "workflow", id: target.id } })).toEqual([])
        expect(yield* store.listRules(orgA)).toHaveLength(2)
        expect(yield* store.listRules(orgB)).toEqual([])

        const firing = { ...rule, firingSince: at(30), lastFiredAt: at(30) }
        yield* store.updateRule(firing)
        expect(Option.getOrThrow(yield* store.getRule(orgA, rule.id))).toEqual(firing)

        expect(yield* store.deleteRule(orgB, rule.id)).toBe(false)
        expect(yield* store.deleteRule(orgA, rule.id)).toBe(true)
        expect(Option.isNone(yield* store.getRule(orgA, rule.id))).toBe(true)
      })
    )
  })

  describe("outbox", () => {
    const claim = (now: Date, leaseUntil: Date, mine: ReadonlyArray<OutboxMessage>) =>
      Effect.flatMap(AlertStore, (store) =>
        Effect.map(store.claimOutbox(now, leaseUntil, 1000), (claimed) =>
          claimed.filter((c) => mine.some((m) => m.id === c.id))
        )
      )

    it.effect("claims due pending messages once per lease", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const t = era()
        const due = outboxMessage(orgId, { nextAttemptAt: t, createdAt: t })
        const later = outboxMessage(orgId, { nextAttemptAt: plus(t, 60), createdAt: t })
        for (const m of [due, later]) yield* store.enqueue(m)
        const mine = [due, later]

        const first = yield* claim(t, plus(t, 300), mine)
        expect(first.map((m) => m.id)).toEqual([due.id])
        expect(first[0]?.nextAttemptAt).toEqual(plus(t, 300))
        expect(yield* claim(t, plus(t, 300), mine)).toEqual([])
        // The lease ran out without an outcome: the message is due again.
        const again = yield* claim(plus(t, 300), plus(t, 600), mine)
        expect(again.map((m) => m.id).sort()).toEqual([due.id, later.id].sort())
      })
    )

    it.effect("markFailed reschedules at retryAt, or dead-letters with null; markDelivered ends it", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const [orgId, otherOrg] = [yield* newOrg, yield* newOrg]
        const t = era()
        const flaky = outboxMessage(orgId, { nextAttemptAt: t, createdAt: t })
        const fine = outboxMessage(orgId, { nextAttemptAt: t, createdAt: plus(t, 1) })
        for (const m of [flaky, fine]) yield* store.enqueue(m)
        const mine = [flaky, fine]

        expect((yield* claim(t, plus(t, 300), mine)).map((m) => m.id).sort()).toEqual(
          [flaky.id, fine.id].sort()
        )
        yield* store.markDelivered(fine.id, plus(t, 2))
        yield* store.markFailed(flaky.id, "HTTP 503", plus(t, 30))
        expect(yield* claim(plus(t, 29), plus(t, 300), mine)).toEqual([])
        const retried = yield* claim(plus(t, 30), plus(t, 300), mine)
        expect(retried.map((m) => [m.id, m.attempts, m.lastError])).toEqual([[flaky.id, 1, "HTTP 503"]])
        yield* store.markFailed(flaky.id, "HTTP 404", null)
        expect(yield* claim(plus(t, 10_000), plus(t, 20_000), mine)).toEqual([])

        const dead = yield* store.listOutbox(orgId, { status: "dead" })
        expect(dead.map((m) => [m.id, m.attempts, m.lastError])).toEqual([[flaky.id, 2, "HTTP 404"]])
        const delivered = yield* store.listOutbox(orgId, { status: "delivered" })
        expect(delivered.map((m) => [m.id, m.deliveredAt])).toEqual([[fine.id, plus(t, 2)]])
        expect(yield* store.listOutbox(orgId, { status: "pending" })).toEqual([])
        expect(yield* store.listOutbox(orgId)).toHaveLength(2)
        expect(yield* store.listOutbox(otherOrg)).toEqual([])
      })
    )
  })
}
