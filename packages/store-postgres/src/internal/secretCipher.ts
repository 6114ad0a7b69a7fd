/**
 * AES-256-GCM sealing of one stored secret, shared by the `SecretStore` and rotation: a random
 * 96-bit IV per value, the organization and reference as authenticated data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { Redacted } from "effect"
import type { Key } from "../SecretStore.js"

/** What a `secrets` row holds besides its ids: all base64. */
export interface Sealed {
  readonly iv: string
  readonly tag: string
  readonly ciphertext: string
}

/** A `secrets` row as read for decryption. */
export interface Row extends Sealed {
  readonly id: string
  readonly org_id: string
  readonly key_id: string
}

// The organization and reference are authenticated data: a row copied elsewhere won't decrypt.
const aad = (orgId: string, ref: string) => Buffer.from(`${orgId}\u0000${ref}`, "utf8")

/** Encrypts `value` for the secret `ref` of `orgId`. */
export const seal = (key: Key, orgId: string, ref: string, value: string): Sealed => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", Redacted.value(key.material), iv)
  cipher.setAAD(aad(orgId, ref))
  const ciphertext = Buffer.concat([cipher.update(value, "utf8"), cipher.final()])
  return {
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    ciphertext: ciphertext.toString("base64")
  }
}

/** Decrypts a sealed value; throws when the key, the ids or the bytes do not match. */
export const open = (key: Key, orgId: string, ref: string, sealed: Sealed): string => {
  const decipher = createDecipheriv(
    "aes-256-gcm",
    Redacted.value(key.material),
    Buffer.from(sealed.iv, "base64")
  )
  decipher.setAAD(aad(orgId, ref))
  decipher.setAuthTag(Buffer.from(sealed.tag, "base64"))
  return Buffer.concat([
    decipher.update(Buffer.from(sealed.ciphertext, "base64")),
    decipher.final()
  ]).toString("utf8")
}
