/**
 * Where a server's secrets go: profile secrets and stdio environment values are kept in the
 * `SecretStore`, and the records hold only their references.
 */
import { Effect, Redacted } from "effect"
import type { AuthProfile } from "../domain/McpServer.js"
import type { FieldError } from "../Errors.js"
import { type AuthProfileInput, secretOf } from "../internal/serverInput.js"
import { Ids } from "../ports/Ids.js"
import { SecretStore } from "../ports/SecretStore.js"
import { ServerStore } from "../ports/ServerStore.js"

/** Stores a profile's secret in the SecretStore and the profile with only its reference. */
export const createProfile = (orgId: string, serverId: string, input: AuthProfileInput, at: Date) =>
  Effect.gen(function* () {
    const secrets = yield* SecretStore
    const ids = yield* Ids
    const secret = secretOf(input)
    const profile: AuthProfile = {
      id: yield* ids.uuid,
      orgId,
      serverId,
      name: input.name,
      kind: input.kind,
      headerName: input.kind === "api_key_header" ? (input.headerName?.trim() ?? null) : null,
      tokenUrl: input.kind === "oauth_client_credentials" ? (input.tokenUrl?.trim() ?? null) : null,
      clientId: input.kind === "oauth_client_credentials" ? (input.clientId?.trim() ?? null) : null,
      scopes: input.kind === "oauth_client_credentials" ? (input.scopes ?? []) : [],
      secretRef: secret === null ? null : yield* secrets.put(orgId, Redacted.make(secret)),
      createdAt: at
    }
    yield* Effect.flatMap(ServerStore, (store) => store.insertAuthProfile(profile))
    return profile
  })

/** Stores each stdio environment value as a secret reference; values that already are one stay. */
export const envAsSecrets = (orgId: string, env: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    const secrets = yield* SecretStore
    const stored: Record<string, string> = {}
    for (const [key, value] of Object.entries(env)) {
      stored[key] = value.startsWith("secret:")
        ? value
        : `secret:${yield* secrets.put(orgId, Redacted.make(value))}`
    }
    return stored
  })

/**
 * Field errors for `secret:<ref>` values a server does not already hold. Such a value is kept as a
 * reference, so adopting another record's reference would share its secret — and deleting it when
 * this server's environment changes would break the other record. Only the server's own
 * references may be sent back; any other value must be given in plain text.
 */
export const foreignSecretRefs = (
  env: Readonly<Record<string, string>>,
  owned: Readonly<Record<string, string>>
): ReadonlyArray<FieldError> => {
  const own = new Set(Object.values(owned))
  return Object.entries(env)
    .filter(([, value]) => value.startsWith("secret:") && !own.has(value))
    .map(([key]) => ({
      field: `env.${key}`,
      message: "is a secret reference this server does not hold; give the value itself"
    }))
}
