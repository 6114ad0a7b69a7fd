/**
 * API keys (SPEC §11): tokens `amt_<keyId>_<secret>`, of which only an scrypt hash of the
 * secret is stored. The key id is public (it is the lookup key and shows in the prefix); the
 * secret is shown once, at creation.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto"
import { Context, Effect, Layer, Option, Schema } from "effect"
import type { Actor, Caller } from "./domain/Audit.js"
import { Id, Timestamp } from "./domain/Common.js"
import { type ApiKey, Role } from "./domain/Organization.js"
import {
  type FieldError,
  ForbiddenRole,
  type NotFound,
  type StoreError,
  Unauthenticated,
  type ValidationFailed,
  validationFailed
} from "./Errors.js"
import { now } from "./internal/clock.js"
import { notFound } from "./internal/notFound.js"
import * as Pages from "./Pages.js"
import * as Plans from "./Plans.js"
import { Ids } from "./ports/Ids.js"
import { OrgStore } from "./ports/OrgStore.js"
import * as Roles from "./Roles.js"

/** What a list shows of a key: never the hash. */
export const ApiKeyView = Schema.Struct({
  id: Id,
  name: Schema.String,
  /** `amt_<keyId>…`: enough to recognise a key, useless to an attacker. */
  prefix: Schema.String,
  role: Role,
  createdBy: Schema.NullOr(Id),
  createdAt: Timestamp,
  lastUsedAt: Schema.NullOr(Timestamp)
})
export type ApiKeyView = typeof ApiKeyView.Type

const tokenPattern = /^amt_([a-z0-9]{12})_([A-Za-z0-9_-]{32,})$/
const keyIdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
/** Random bytes behind a secret: 32 bytes = 43 base64url characters. */
const secretBytes = 32

/** Splits a token into key id and secret, or `null` when it is not shaped like an Armature key. */
export const parseToken = (token: string): { keyId: string; secret: string } | null => {
  if (typeof token !== "string") return null
  const match = tokenPattern.exec(token.trim())
  return match ? { keyId: match[1]!, secret: match[2]! } : null
}

/** The displayable prefix of a key: `amt_<keyId>…`. */
export const prefix = (keyId: string): string => `amt_${keyId}…`

/** The full token of a key id and secret. */
export const formatToken = (keyId: string, secret: string): string => `amt_${keyId}_${secret}`

const scryptParams = { N: 16384, r: 8, p: 1 } as const
const keyLength = 32

const derive = (secret: string, salt: Buffer): Effect.Effect<Buffer> =>
  Effect.async<Buffer>((resume) => {
    scrypt(secret, salt, keyLength, scryptParams, (error, key) => {
      // Only out-of-memory style failures end up here; they are defects, not bad input.
      if (error) resume(Effect.die(error))
      else resume(Effect.succeed(key))
    })
  })

/** scrypt hash of a secret (N=16384, r=8, p=1, 16-byte salt, 32-byte key) as `scrypt$<salt>$<hash>`. */
export const hashSecret = (secret: string): Effect.Effect<string> =>
  Effect.suspend(() => {
    const salt = randomBytes(16)
    return Effect.map(
      derive(secret, salt),
      (key) => `scrypt$${salt.toString("base64")}$${key.toString("base64")}`
    )
  })

/** Whether `secret` matches a stored `scrypt$…` hash; compared in constant time, false for a malformed hash. */
export const verifySecret = (secret: string, stored: string): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const parts = typeof stored === "string" ? stored.split("$") : []
    if (parts.length !== 3 || parts[0] !== "scrypt") return Effect.succeed(false)
    const salt = Buffer.from(parts[1]!, "base64")
    const expected = Buffer.from(parts[2]!, "base64")
    if (salt.length === 0 || expected.length !== keyLength) return Effect.succeed(false)
    return Effect.map(derive(secret, salt), (key) => timingSafeEqual(key, expected))
  })

/** A 12-character [a-z0-9] key id drawn from `Ids`, so tests get predictable ids. */
const newKeyId = Effect.map(
  Effect.flatMap(Ids, (ids) => ids.token(16)),
  (random) => {
    // Hashing spreads any token (even a sequential test token) evenly over the alphabet.
    const digest = createHash("sha256").update(random).digest()
    let id = ""
    for (let i = 0; i < 12; i++) id += keyIdAlphabet[digest[i]! % keyIdAlphabet.length]
    return id
  }
)

