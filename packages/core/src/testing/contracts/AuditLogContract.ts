import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect } from "effect"
import type { AuditEntry } from "../../domain/Audit.js"
import { AuditLog } from "../../ports/AuditLog.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { at, newOrg, uid } from "./fixtures.js"

const entry = (orgId: string, seconds: number, changes: Partial<AuditEntry> = {}): AuditEntry => ({
  id: uid(),
  orgId,
  at: at(seconds),
  actor: { keyId: "kci", memberId: null, role: "editor" },
  action: "workflows.update",
  targetId: uid(),
  intent: "tighten the criteria",
  outcome: "ok",
  arguments: null,
  durationMs: null,
  ...changes
})

/** Registers the `AuditLog` contract tests. */
export const auditLogSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("audit log", () => {
    it.effect("lists an organization's entries newest first, up to the limit", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const entries = [entry(orgA, 10), entry(orgA, 30), entry(orgA, 20)]
        for (const e of entries) yield* audit.record(e)
        expect(yield* audit.list(orgA, { limit: 2 })).toEqual([entries[1], entries[2]])
        expect(yield* audit.list(orgB, { limit: 10 })).toEqual([])
      })
    )

    it.effect("keeps a tool call's arguments and duration as recorded", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const org = yield* newOrg
        const call = entry(org, 5, {
          action: "search_runs",
          arguments: { range: "7d", filters: [{ status: "fail" }], limit: 20 },
          durationMs: 12
        })
        yield* audit.record(call)
        expect(yield* audit.list(org, { limit: 1 })).toEqual([call])
      })
    )

    it.effect("prune deletes entries older than the cutoff, oldest first, up to the limit", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const org = yield* newOrg
        const [old1, old2, recent] = [entry(org, 1), entry(org, 2), entry(org, 100)]
        for (const e of [recent, old2, old1]) yield* audit.record(e)
        // Other suites' entries may be older still: prune until nothing before the cutoff is left.
        while ((yield* audit.prune(at(50), 1000)) > 0) {}
        expect(yield* audit.list(org, { limit: 10 })).toEqual([recent])
      })
    )

    it.effect("filters by action and key, and pages after an entry, ties broken by id", () =>
      Effect.gen(function* () {
        const audit = yield* AuditLog
        const org = yield* newOrg
        const key = (keyId: string) => ({ keyId, memberId: null, role: "viewer" as const })
        // Three entries at one instant: the page boundary falls between equal times.
        const same = [1, 2, 3].map(() => entry(org, 50, { action: "inspect_run", actor: key("k1") }))
        const other = entry(org, 40, { action: "search_runs", actor: key("k2") })
        for (const e of [...same, other]) yield* audit.record(e)
        const byId = [...same].sort((a, b) => (a.id < b.id ? 1 : -1))
        expect((yield* audit.list(org, { action: "inspect_run", limit: 10 })).map((e) => e.id)).toEqual(
          byId.map((e) => e.id)
        )
        expect(yield* audit.list(org, { keyId: "k2", limit: 10 })).toEqual([other])
        const first = yield* audit.list(org, { limit: 2 })
        const last = first[1]!
        const rest = yield* audit.list(org, { after: { at: last.at, id: last.id }, limit: 10 })
        expect([...first, ...rest].map((e) => e.id)).toEqual([...byId, other].map((e) => e.id))
      })
    )
  })
}
