import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import * as ApiKeys from "../src/ApiKeys.js"
import type { Caller } from "../src/domain/Audit.js"
import type { ApiKey, Member, Role } from "../src/domain/Organization.js"
import * as Ids from "../src/ports/Ids.js"
import { OrgStore } from "../src/ports/OrgStore.js"

/**
 * An OrgStore holding API keys in a Map, and members: `member-<role>[-…]` exists with that role until
 * `updateMember` or `removeMember` says otherwise. The other methods are not used by ApiKeys.
 */
const keyStore = Layer.sync(OrgStore, () => {
  const keys = new Map<string, ApiKey>()
  const members = new Map<string, Member | null>()
  const memberOf = (orgId: string, id: string): Member | null => {
    if (members.has(id)) return members.get(id)!
    const role = id.startsWith("member-") ? id.split("-")[1]! : ""
    if (!["viewer", "editor", "admin", "owner"].includes(role)) return null
    return {
      id,
      orgId,
      email: `${id}@example.com`,
      name: id,
      role: role as Role,
      slackUserId: null,
      createdAt: new Date(0)
    }
  }
  const unused = () => Effect.dieMessage("not used by ApiKeys")
  return {
    createOrganization: unused,
    getOrganization: unused,
    getOrganizationBySlug: unused,
    listOrganizations: unused(),
    addMember: unused,
    getMember: (orgId, id) => Effect.sync(() => Option.fromNullable(memberOf(orgId, id))),
    getMemberBySlackUser: unused,
    listMembers: unused,
    updateMember: (member) => Effect.sync(() => void members.set(member.id, member)),
    removeMember: (_orgId, id) => Effect.sync(() => members.set(id, null) !== undefined),
    createApiKey: (key) => Effect.sync(() => void keys.set(key.id, key)),
    getApiKey: (keyId) => Effect.sync(() => Option.fromNullable(keys.get(keyId))),
    getApiKeyWithCreatorRole: (keyId) =>
      Effect.sync(() =>
        Option.map(Option.fromNullable(keys.get(keyId)), (key) => ({
          key,
          creatorRole: key.createdBy === null ? null : (memberOf(key.orgId, key.createdBy)?.role ?? null)
        }))
      ),
    listApiKeys: (orgId) => Effect.sync(() => [...keys.values()].filter((k) => k.orgId === orgId)),
    touchApiKey: (keyId, at) =>
      Effect.sync(() => {
        const key = keys.get(keyId)
        if (key) keys.set(keyId, { ...key, lastUsedAt: at })
      }),
    deleteApiKey: (orgId, keyId) => Effect.sync(() => keys.get(keyId)?.orgId === orgId && keys.delete(keyId)),
    createInvitation: unused,
    getInvitationByTokenHash: unused,
    listInvitations: unused,
    updateInvitation: unused,
    getSubscription: unused,
    putSubscription: unused
  }
})

const caller = (role: Role, orgId = "org-1"): Caller => ({
  orgId,
  actor: { keyId: "k0", memberId: `member-${role}`, role }
})

describe("token format amt_<keyId>_<secret>", () => {
  const secret = `${"A".repeat(20)}_-bcdefghijklm`

  it("parses a well-formed token into key id and secret (the secret may contain _ and -)", () => {
    expect(ApiKeys.parseToken(`amt_abc123def456_${secret}`)).toEqual({ keyId: "abc123def456", secret })
  })

  it("rejects malformed tokens", () => {
    for (const token of [
      "",
      "amt_",
      `amt_ABC123DEF456_${secret}`, // key ids are lower-case
      `amt_abc123def45_${secret}`, // 11 characters
      `amt_abc123def4567_${secret}`, // 13 characters
      "amt_abc123def456_tooshort",
      `xyz_abc123def456_${secret}`,
      `amt_abc123def456_${secret}!`
    ]) {
      expect(ApiKeys.parseToken(token)).toBeNull()
    }
    expect(ApiKeys.parseToken(undefined as unknown as string)).toBeNull()
  })

  it("the prefix shows the key id only", () => {
    expect(ApiKeys.prefix("abc123def456")).toBe("amt_abc123def456…")
  })
})

