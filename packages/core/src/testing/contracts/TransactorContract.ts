import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { OrgStore } from "../../ports/OrgStore.js"
import { RunStore } from "../../ports/RunStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { Transactor } from "../../ports/Transactor.js"
import { member, newOrg, organization, run } from "./fixtures.js"

/** Registers the `Transactor` contract tests. */
export const transactorSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("withTransaction", () => {
    it.effect("commits every write of a successful effect", () =>
      Effect.gen(function* () {
        const { withTransaction } = yield* Transactor
        const orgs = yield* OrgStore
        const org = organization()
        const ada = member(org.id)
        const result = yield* withTransaction(
          Effect.gen(function* () {
            yield* orgs.createOrganization(org)
            yield* orgs.addMember(ada)
            return "ok"
          })
        )
        expect(result).toBe("ok")
        expect(Option.isSome(yield* orgs.getOrganization(org.id))).toBe(true)
        expect(Option.isSome(yield* orgs.getMember(org.id, ada.id))).toBe(true)
      })
    )

    it.effect("leaves nothing behind when the effect fails, across stores", () =>
      Effect.gen(function* () {
        const { withTransaction } = yield* Transactor
        const orgs = yield* OrgStore
        const runs = yield* RunStore
        const orgId = yield* newOrg
        const org = organization()
        const r = run(orgId)
        const error = yield* Effect.flip(
          withTransaction(
            Effect.gen(function* () {
              yield* orgs.createOrganization(org)
              yield* runs.insertRun(r)
              return yield* Effect.fail("boom" as const)
            })
          )
        )
        expect(error).toBe("boom")
        expect(Option.isNone(yield* orgs.getOrganization(org.id))).toBe(true)
        expect(Option.isNone(yield* runs.getRun(orgId, r.id))).toBe(true)
      })
    )

    it.effect("a failed store call rolls back the writes before it", () =>
      Effect.gen(function* () {
        const { withTransaction } = yield* Transactor
        const orgs = yield* OrgStore
        const taken = organization()
        yield* orgs.createOrganization(taken)
        const fresh = organization()
        const error = yield* Effect.flip(
          withTransaction(
            Effect.zipRight(
              orgs.createOrganization(fresh),
              orgs.createOrganization(organization({ slug: taken.slug }))
            )
          )
        )
        expect(error._tag).toBe("Conflict")
        expect(Option.isNone(yield* orgs.getOrganization(fresh.id))).toBe(true)
      })
    )

    it.effect("a failed nested transaction rolls back only its own writes", () =>
      Effect.gen(function* () {
        const { withTransaction } = yield* Transactor
        const orgs = yield* OrgStore
        const outer = organization()
        const inner = organization()
        yield* withTransaction(
          Effect.gen(function* () {
            yield* orgs.createOrganization(outer)
            const nested = yield* Effect.either(
              withTransaction(Effect.zipRight(orgs.createOrganization(inner), Effect.fail("inner failed")))
            )
            expect(nested._tag).toBe("Left")
          })
        )
        expect(Option.isSome(yield* orgs.getOrganization(outer.id))).toBe(true)
        expect(Option.isNone(yield* orgs.getOrganization(inner.id))).toBe(true)
      })
    )
  })
}
