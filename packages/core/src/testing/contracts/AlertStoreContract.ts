import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import type { OutboxMessage } from "../../domain/Alert.js"
import { AlertStore } from "../../ports/AlertStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { Transactor } from "../../ports/Transactor.js"
import { alertIncident, alertRule, at, era, newOrg, outboxMessage, plus, uid } from "./fixtures.js"

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

        const firing = { ...rule, firingSince: at(30), lastFiredAt: at(30), mutedUntil: at(3630) }
        yield* store.updateRule(firing)
        expect(Option.getOrThrow(yield* store.getRule(orgA, rule.id))).toEqual(firing)
        expect((yield* store.listRules(orgA, { target })).map((r) => r.mutedUntil)).toEqual([at(3630)])
        const unmuted = { ...firing, mutedUntil: null }
        yield* store.updateRule(unmuted)
        expect(Option.getOrThrow(yield* store.getRule(orgA, rule.id))).toEqual(unmuted)

        expect(yield* store.deleteRule(orgB, rule.id)).toBe(false)
        expect(yield* store.deleteRule(orgA, rule.id)).toBe(true)
        expect(Option.isNone(yield* store.getRule(orgA, rule.id))).toBe(true)
      })
    )
  })

  describe("rules: filters and reminders", () => {
    it.effect("names are unique in an organization, ignoring case and spacing: a Conflict on name", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const first = alertRule(orgId, { name: "Checkout down" })
        const second = alertRule(orgId, { name: "Payments down" })
        yield* store.insertRule(first)
        yield* store.insertRule(second)
        const twin = yield* Effect.flip(store.insertRule(alertRule(orgId, { name: "  checkout   DOWN" })))
        expect(twin).toMatchObject({ _tag: "Conflict", fieldErrors: [{ field: "name" }] })
        const renamed = yield* Effect.flip(store.updateRule({ ...second, name: "CHECKOUT down" }))
        expect(renamed).toMatchObject({ _tag: "Conflict", fieldErrors: [{ field: "name" }] })
        expect(Option.getOrThrow(yield* store.getRule(orgId, second.id)).name).toBe("Payments down")
        // Another organization may use the name; a rule keeps its own name on update.
        yield* store.insertRule(alertRule(yield* newOrg, { name: "Checkout down" }))
        yield* store.updateRule({ ...first, name: "Checkout down", state: "paused" })
        expect((yield* store.listRules(orgId)).map((r) => r.name).sort()).toEqual([
          "Checkout down",
          "Payments down"
        ])
      })
    )

    it.effect("listRules keeps only the given ids", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const [a, b, c] = [alertRule(orgId), alertRule(orgId), alertRule(orgId)]
        for (const r of [a, b, c]) yield* store.insertRule(r)
        const listed = yield* store.listRules(orgId, { ids: [c.id, a.id], forUpdate: true })
        expect(listed.map((r) => r.id).sort()).toEqual([a.id, c.id].sort())
        expect(yield* store.listRules(orgId, { ids: [] })).toEqual([])
      })
    )

    it.effect(
      "listDueReminders lists enabled firing rules whose reminder is due, longest overdue first",
      () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const orgId = yield* newOrg
          const t = era()
          const firing = { firingSince: plus(t, -3600), reminderMinutes: 10 }
          const overdue = alertRule(orgId, { ...firing, lastFiredAt: plus(t, -3000) })
          const due = alertRule(orgId, { ...firing, lastFiredAt: plus(t, -600) })
          const neverReminded = alertRule(orgId, { ...firing, lastFiredAt: null, reminderMinutes: 30 })
          const notYet = alertRule(orgId, { ...firing, lastFiredAt: plus(t, -599) })
          const noReminders = alertRule(orgId, {
            ...firing,
            lastFiredAt: plus(t, -3000),
            reminderMinutes: null
          })
          const paused = alertRule(orgId, { ...firing, lastFiredAt: plus(t, -3000), state: "paused" })
          const quiet = alertRule(orgId, { reminderMinutes: 10, lastFiredAt: plus(t, -3000) })
          const all = [overdue, due, neverReminded, notYet, noReminders, paused, quiet]
          for (const r of all) yield* store.insertRule(r)
          const mine = new Set(all.map((r) => r.id))
          const listed = (yield* store.listDueReminders(t, 10_000)).filter((r) => mine.has(r.id))
          // Due at t - 2400 s, t - 1800 s (firingSince + 30 min) and t.
          expect(listed.map((r) => r.id)).toEqual([overdue.id, neverReminded.id, due.id])
          expect(listed[0]).toEqual(overdue)
        })
    )

    it.effect("markReminded is a compare-and-set of lastFiredAt: one caller wins", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const rule = alertRule(orgId, { firingSince: at(0), lastFiredAt: at(10), reminderMinutes: 5 })
        yield* store.insertRule(rule)
        expect(yield* store.markReminded(orgId, rule.id, at(10), at(400))).toBe(true)
        expect(yield* store.markReminded(orgId, rule.id, at(10), at(400))).toBe(false)
        expect(Option.getOrThrow(yield* store.getRule(orgId, rule.id)).lastFiredAt).toEqual(at(400))
        const fresh = alertRule(orgId, { firingSince: at(0), lastFiredAt: null, reminderMinutes: 5 })
        yield* store.insertRule(fresh)
        expect(yield* store.markReminded(orgId, fresh.id, null, at(300))).toBe(true)
        const idle = alertRule(orgId, { reminderMinutes: 5 })
        yield* store.insertRule(idle)
        expect(yield* store.markReminded(orgId, idle.id, null, at(300))).toBe(false)
        expect(yield* store.markReminded(yield* newOrg, rule.id, at(400), at(800))).toBe(false)
      })
    )
  })

  describe("incidents", () => {
    it.effect("are listed by server, rule and openness within their organization, and updated", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const [orgId, otherOrg] = [yield* newOrg, yield* newOrg]
        const serverId = uid()
        const ruleId = uid()
        const down = alertIncident(orgId, {
          serverId,
          openedAt: at(10),
          ruleIds: [ruleId],
          notified: [{ type: "slack", channel: "C1" }]
        })
        const drift = alertIncident(orgId, { serverId, kind: "drift", openedAt: at(20), baselineVersion: 3 })
        const elsewhere = alertIncident(orgId, { openedAt: at(5), ruleIds: [ruleId] })
        for (const i of [down, drift, elsewhere]) yield* store.insertIncident(i)
        expect(yield* store.listIncidents(orgId, { serverId })).toEqual([down, drift])
        expect((yield* store.listIncidents(orgId, { ruleId })).map((i) => i.id)).toEqual([
          elsewhere.id,
          down.id
        ])
        expect(yield* store.listIncidents(otherOrg)).toEqual([])

        const resolved = { ...down, resolvedAt: at(60), monitorsDown: true, ruleIds: [ruleId, uid()] }
        yield* store.updateIncident(resolved)
        expect(yield* store.listIncidents(orgId, { serverId, open: true })).toEqual([drift])
        expect(yield* store.listIncidents(orgId, { serverId, open: false })).toEqual([resolved])
      })
    )

    it.effect("at most one of each kind is open per server", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const serverId = uid()
        yield* store.insertIncident(alertIncident(orgId, { serverId }))
        const second = yield* Effect.exit(store.insertIncident(alertIncident(orgId, { serverId })))
        expect(Exit.isFailure(second)).toBe(true)
        yield* store.insertIncident(alertIncident(orgId, { serverId, kind: "drift" }))
        yield* store.insertIncident(alertIncident(orgId, { serverId, resolvedAt: at(30) }))
      })
    )

    it.effect(
      "lockRulesUnlessIncident lists a target's rules unless its server has an open server incident",
      () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const { withTransaction } = yield* Transactor
          const [orgId, otherOrg] = [yield* newOrg, yield* newOrg]
          const serverId = uid()
          const target = { type: "workflow" as const, id: uid() }
          const [late, early] = [
            alertRule(orgId, { target, createdAt: at(20) }),
            alertRule(orgId, { target, createdAt: at(10), firingSince: at(15) })
          ]
          for (const r of [late, early, alertRule(orgId), alertRule(otherOrg, { target })])
            yield* store.insertRule(r)
          const read = (org: string) => withTransaction(store.lockRulesUnlessIncident(org, target, serverId))
          expect(yield* read(orgId)).toEqual([early, late])
          expect(
            yield* store.lockRulesUnlessIncident(orgId, { type: "monitor", id: target.id }, serverId)
          ).toEqual([])
          // Neither a drift incident, nor a resolved one, nor another server's or organization's counts.
          yield* store.insertIncident(alertIncident(orgId, { serverId, kind: "drift" }))
          yield* store.insertIncident(alertIncident(orgId, { serverId, resolvedAt: at(30) }))
          yield* store.insertIncident(alertIncident(orgId))
          yield* store.insertIncident(alertIncident(otherOrg, { serverId }))
          expect((yield* read(orgId))?.map((r) => r.id)).toEqual([early.id, late.id])
          yield* store.insertIncident(alertIncident(orgId, { serverId }))
          expect(yield* read(orgId)).toBeNull()
          expect(
            yield* store.lockRulesUnlessIncident(orgId, { type: "monitor", id: uid() }, serverId)
          ).toBeNull()
        })
    )

    it.effect("lockServer can be taken in a transaction, also twice and for a server without incidents", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const { withTransaction } = yield* Transactor
        const orgId = yield* newOrg
        const serverId = uid()
        yield* withTransaction(
          Effect.zipRight(store.lockServer(orgId, serverId), store.lockServer(orgId, serverId))
        )
        yield* withTransaction(store.lockServer(orgId, serverId))
      })
    )
  })

  describe("outbox", () => {
    it.effect("updateRuleAndEnqueue saves the rule with its message; a Conflict enqueues nothing", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const { withTransaction } = yield* Transactor
        const orgId = yield* newOrg
        const [rule, other] = [alertRule(orgId), alertRule(orgId)]
        for (const r of [rule, other]) yield* store.insertRule(r)
        const firing = { ...rule, firingSince: at(30), lastFiredAt: at(30) }
        const message = outboxMessage(orgId, { ruleId: rule.id, destination: rule.destination })
        yield* store.updateRuleAndEnqueue(firing, message)
        expect(Option.getOrThrow(yield* store.getRule(orgId, rule.id))).toEqual(firing)
        expect(yield* store.listOutbox(orgId)).toEqual([message])

        // A new name is saved too; one taken is a Conflict that leaves the transaction usable.
        const renamed = { ...firing, name: `${rule.name} (renamed)`, lastFiredAt: at(40) }
        const second = outboxMessage(orgId, { ruleId: rule.id, createdAt: at(40) })
        yield* store.updateRuleAndEnqueue(renamed, second)
        expect(Option.getOrThrow(yield* store.getRule(orgId, rule.id))).toEqual(renamed)
        const refused = outboxMessage(orgId, { ruleId: rule.id, createdAt: at(50) })
        const after = outboxMessage(orgId, { createdAt: at(60) })
        const error = yield* withTransaction(
          Effect.gen(function* () {
            const e = yield* Effect.flip(
              store.updateRuleAndEnqueue({ ...renamed, name: other.name }, refused)
            )
            yield* store.enqueue(after)
            return e
          })
        )
        expect(error._tag).toBe("Conflict")
        expect(Option.getOrThrow(yield* store.getRule(orgId, rule.id))).toEqual(renamed)
        expect((yield* store.listOutbox(orgId)).map((m) => m.id).sort()).toEqual(
          [message.id, second.id, after.id].sort()
        )
      })
    )

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

    it.effect("pageOutbox pages newest first and filters by status, retrying and rule", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const ruleId = uid()
        // Five messages, two at the same instant (ordered by id), one of another rule.
        const base = at(0)
        const rows = [
          outboxMessage(orgId, { ruleId, createdAt: plus(base, 1) }),
          outboxMessage(orgId, { ruleId, createdAt: plus(base, 2), attempts: 2, lastError: "HTTP 503" }),
          outboxMessage(orgId, { ruleId, createdAt: plus(base, 2) }),
          outboxMessage(orgId, {
            ruleId,
            createdAt: plus(base, 3),
            status: "dead",
            attempts: 5,
            lastError: "x"
          }),
          outboxMessage(orgId, { ruleId: uid(), createdAt: plus(base, 4) })
        ]
        yield* Effect.forEach(rows, (m) => store.enqueue(m))
        yield* store.enqueue(outboxMessage(yield* newOrg, { createdAt: plus(base, 5) }))
        const sameInstant = [rows[1]!, rows[2]!].sort((a, b) => (a.id < b.id ? 1 : -1))
        const newestFirst = [rows[4]!, rows[3]!, ...sameInstant, rows[0]!]
        const ids = (ms: ReadonlyArray<OutboxMessage>) => ms.map((m) => m.id)

        expect(ids(yield* store.pageOutbox(orgId, { limit: 10 }))).toEqual(ids(newestFirst))
        // Page by page, each after the last of the one before: the same order, nothing twice.
        const first = yield* store.pageOutbox(orgId, { limit: 2 })
        const second = yield* store.pageOutbox(orgId, { limit: 2, after: first[1]! })
        const third = yield* store.pageOutbox(orgId, { limit: 2, after: second[1]! })
        expect(ids([...first, ...second, ...third])).toEqual(ids(newestFirst))

        expect(ids(yield* store.pageOutbox(orgId, { limit: 10, status: "dead" }))).toEqual([rows[3]!.id])
        expect(ids(yield* store.pageOutbox(orgId, { limit: 10, status: "pending", retrying: true }))).toEqual(
          [rows[1]!.id]
        )
        expect(
          ids(yield* store.pageOutbox(orgId, { limit: 10, status: "pending", retrying: false }))
        ).toEqual(ids(newestFirst.filter((m) => m.id !== rows[1]!.id && m.status === "pending")))
        expect(ids(yield* store.pageOutbox(orgId, { limit: 10, ruleId }))).toEqual(
          ids(newestFirst.filter((m) => m.ruleId === ruleId))
        )
      })
    )

    it.effect("pruneOutbox deletes delivered and dead messages before the cutoff, never pending ones", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const t = era()
        const sent = (s: number, status: OutboxMessage["status"]) =>
          outboxMessage(orgId, {
            createdAt: plus(t, s),
            status,
            deliveredAt: status === "delivered" ? plus(t, s) : null
          })
        const rows = [sent(-30, "delivered"), sent(-20, "dead"), sent(-10, "pending"), sent(10, "delivered")]
        yield* Effect.forEach(rows, (m) => store.enqueue(m))
        // Pruning acts across organizations: other suites' old rows may go too, so only the
        // limit and this organization's rows are checked.
        expect(yield* store.pruneOutbox(t, 1)).toBe(1)
        while ((yield* store.pruneOutbox(t, 1000)) > 0) {}
        expect((yield* store.listOutbox(orgId)).map((m) => m.id)).toEqual([rows[2]!.id, rows[3]!.id])
      })
    )

    it.effect("withdrawHeld takes back only untouched error firings enqueued after heldSince", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const t = era()
        const serverId = uid()
        const ruleId = uid()
        const errorFiring = (overrides: Partial<OutboxMessage> = {}, server = serverId) =>
          outboxMessage(orgId, {
            ruleId,
            createdAt: t,
            nextAttemptAt: plus(t, 60),
            ...overrides,
            message: {
              ...outboxMessage(orgId).message,
              kind: "firing",
              outcome: "error",
              server: { id: server, name: "Shop" },
              ...overrides.message
            }
          })
        const held = errorFiring()
        const otherRule = errorFiring({ ruleId: uid() })
        const otherServer = errorFiring({}, uid())
        const old = errorFiring({ createdAt: plus(t, -120), nextAttemptAt: plus(t, -60) })
        const attempted = errorFiring({ attempts: 1, lastError: "HTTP 503" })
        const failing = errorFiring({ message: { ...held.message, outcome: "fail" } })
        const recovery = errorFiring({ message: { ...held.message, kind: "recovery" } })
        for (const m of [held, otherRule, otherServer, old, attempted, failing, recovery])
          yield* store.enqueue(m)

        const since = plus(t, -30)
        expect(yield* store.withdrawHeld(orgId, { serverId: uid() }, since)).toEqual([])
        const byRule = yield* store.withdrawHeld(orgId, { ruleId, serverId }, since)
        expect(byRule).toEqual([held])
        const byServer = yield* store.withdrawHeld(orgId, { serverId }, since)
        expect(byServer).toEqual([otherRule])
        const left = (yield* store.listOutbox(orgId)).map((m) => m.id).sort()
        expect(left).toEqual([otherServer, old, attempted, failing, recovery].map((m) => m.id).sort())
        expect(yield* store.withdrawHeld(yield* newOrg, { serverId }, since)).toEqual([])
      })
    )

    it.effect("lastFiring is the newest firing or reminder of a rule", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const orgId = yield* newOrg
        const ruleId = uid()
        const kind = (k: OutboxMessage["message"]["kind"], s: number) => {
          const base = outboxMessage(orgId)
          return outboxMessage(orgId, { ruleId, createdAt: at(s), message: { ...base.message, kind: k } })
        }
        expect(Option.isNone(yield* store.lastFiring(orgId, ruleId))).toBe(true)
        const firing = kind("firing", 10)
        const reminder = kind("reminder", 20)
        for (const m of [firing, reminder, kind("recovery", 30), kind("incident", 40)])
          yield* store.enqueue(m)
        expect(Option.getOrThrow(yield* store.lastFiring(orgId, ruleId)).id).toBe(reminder.id)
        expect(Option.isNone(yield* store.lastFiring(yield* newOrg, ruleId))).toBe(true)
      })
    )
  })
}