describe("secrets are stored as scrypt hashes and compared in constant time", () => {
  it.effect("a hash has the scrypt$<salt>$<hash> shape with a 16-byte salt and a 32-byte key", () =>
    Effect.gen(function* () {
      const stored = yield* ApiKeys.hashSecret("s3cret")
      const [scheme, salt, hash] = stored.split("$")
      expect(scheme).toBe("scrypt")
      expect(Buffer.from(salt!, "base64")).toHaveLength(16)
      expect(Buffer.from(hash!, "base64")).toHaveLength(32)
      expect(stored).not.toContain("s3cret")
    })
  )

  it.effect("the same secret verifies; another does not; salts differ per hash", () =>
    Effect.gen(function* () {
      const a = yield* ApiKeys.hashSecret("s3cret")
      const b = yield* ApiKeys.hashSecret("s3cret")
      expect(a).not.toBe(b)
      expect(yield* ApiKeys.verifySecret("s3cret", a)).toBe(true)
      expect(yield* ApiKeys.verifySecret("s3cret", b)).toBe(true)
      expect(yield* ApiKeys.verifySecret("s3cres", a)).toBe(false)
      expect(yield* ApiKeys.verifySecret("", a)).toBe(false)
    })
  )

  it.effect("a malformed stored hash verifies nothing instead of failing", () =>
    Effect.gen(function* () {
      for (const stored of ["", "plain", "scrypt$$", "bcrypt$abc$def", "scrypt$c2FsdA==$c2hvcnQ="]) {
        expect(yield* ApiKeys.verifySecret("s3cret", stored)).toBe(false)
      }
    })
  )
})

