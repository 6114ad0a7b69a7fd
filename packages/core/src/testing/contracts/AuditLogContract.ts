import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect } from "effect"
import type { AuditEntry } from "../../domain/Audit.js"
import { AuditLog } from "../../ports/AuditLog.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { at, newOrg, uid } from "./fixtures.js"

const entry = (orgId: string, seconds: number): AuditEntry => ({
  id: uid(),
  orgId,
  at: at(seconds),
  actor: { keyId: "kci", memberId: null, role: "editor" },
  action: "workflows.update",
  targetId: uid(),
  intent: "tighten the criteria",
  outcome: "ok"
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
  })
}
