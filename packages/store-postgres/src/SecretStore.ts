/**
 * The default `SecretStore`: AES-256-GCM under a key from configuration. Only ciphertext, IV,
 * tag and the id of the key are stored; several keys may decrypt (rotation), the first encrypts.
 * `SecretRotation` moves stored values to the first key.
 */
import { createHash, randomUUID } from "node:crypto"
import { SecretNotFound, SecretStore, StoreError } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Clock, Config, ConfigError, Data, Effect, Either, Layer, Redacted } from "effect"
import * as Cipher from "./internal/secretCipher.js"
import { orStoreError } from "./internal/sql.js"

/** A key given in configuration could not be used. */
export class InvalidSecretKey extends Data.TaggedError("InvalidSecretKey")<{ readonly message: string }> {}

/** A 256-bit key and its id (stored beside each ciphertext it produced). */
export interface Key {
  readonly id: string
  readonly material: Redacted.Redacted<Buffer>
}

/**
 * Parses a key: 32 bytes as base64 or hex, optionally prefixed `<id>:`. Without an id, the id is
 * a fingerprint of the key (it identifies the key without revealing it).
 */
export const parseKey = (text: string): Either.Either<Key, InvalidSecretKey> => {
  const trimmed = text.trim()
  const colon = trimmed.lastIndexOf(":")
  const id = colon > 0 ? trimmed.slice(0, colon) : undefined
  const encoded = colon > 0 ? trimmed.slice(colon + 1) : trimmed
  const bytes = /^[0-9a-fA-F]{64}$/.test(encoded)
    ? Buffer.from(encoded, "hex")
    : Buffer.from(encoded, "base64")
  if (bytes.length !== 32) {
    return Either.left(new InvalidSecretKey({ message: "a secret key must be 32 bytes, as base64 or hex" }))
  }
  const fingerprint = createHash("sha256")
    .update("armature-secret-key:")
    .update(bytes)
    .digest("hex")
    .slice(0, 16)
  return Either.right({ id: id ?? fingerprint, material: Redacted.make(bytes) })
}

/** The keys: the first encrypts new values; all of them decrypt. */
export interface Options {
  readonly keys: ReadonlyArray<Key>
}

/** Builds the store over the `secrets` table. */
export const make = (options: Options) =>
  Effect.gen(function* () {
    const current = options.keys[0]
    if (current === undefined) return yield* new InvalidSecretKey({ message: "no secret key configured" })
    const keys = new Map(options.keys.map((k) => [k.id, k]))
    const sql = yield* SqlClient.SqlClient

    const decrypt = (row: Cipher.Row) =>
      Effect.try({
        try: () => {
          const key = keys.get(row.key_id)
          if (key === undefined) throw new Error(`no configured key has id ${row.key_id}`)
          return Cipher.open(key, row.org_id, row.id, row)
        },
        catch: (cause) => new StoreError({ message: "a secret could not be decrypted", cause })
      })

    return SecretStore.of({
      put: (orgId, value) =>
        Effect.gen(function* () {
          const ref = randomUUID()
          const sealed = Cipher.seal(current, orgId, ref, Redacted.value(value))
          const now = new Date(yield* Clock.currentTimeMillis)
          yield* sql`INSERT INTO secrets ${sql.insert({
            id: ref,
            org_id: orgId,
            key_id: current.id,
            ...sealed,
            created_at: now
          })}`
          return ref
        }).pipe(orStoreError("SecretStore.put")),
      get: (orgId, ref) =>
        Effect.gen(function* () {
          const rows = yield* sql<Cipher.Row>`SELECT id, org_id, key_id, iv, tag, ciphertext FROM secrets
            WHERE org_id = ${orgId} AND id = ${ref}`
          const row = rows[0]
          if (row === undefined) return yield* new SecretNotFound({ message: "secret not found", ref })
          return Redacted.make(yield* decrypt(row))
        }).pipe(orStoreError("SecretStore.get")),
      delete: (orgId, ref) =>
        sql`DELETE FROM secrets WHERE org_id = ${orgId} AND id = ${ref}`.pipe(
          Effect.asVoid,
          orStoreError("SecretStore.delete")
        ),
      // An organization holds tens of secrets, so decrypting them all per check is cheap; a
      // value no configured key opens matches nothing rather than failing the caller.
      matching: (orgId, candidates) =>
        Effect.gen(function* () {
          const wanted = new Set(candidates)
          const found = new Set<string>()
          if (wanted.size === 0) return found
          const rows = yield* sql<Cipher.Row>`SELECT id, org_id, key_id, iv, tag, ciphertext FROM secrets
            WHERE org_id = ${orgId}`
          for (const row of rows) {
            const value = yield* Effect.option(decrypt(row))
            if (value._tag === "Some" && wanted.has(value.value)) found.add(value.value)
          }
          return found
        }).pipe(orStoreError("SecretStore.matching"))
    })
  })

/** Provides `SecretStore` from explicit keys and a `SqlClient`. */
export const layer = (options: Options): Layer.Layer<SecretStore, InvalidSecretKey, SqlClient.SqlClient> =>
  Layer.effect(SecretStore, make(options))

/**
 * Keys read by `config`, under whatever name the application gives it: one key, or several
 * comma-separated (older keys kept to decrypt during a rotation), each as `parseKey` reads it.
 */
export const keysFrom = (config: Config.Config<Redacted.Redacted>): Config.Config<ReadonlyArray<Key>> =>
  config.pipe(
    Config.mapOrFail((redacted) =>
      Either.all(
        Redacted.value(redacted)
          .split(",")
          .filter((part) => part.trim() !== "")
          .map((part) => Either.mapLeft(parseKey(part), (e) => ConfigError.InvalidData([], e.message)))
      )
    )
  )

/**
 * `layer` with its keys from configuration, e.g. the reference server's
 * `{ keys: PgSecretStore.keysFrom(Config.redacted("ARMATURE_SECRET_KEY")) }`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<SecretStore, InvalidSecretKey | ConfigError.ConfigError, SqlClient.SqlClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