describe("use cases", () => {
  layer(Layer.mergeAll(keyStore, Ids.layerSequential))((it) => {
    it.effect("create returns the token once and stores only the hash; authenticate resolves it", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse("2026-05-01T10:00:00Z"))
        const { key, token } = yield* ApiKeys.create(caller("admin"), { name: "  CI key  " })
        const parsed = ApiKeys.parseToken(token)!
        expect(parsed.keyId).toBe(key.id)
        expect(key.id).toMatch(/^[a-z0-9]{12}$/)
        expect(parsed.secret.length).toBeGreaterThanOrEqual(32)
        expect(key).toEqual({
          id: key.id,
          name: "CI key",
          prefix: `amt_${key.id}…`,
          role: "admin",
          createdBy: "member-admin",
          createdAt: new Date("2026-05-01T10:00:00Z"),
          lastUsedAt: null
        })
        const stored = Option.getOrThrow(yield* Effect.flatMap(OrgStore, (s) => s.getApiKey(key.id)))
        expect(stored.secretHash).toMatch(/^scrypt\$/)
        expect(stored.secretHash).not.toContain(parsed.secret)

        yield* TestClock.setTime(Date.parse("2026-05-02T08:00:00Z"))
        const auth = yield* ApiKeys.authenticate(token)
        expect(auth.orgId).toBe("org-1")
        expect(auth.actor).toEqual({ keyId: key.id, memberId: "member-admin", role: "admin" })
        expect(auth.key.lastUsedAt).toEqual(new Date("2026-05-02T08:00:00Z"))
        const listed = (yield* ApiKeys.list(caller("admin"))).items
        expect(listed.find((k) => k.id === key.id)?.lastUsedAt).toEqual(new Date("2026-05-02T08:00:00Z"))

        // Written to the minute: uses within it leave the row alone, the next minute's is written.
        const lastUsed = Effect.map(
          Effect.flatMap(OrgStore, (s) => s.getApiKey(key.id)),
          (k) => Option.getOrThrow(k).lastUsedAt
        )
        yield* TestClock.adjust("59 seconds")
        expect((yield* ApiKeys.authenticate(token)).key.lastUsedAt).toEqual(new Date("2026-05-02T08:00:00Z"))
        expect(yield* lastUsed).toEqual(new Date("2026-05-02T08:00:00Z"))
        yield* TestClock.adjust("1 second")
        yield* ApiKeys.authenticate(token)
        expect(yield* lastUsed).toEqual(new Date("2026-05-02T08:01:00Z"))
      })
    )

    it.effect("list shows name, prefix, role, creator and dates, never the hash", () =>
      Effect.gen(function* () {
        yield* ApiKeys.create(caller("owner", "org-list"), { name: "one" })
        yield* ApiKeys.create(caller("owner", "org-list"), { name: "two", role: "viewer" })
        const { items: keys, nextCursor } = yield* ApiKeys.list(caller("admin", "org-list"))
        expect(nextCursor).toBeNull()
        expect(keys.map((k) => [k.name, k.role])).toEqual([
          ["one", "owner"],
          ["two", "viewer"]
        ])
        for (const k of keys) {
          expect(Object.keys(k).sort()).toEqual([
            "createdAt",
            "createdBy",
            "id",
            "lastUsedAt",
            "name",
            "prefix",
            "role"
          ])
        }
      })
    )

    it.effect("keys never appear across organizations", () =>
      Effect.gen(function* () {
        const { key } = yield* ApiKeys.create(caller("admin", "org-a"), { name: "a" })
        const other = (yield* ApiKeys.list(caller("admin", "org-b"))).items
        expect(other.map((k) => k.id)).not.toContain(key.id)
        const error = yield* Effect.flip(ApiKeys.revoke(caller("admin", "org-b"), key.id))
        expect(error._tag).toBe("NotFound")
      })
    )

    it.effect("a key's role defaults to its creator's and may not exceed it", () =>
      Effect.gen(function* () {
        const { key } = yield* ApiKeys.create(caller("admin"), { name: "lower", role: "editor" })
        expect(key.role).toBe("editor")
        const error = yield* Effect.flip(ApiKeys.create(caller("admin"), { name: "higher", role: "owner" }))
        expect(error._tag).toBe("ForbiddenRole")
        if (error._tag === "ForbiddenRole") {
          expect(error.required).toBe("owner")
          expect(error.actual).toBe("admin")
        }
      })
    )

    it.effect("creating, listing and revoking keys needs admin", () =>
      Effect.gen(function* () {
        for (const role of ["viewer", "editor"] as const) {
          expect((yield* Effect.flip(ApiKeys.create(caller(role), { name: "x" })))._tag).toBe("ForbiddenRole")
          expect((yield* Effect.flip(ApiKeys.list(caller(role))))._tag).toBe("ForbiddenRole")
          expect((yield* Effect.flip(ApiKeys.revoke(caller(role), "abc123def456")))._tag).toBe(
            "ForbiddenRole"
          )
        }
      })
    )

    it.effect("a blank name or an unknown role fails validation naming the field", () =>
      Effect.gen(function* () {
        const blank = yield* Effect.flip(ApiKeys.create(caller("admin"), { name: "   " }))
        expect(blank._tag).toBe("ValidationFailed")
        if (blank._tag === "ValidationFailed") expect(blank.fieldErrors.map((f) => f.field)).toEqual(["name"])
        const badRole = yield* Effect.flip(
          ApiKeys.create(caller("admin"), { name: "x", role: "root" as Role })
        )
        if (badRole._tag === "ValidationFailed")
          expect(badRole.fieldErrors.map((f) => f.field)).toEqual(["role"])
        else expect.fail(`expected ValidationFailed, got ${badRole._tag}`)
      })
    )

    it.effect("revoke deletes the key; its token stops working; a second revoke is api_key not found", () =>
      Effect.gen(function* () {
        const { key, token } = yield* ApiKeys.create(caller("admin"), { name: "temp" })
        yield* ApiKeys.revoke(caller("admin"), key.id)
        const denied = yield* Effect.flip(ApiKeys.authenticate(token))
        expect(denied._tag).toBe("Unauthenticated")
        const again = yield* Effect.flip(ApiKeys.revoke(caller("admin"), key.id))
        expect(again).toMatchObject({ _tag: "NotFound", entity: "api_key", id: key.id })
      })
    )

    it.effect(
      "malformed, unknown and wrong-secret tokens are unauthenticated without echoing the token",
      () =>
        Effect.gen(function* () {
          const { token } = yield* ApiKeys.create(caller("admin"), { name: "real" })
          const { keyId, secret } = ApiKeys.parseToken(token)!
          const wrongSecret = `amt_${keyId}_${"x".repeat(secret.length)}`
          const unknownKey = `amt_zzzzzzzzzzzz_${secret}`
          for (const bad of ["garbage", "", wrongSecret, unknownKey]) {
            const error = yield* Effect.flip(ApiKeys.authenticate(bad))
            expect(error._tag).toBe("Unauthenticated")
            expect(error.message).not.toContain(secret)
            if (bad !== "") expect(error.message).not.toContain(bad)
          }
        })
    )

    it.effect(
      "a key acts with the lower of its role and its member's current one; a removed member's key fails",
      () =>
        Effect.gen(function* () {
          const store = yield* OrgStore
          const memberId = "member-admin-demoted"
          const admin: Caller = { orgId: "org-1", actor: { keyId: "k0", memberId, role: "admin" } }
          const { token } = yield* ApiKeys.create(admin, { name: "ci", role: "editor" })
          expect((yield* ApiKeys.authenticate(token)).actor.role).toBe("editor")
          const member = Option.getOrThrow(yield* store.getMember("org-1", memberId))
          yield* store.updateMember({ ...member, role: "viewer" })
          expect((yield* ApiKeys.authenticate(token)).actor.role).toBe("viewer")
          yield* store.updateMember({ ...member, role: "owner" })
          // Promoting the member never raises the key above its own role.
          expect((yield* ApiKeys.authenticate(token)).actor.role).toBe("editor")
          yield* store.removeMember("org-1", memberId)
          expect((yield* Effect.flip(ApiKeys.authenticate(token)))._tag).toBe("Unauthenticated")
        })
    )

    it.effect("mintForBootstrap creates a key without any caller", () =>
      Effect.gen(function* () {
        const { key, token } = yield* ApiKeys.mintForBootstrap("org-boot", "bootstrap", "owner", null)
        expect(key.role).toBe("owner")
        expect(key.createdBy).toBeNull()
        const auth = yield* ApiKeys.authenticate(token)
        expect(auth.orgId).toBe("org-boot")
        expect(auth.actor.role).toBe("owner")
      })
    )
  })
})

