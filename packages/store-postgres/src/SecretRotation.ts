/**
 * Re-encryption of every stored secret under the current key, so that older keys can be dropped
 * from configuration. Safe beside running servers: it reads the `secrets` table in batches by
 * primary key and rewrites each row in one statement only if the row is still what was read, so
 * a secret replaced or deleted meanwhile is left to whoever changed it, and no lock is held
 * between statements. Running it again is harmless: what is current is only counted.
 */
import type { StoreError } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import * as Cipher from "./internal/secretCipher.js"
import { json, orStoreError } from "./internal/sql.js"
import { InvalidSecretKey, type Key } from "./SecretStore.js"

/** The keys of the deployment and the size of a batch. */
export interface Options {
  /** Current key first (it encrypts); every key may decrypt. */
  readonly keys: ReadonlyArray<Key>
  /** Secrets read and rewritten per statement (default 100). */
  readonly batchSize?: number
}

/** A stored secret that no configured key decrypts. It is left as it is. */
export interface Unreadable {
  readonly orgId: string
  readonly ref: string
  /** The id of the key it names (a fingerprint or a configured id; never key material). */
  readonly keyId: string
}

/** What a rotation did. */
export interface Summary {
  /** The id of the current key, which every rewritten secret now names. */
  readonly keyId: string
  readonly reencrypted: number
  readonly alreadyCurrent: number
  readonly unreadable: ReadonlyArray<Unreadable>
  /** Secrets that changed or went away between being read and being rewritten (left to their writer). */
  readonly changedMeanwhile: number
  /**
   * Secrets under another key once the pass ended, not counting the unreadable ones: written
   * during the pass by a process that still encrypts with an older key. Drop no key while > 0.
   */
  readonly remaining: number
}

interface Update {
  readonly id: string
  readonly old_key_id: string
  readonly old_iv: string
  readonly key_id: string
  readonly iv: string
  readonly tag: string
  readonly ciphertext: string
}

/**
 * Re-encrypts every secret of every organization that is not under the current key (the first
 * of `keys`). A secret no configured key decrypts is reported in the summary, never rewritten.
 */
export const run = (
  options: Options
): Effect.Effect<Summary, InvalidSecretKey | StoreError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const current = options.keys[0]
    if (current === undefined) return yield* new InvalidSecretKey({ message: "no secret key configured" })
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 100))
    const sql = yield* SqlClient.SqlClient

    // The key a row names first, then the others: a key configured under another id than the
    // one it was written with (a fingerprint before, an explicit id now) still opens its rows.
    const openRow = (row: Cipher.Row): string | undefined => {
      const named = options.keys.filter((k) => k.id === row.key_id)
      for (const key of [...named, ...options.keys.filter((k) => k.id !== row.key_id)]) {
        try {
          return Cipher.open(key, row.org_id, row.id, row)
        } catch {
          // not this key: try the next
        }
      }
      return undefined
    }

    let reencrypted = 0
    let alreadyCurrent = 0
    let changedMeanwhile = 0
    const unreadable: Array<Unreadable> = []
    let cursor = ""
    for (;;) {
      const rows = yield* sql<Cipher.Row>`SELECT id, org_id, key_id, iv, tag, ciphertext FROM secrets
        WHERE id > ${cursor} ORDER BY id LIMIT ${batchSize}`
      const last = rows[rows.length - 1]
      if (last === undefined) break
      cursor = last.id
      const updates: Array<Update> = []
      for (const row of rows) {
        const value = openRow(row)
        if (value === undefined) {
          unreadable.push({ orgId: row.org_id, ref: row.id, keyId: row.key_id })
        } else if (row.key_id === current.id) {
          alreadyCurrent++
        } else {
          updates.push({
            id: row.id,
            old_key_id: row.key_id,
            old_iv: row.iv,
            key_id: current.id,
            ...Cipher.seal(current, row.org_id, row.id, value)
          })
        }
      }
      if (updates.length > 0) {
        // One statement per batch; each row is rewritten only if it still holds what was read.
        const updated = yield* sql<{ id: string }>`UPDATE secrets AS s
          SET key_id = u.key_id, iv = u.iv, tag = u.tag, ciphertext = u.ciphertext
          FROM json_to_recordset(${json(updates)}::json)
            AS u(id text, old_key_id text, old_iv text, key_id text, iv text, tag text, ciphertext text)
          WHERE s.id = u.id AND s.key_id = u.old_key_id AND s.iv = u.old_iv
          RETURNING s.id`
        reencrypted += updated.length
        changedMeanwhile += updates.length - updated.length
      }
      if (rows.length < batchSize) break
    }

    const left = yield* sql<{ count: number }>`SELECT count(*)::int AS count FROM secrets
      WHERE key_id <> ${current.id}
        AND id NOT IN (SELECT json_array_elements_text(${json(unreadable.map((u) => u.ref))}::json))`
    return {
      keyId: current.id,
      reencrypted,
      alreadyCurrent,
      unreadable,
      changedMeanwhile,
      remaining: left[0]?.count ?? 0
    }
  }).pipe(orStoreError("SecretRotation.run"))