/** The view of a stored key. */
export const toView = (key: ApiKey): ApiKeyView => ({
  id: key.id,
  name: key.name,
  prefix: prefix(key.id),
  role: key.role,
  createdBy: key.createdBy,
  createdAt: key.createdAt,
  lastUsedAt: key.lastUsedAt
})

const mint = (orgId: string, name: string, role: Role, createdBy: string | null) =>
  Effect.gen(function* () {
    const store = yield* OrgStore
    const ids = yield* Ids
    const keyId = yield* newKeyId
    const secret = yield* ids.token(secretBytes)
    const key: ApiKey = {
      id: keyId,
      orgId,
      name,
      role,
      createdBy,
      secretHash: yield* hashSecret(secret),
      createdAt: yield* now,
      lastUsedAt: null
    }
    yield* store.createApiKey(key)
    return { key: toView(key), token: formatToken(keyId, secret) }
  })

/**
 * Creates a key in the caller's organization and returns its token (shown once). The key's role
 * is frozen now: at most the caller's own role, the caller's role when not given.
 */
export const create = (
  caller: Caller,
  input: unknown
): Effect.Effect<
  { key: ApiKeyView; token: string },
  ValidationFailed | ForbiddenRole | StoreError,
  OrgStore | Ids
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "keys.write")
    // Checked field by field, so a request body is passed as it came: `{ name, role? }`.
    const fields = (typeof input === "object" && input !== null ? input : {}) as {
      readonly name?: unknown
      readonly role?: unknown
    }
    const name = typeof fields.name === "string" ? fields.name.trim() : ""
    const errors: FieldError[] = []
    if (name.length === 0) errors.push({ field: "name", message: "A key needs a name" })
    else if (name.length > 200) errors.push({ field: "name", message: "At most 200 characters" })
    const given = fields.role ?? caller.actor.role
    const role = Schema.is(Role)(given) ? given : null
    if (role === null) errors.push({ field: "role", message: "Expected viewer, editor, admin or owner" })
    if (errors.length > 0 || role === null) return yield* Effect.fail(validationFailed(errors))
    if (!Roles.atLeast(caller.actor.role, role)) {
      return yield* Effect.fail(
        new ForbiddenRole({
          message: `A key's role may not exceed its creator's: cannot create a ${role} key with the ${caller.actor.role} role.`,
          required: role,
          actual: caller.actor.role
        })
      )
    }
    return yield* mint(caller.orgId, name, role, caller.actor.memberId)
  }).pipe(Effect.withSpan("ApiKeys.create", { attributes: { "armature.org_id": caller.orgId } }))

/** The keys of the caller's organization, without their hashes. */
export const list = (
  caller: Caller,
  page?: Pages.PageRequest
): Effect.Effect<Pages.Page<ApiKeyView>, ForbiddenRole | ValidationFailed | StoreError, OrgStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "keys.read")
    const store = yield* OrgStore
    return yield* Pages.read(
      page,
      (query) => store.listApiKeys(caller.orgId, query),
      (keys) => keys.map(toView)
    )
  }).pipe(Effect.withSpan("ApiKeys.list", { attributes: { "armature.org_id": caller.orgId } }))

/** Deletes a key of the caller's organization; it stops working on the next request. */
export const revoke = (
  caller: Caller,
  keyId: string
): Effect.Effect<void, ForbiddenRole | NotFound | StoreError, OrgStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "keys.write")
    const store = yield* OrgStore
    const existed = yield* store.deleteApiKey(caller.orgId, keyId)
    if (!existed) {
      return yield* notFound("api_key", keyId)
    }
  }).pipe(
    Effect.withSpan("ApiKeys.revoke", {
      attributes: { "armature.org_id": caller.orgId, "armature.api_key_id": keyId }
    })
  )

/**
 * Tokens already verified, so a client's every request does not pay scrypt again (~40 ms of CPU
 * each: it would cap a server at a few dozen requests per second). Entries map the SHA-256 of a
 * token to the stored hash it was verified against; a hit counts only while the stored key still
 * has that hash, so a revoked key (row gone) stops working on its next request as before.
 * Optional: without it in the context every request is verified with scrypt.
 */
export class VerifiedTokens extends Context.Tag("@armature/core/ApiKeys/VerifiedTokens")<
  VerifiedTokens,
  {
    readonly get: (digest: string) => string | undefined
    readonly set: (digest: string, secretHash: string) => void
  }
