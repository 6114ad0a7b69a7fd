/**
 * The secret-store contract: what every `SecretStore` must do, as tests. A store adapter proves
 * itself with `secretStoreContract("VaultSecretStore", layer)`; `StoreContract` runs the same
 * tests on a whole store (`secretStoreSuite`), organizations created through its `OrgStore`.
 */
import { describe, expect, type Vitest, layer as withLayer } from "@effect/vitest"
import { Effect, Either, type Layer, Redacted } from "effect"
import { SecretStore } from "../../ports/SecretStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { newOrg as newStoredOrg, uid } from "./fixtures.js"

export interface Options<R> {
  /**
   * A fresh organization the store accepts secrets for. Default: a new UUID; a store whose
   * secrets reference stored organizations creates one (`Fixtures.newOrg` with an `OrgStore`).
   */
  readonly newOrg?: Effect.Effect<string, unknown, R>
}

/** Values with the characters a naive encoding gets wrong, and one of PEM-key size. */
const awkwardValues = (): ReadonlyArray<string> => [
  `token-${uid()}`,
  `pässwörd "quoted" 'single' \\ back\\slash\n2nd line\ttab 🔑 ${uid()}`,
  `-----BEGIN PRIVATE KEY-----\n${"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=".repeat(120)}\n${uid()}\n-----END PRIVATE KEY-----`
]

/** How a read ended: the error's tag, or a plain word when it read a value it should not have. */
const outcome = (read: Effect.Effect<Redacted.Redacted<string>, { readonly _tag: string }>) =>
  Effect.match(read, { onFailure: (e) => e._tag, onSuccess: () => "read a value" })

/** The error's every rendering, to check a value never appears in it. */
const renderings = (error: unknown): string => `${String(error)} ${JSON.stringify(error)}`

const tests = <R>(
  it: Vitest.MethodsNonLive<SecretStore | R>,
  newOrg: Effect.Effect<string, unknown, SecretStore | R>
) => {
  it.effect("put returns a reference that reads the exact value back", () =>
    Effect.gen(function* () {
      const secrets = yield* SecretStore
      const orgId = yield* newOrg
      for (const value of awkwardValues()) {
        const ref = yield* secrets.put(orgId, Redacted.make(value))
        expect(ref.length).toBeGreaterThan(0)
        expect(ref).not.toContain(value)
        expect(Redacted.value(yield* secrets.get(orgId, ref))).toBe(value)
      }
    })
  )

  it.effect("each put is a secret of its own: the same value twice is two references", () =>
    Effect.gen(function* () {
      const secrets = yield* SecretStore
      const orgId = yield* newOrg
      const value = `shared-${uid()}`
      const first = yield* secrets.put(orgId, Redacted.make(value))
      const second = yield* secrets.put(orgId, Redacted.make(value))
      expect(second).not.toBe(first)
      yield* secrets.delete(orgId, first)
      expect(Redacted.value(yield* secrets.get(orgId, second))).toBe(value)
    })
  )

  it.effect("another organization, an unknown reference or a deleted secret is SecretNotFound", () =>
    Effect.gen(function* () {
      const secrets = yield* SecretStore
      const [orgA, orgB] = [yield* newOrg, yield* newOrg]
      const ref = yield* secrets.put(orgA, Redacted.make("s3cret"))
      const notFound = (orgId: string, r: string) => outcome(secrets.get(orgId, r))
      expect(yield* notFound(orgB, ref)).toBe("SecretNotFound")
      expect(yield* notFound(orgA, uid())).toBe("SecretNotFound")
      // Deleting from another organization does nothing.
      yield* secrets.delete(orgB, ref)
      expect(Redacted.value(yield* secrets.get(orgA, ref))).toBe("s3cret")
      yield* secrets.delete(orgA, ref)
      expect(yield* notFound(orgA, ref)).toBe("SecretNotFound")
      // Deleting twice, or an unknown reference, does nothing either.
      yield* secrets.delete(orgA, ref)
      yield* secrets.delete(orgA, uid())
    })
  )

  it.effect("SecretNotFound names the reference and never carries a value", () =>
    Effect.gen(function* () {
      const secrets = yield* SecretStore
      const [orgA, orgB] = [yield* newOrg, yield* newOrg]
      const value = `never-shown-${uid()}`
      const ref = yield* secrets.put(orgA, Redacted.make(value))
      expect(yield* outcome(secrets.get(orgB, ref))).toBe("SecretNotFound")
      const error = yield* Effect.flip(secrets.get(orgB, ref))
      expect(error._tag === "SecretNotFound" && error.ref).toBe(ref)
      expect(renderings(error)).not.toContain(value)
      // The value read back is redacted when printed or serialized.
      const read = yield* secrets.get(orgA, ref)
      expect(`${String(read)} ${JSON.stringify({ read })}`).not.toContain(value)
    })
  )

  it.effect("a reference reaches its own organization's secret only, whatever its text", () =>
    Effect.gen(function* () {
      const secrets = yield* SecretStore
      const [orgA, orgB] = [yield* newOrg, yield* newOrg]
      const value = `guarded-${uid()}`
      const ref = yield* secrets.put(orgA, Redacted.make(value))
      // What a store keeping secrets under paths or keys (files, Vault, a KV store) could be tricked by.
      const crafted = [
        `../${orgA}/${ref}`,
        `${orgA}/${ref}`,
        `/${orgA}/${ref}`,
        `..%2F${orgA}%2F${ref}`,
        `${ref}/`,
        `${ref} `,
        "",
        "*",
        "%"
      ]
      for (const r of crafted) {
        const read = yield* Effect.either(secrets.get(orgB, r))
        expect({ ref: r, outcome: Either.isLeft(read) ? read.left._tag : "read a value" }).toEqual({
          ref: r,
          outcome: "SecretNotFound"
        })
        expect(renderings(read)).not.toContain(value)
        yield* secrets.delete(orgB, r)
      }
      expect(Redacted.value(yield* secrets.get(orgA, ref))).toBe(value)
    })
  )

  it.effect("matching names the candidates equal to a stored secret of the organization only", () =>
    Effect.gen(function* () {
      const secrets = yield* SecretStore
      const [orgA, orgB] = [yield* newOrg, yield* newOrg]
      const value = `token-${uid()}`
      const ref = yield* secrets.put(orgA, Redacted.make(value))
      expect([...(yield* secrets.matching(orgA, [value, "other", value.slice(1)]))]).toEqual([value])
      expect((yield* secrets.matching(orgA, [])).size).toBe(0)
      expect((yield* secrets.matching(orgB, [value])).size).toBe(0)
      yield* secrets.delete(orgA, ref)
      expect((yield* secrets.matching(orgA, [value])).size).toBe(0)
    })
  )
}

/** Runs the `SecretStore` contract against `layer`, which provides the store and what `newOrg` needs. */
export const secretStoreContract = <R = never>(
  name: string,
  layer: Layer.Layer<SecretStore | R, unknown>,
  options: Options<SecretStore | R> = {}
): void =>
  withLayer(layer)(name, (it) => {
    tests(it, options.newOrg ?? Effect.sync(uid))
  })

/** Registers the `SecretStore` contract tests inside `StoreContract`. */
export const secretStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("secrets", () => tests(it, newStoredOrg))
}
