import { randomUUID } from "node:crypto"
import { type Context, Either, Redacted } from "effect"
import { SecretNotFound, type SecretStore } from "../../ports/SecretStore.js"
import type { Db } from "./Tables.js"

/** In-memory `SecretStore`: a test double, so values are kept as given, not encrypted. */
export const makeSecretStore = (db: Db): Context.Tag.Service<SecretStore> => ({
  put: (orgId, value) =>
    db.run((t) => {
      const ref = randomUUID()
      t.secrets.set(ref, { orgId, value })
      return ref
    }),
  get: (orgId, ref) =>
    db.attempt((t) => {
      const secret = t.secrets.get(ref)
      return secret !== undefined && secret.orgId === orgId
        ? Either.right(secret.value)
        : Either.left(new SecretNotFound({ message: `no secret ${ref}`, ref }))
    }),
  delete: (orgId, ref) =>
    db.run((t) => {
      if (t.secrets.get(ref)?.orgId === orgId) t.secrets.delete(ref)
    }),
  matching: (orgId, candidates) =>
    db.run((t) => {
      const stored = new Set(
        [...t.secrets.values()].filter((s) => s.orgId === orgId).map((s) => Redacted.value(s.value))
      )
      return new Set(candidates.filter((c) => stored.has(c)))
    })
})