>() {}

/** `VerifiedTokens` in memory, holding at most `capacity` tokens (least recently used go first). */
export const verifiedTokensLayer = (capacity = 10_000): Layer.Layer<VerifiedTokens> =>
  Layer.sync(VerifiedTokens, () => {
    const entries = new Map<string, string>()
    return {
      get: (digest) => {
        const hash = entries.get(digest)
        if (hash !== undefined) {
          // Re-insert: a Map iterates in insertion order, so the oldest entry is the least recent.
          entries.delete(digest)
          entries.set(digest, hash)
        }
        return hash
      },
      set: (digest, secretHash) => {
        entries.delete(digest)
        entries.set(digest, secretHash)
        if (entries.size > capacity) entries.delete(entries.keys().next().value!)
      }
    }
  })

const tokenDigest = (token: string) => createHash("sha256").update(token).digest("base64")

/** How fresh `lastUsedAt` is kept: a key's use is written at most once in this long. */
export const LAST_USED_RESOLUTION_MS = 60_000

/** A hash no secret matches, verified against when the key id is unknown so both paths cost the same. */
let dummyHash: string | undefined

/**
 * Resolves a bearer token to its organization, key and actor (with the lower of the key's role
 * and its member's current role), and records the use. Malformed,
 * unknown and wrong tokens fail alike, with a message that never repeats the token.
 */
export const authenticate = (
  token: string
): Effect.Effect<
  { orgId: string; key: ApiKey; actor: Actor; readOnly: boolean },
  Unauthenticated | StoreError,
  OrgStore
> =>
  Effect.gen(function* () {
    // Built only on failure: an error captures a stack trace, which every valid request would pay.
    const invalid = Effect.suspend(() =>
      Effect.fail(new Unauthenticated({ message: "Invalid or revoked API key." }))
    )
    const parsed = parseToken(token)
    if (parsed === null) return yield* invalid
    const store = yield* OrgStore
    const found = yield* store.getApiKeyWithCreatorRole(parsed.keyId)
    if (Option.isNone(found)) {
      // Spend the same scrypt work as for a known key, so timing does not reveal which key ids exist.
      dummyHash ??= yield* hashSecret("armature-dummy-secret")
      yield* verifySecret(parsed.secret, dummyHash)
      return yield* invalid
    }
    const { key, creatorRole } = found.value
    const verified = yield* Effect.serviceOption(VerifiedTokens)
    const digest = tokenDigest(formatToken(parsed.keyId, parsed.secret))
    const known = Option.isSome(verified) && verified.value.get(digest) === key.secretHash
    if (!known) {
      if (!(yield* verifySecret(parsed.secret, key.secretHash))) return yield* invalid
      if (Option.isSome(verified)) verified.value.set(digest, key.secretHash)
    }
    // A key acts with the lower of its own role and its member's current one: a demoted member's
    // keys are demoted with them, and a removed member's keys (deleted with them) never act.
    let role = key.role
    if (key.createdBy !== null) {
      if (creatorRole === null) return yield* invalid
      role = Roles.lower(role, creatorRole)
    }
    const at = yield* now
    // Recorded to the minute: a busy key would otherwise write its row on every request, and
    // every request of that key would queue on the row's lock.
    const stale =
      key.lastUsedAt === null || at.getTime() - key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS
    if (stale) yield* store.touchApiKey(key.id, at)
    return {
      orgId: key.orgId,
      key: { ...key, lastUsedAt: stale ? at : key.lastUsedAt },
      actor: { keyId: key.id, memberId: key.createdBy, role },
      // Whether the workspace's subscription lapsed; the interfaces refuse writes by it (`Caller.readOnly`).
      readOnly: yield* Plans.isReadOnly(key.orgId)
    }
  }).pipe(Effect.withSpan("ApiKeys.authenticate"))

/** Mints a key without a role check, for the server's first start when no key exists yet. */
export const mintForBootstrap = (
  orgId: string,
  name: string,
  role: Role,
  createdBy: string | null
): Effect.Effect<{ key: ApiKeyView; token: string }, StoreError, OrgStore | Ids> =>
  mint(orgId, name, role, createdBy).pipe(
    Effect.withSpan("ApiKeys.mintForBootstrap", { attributes: { "armature.org_id": orgId } })
  )
