import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SecretStore } from "../../ports/SecretStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { newOrg, uid } from "./fixtures.js"

/** Registers the `SecretStore` contract tests. */
export const secretStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("secrets", () => {
    it.effect("put returns a reference that gets the value back", () =>
      Effect.gen(function* () {
        const secrets = yield* SecretStore
        const orgId = yield* newOrg
        const value = `token-${uid()}`
        const ref = yield* secrets.put(orgId, Redacted.make(value))
        expect(ref).not.toContain(value)
        expect(Redacted.value(yield* secrets.get(orgId, ref))).toBe(value)
        const other = yield* secrets.put(orgId, Redacted.make("second"))
        expect(other).not.toBe(ref)
      })
    )

    it.effect("matching names the candidates equal to a stored secret of the organization only", () =>
      Effect.gen(function* () {
        const secrets = yield* SecretStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const value = `token-${uid()}`
        const ref = yield* secrets.put(orgA, Redacted.make(value))
        expect([...(yield* secrets.matching(orgA, [value, "other", value.slice(1)]))]).toEqual([value])
        expect((yield* secrets.matching(orgB, [value])).size).toBe(0)
        yield* secrets.delete(orgA, ref)
        expect((yield* secrets.matching(orgA, [value])).size).toBe(0)
      })
    )

    it.effect("another organization, an unknown reference or a deleted secret is SecretNotFound", () =>
      Effect.gen(function* () {
        const secrets = yield* SecretStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const ref = yield* secrets.put(orgA, Redacted.make("s3cret"))
        const notFound = (orgId: string, r: string) =>
          Effect.map(Effect.flip(secrets.get(orgId, r)), (e) => e._tag)
        expect(yield* notFound(orgB, ref)).toBe("SecretNotFound")
        expect(yield* notFound(orgA, uid())).toBe("SecretNotFound")
        // Deleting from another organization does nothing.
        yield* secrets.delete(orgB, ref)
        expect(Redacted.value(yield* secrets.get(orgA, ref))).toBe("s3cret")
        yield* secrets.delete(orgA, ref)
        expect(yield* notFound(orgA, ref)).toBe("SecretNotFound")
        yield* secrets.delete(orgA, ref)
      })
    )
  })
}