describe("verified tokens skip scrypt on repeat requests, never past a revoke", () => {
  /** A `VerifiedTokens` that records its traffic, so the tests see when scrypt was skipped. */
  const recording = () => {
    const log: string[] = []
    const inner = Effect.runSync(Effect.provide(ApiKeys.VerifiedTokens, ApiKeys.verifiedTokensLayer(2)))
    const layer = Layer.succeed(ApiKeys.VerifiedTokens, {
      get: (digest) => {
        const hash = inner.get(digest)
        log.push(hash === undefined ? "miss" : "hit")
        return hash
      },
      set: (digest, hash) => {
        log.push("set")
        inner.set(digest, hash)
      }
    })
    return { log, layer }
  }

  layer(Layer.mergeAll(keyStore, Ids.layerSequential))((it) => {
    it.effect("the second request of a token is a hit; a revoked key fails even when cached", () => {
      const cache = recording()
      return Effect.gen(function* () {
        const { key, token } = yield* ApiKeys.create(caller("admin"), { name: "cached" })
        expect((yield* ApiKeys.authenticate(token)).key.id).toBe(key.id)
        expect((yield* ApiKeys.authenticate(token)).key.id).toBe(key.id)
        expect(cache.log).toEqual(["miss", "set", "hit"])
        yield* ApiKeys.revoke(caller("admin"), key.id)
        expect((yield* Effect.flip(ApiKeys.authenticate(token)))._tag).toBe("Unauthenticated")
      }).pipe(Effect.provide(cache.layer))
    })

    it.effect("a wrong secret for a cached key id is verified with scrypt and refused", () => {
      const cache = recording()
      return Effect.gen(function* () {
        const { token } = yield* ApiKeys.create(caller("admin"), { name: "cached" })
        yield* ApiKeys.authenticate(token)
        const wrong = `${token.slice(0, -4)}AAAA`
        expect((yield* Effect.flip(ApiKeys.authenticate(wrong)))._tag).toBe("Unauthenticated")
        expect(cache.log).toEqual(["miss", "set", "miss"])
      }).pipe(Effect.provide(cache.layer))
    })
  })

  it("holds at most its capacity, dropping the least recently used", () => {
    const tokens = Effect.runSync(Effect.provide(ApiKeys.VerifiedTokens, ApiKeys.verifiedTokensLayer(2)))
    tokens.set("a", "1")
    tokens.set("b", "2")
    tokens.get("a")
    tokens.set("c", "3")
    expect([tokens.get("a"), tokens.get("b"), tokens.get("c")]).toEqual(["1", undefined, "3"])
  })
})
