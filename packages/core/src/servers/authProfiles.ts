/**
 * A server's auth profiles: adding one (its secret goes to the SecretStore) and replacing the
 * secret of one. A profile's other settings never change in place.
 */
import { Effect, Option, Redacted, Schema } from "effect"
import type { Caller } from "../domain/Audit.js"
import { nameKey } from "../domain/Common.js"
import type { Conflict, ForbiddenRole, NotFound, StoreError, ValidationFailed } from "../Errors.js"
import { now } from "../internal/clock.js"
import {
  type AuthProfileInput,
  AuthProfileInput as AuthProfileInputSchema,
  checkAuthProfile,
  secretOf
} from "../internal/serverInput.js"
import { type AuthProfileView, profileView } from "../internal/serverProbe.js"
import { ServerPolicy } from "../internal/serverRecord.js"
import type { AlertStore } from "../ports/AlertStore.js"
import type { Ids } from "../ports/Ids.js"
import type { McpConnector } from "../ports/McpConnector.js"
import { SecretStore } from "../ports/SecretStore.js"
import { ServerStore } from "../ports/ServerStore.js"
import { Transactor } from "../ports/Transactor.js"
import * as Roles from "../Roles.js"
import { decode, failIfAny } from "../Validation.js"
import { annotateSpan, loadServer, profileNotFound, profilesOf } from "./records.js"
import { createProfile } from "./secrets.js"
import { guardedUrls, tokenUrls } from "./urlGuard.js"

/**
 * What writing and probing a server needs. Kept local (as in each sibling): an exported alias
 * from this folder would have to be named in the declarations of packages that infer these types.
 */
type Env = ServerStore | SecretStore | McpConnector | Ids | Transactor | AlertStore

/** Adds a named auth profile to a server; its secret goes to the SecretStore. */
export const addAuthProfile = Effect.fn("Servers.addAuthProfile")(function* (
  caller: Caller,
  serverId: string,
  input: unknown
): Effect.fn.Return<
  AuthProfileView,
  ForbiddenRole | NotFound | ValidationFailed | Conflict | StoreError,
  Env
> {
  yield* annotateSpan(caller.orgId, serverId)
  yield* Roles.authorize(caller.actor, "servers.write")
  const policy = yield* ServerPolicy
  const profile = yield* decode(AuthProfileInputSchema)(input)
  yield* loadServer(caller.orgId, serverId)
  const errors = [...checkAuthProfile("", profile, policy.allowInsecureHttp)]
  const existing = yield* profilesOf(caller.orgId, serverId)
  if (existing.some((p) => nameKey(p.name) === nameKey(profile.name))) {
    errors.push({ field: "name", message: "is used by another profile of this server" })
  }
  yield* failIfAny(errors)
  yield* guardedUrls(tokenUrls("", [profile]))
  const at = yield* now
  const tx = yield* Transactor
  return profileView(yield* tx.withTransaction(createProfile(caller.orgId, serverId, profile, at)))
})

/** What `replaceAuthProfileSecret` accepts: the profile kind's secret field, as at creation. */
export const SecretInput = AuthProfileInputSchema.pipe(Schema.pick("token", "headerValue", "clientSecret"))

/**
 * Replaces an auth profile's secret (a rotated token, header value or client secret) and deletes
 * the old one; the profile's other settings never change in place. The secret is checked by the
 * rules of a new profile of its kind, with fields named as there (`token`, `headerValue`,
 * `clientSecret`). Sessions opened with the old secret are not reused: the session pool keys on
 * the secret's reference.
 */
export const replaceAuthProfileSecret = Effect.fn("Servers.replaceAuthProfileSecret")(function* (
  caller: Caller,
  serverId: string,
  profileId: string,
  input: unknown
): Effect.fn.Return<
  AuthProfileView,
  ForbiddenRole | NotFound | ValidationFailed | StoreError,
  ServerStore | SecretStore | Transactor
> {
  yield* annotateSpan(caller.orgId, serverId)
  yield* Roles.authorize(caller.actor, "servers.write")
  const secretInput = yield* decode(SecretInput)(input)
  yield* loadServer(caller.orgId, serverId)
  const stored = yield* Effect.flatMap(ServerStore, (store) => store.getAuthProfile(caller.orgId, profileId))
  const profile = Option.getOrUndefined(Option.filter(stored, (p) => p.serverId === serverId))
  if (profile === undefined) return yield* profileNotFound(profileId)
  const merged: AuthProfileInput = {
    name: profile.name,
    kind: profile.kind,
    ...(profile.headerName === null ? {} : { headerName: profile.headerName }),
    ...(profile.tokenUrl === null ? {} : { tokenUrl: profile.tokenUrl }),
    ...(profile.clientId === null ? {} : { clientId: profile.clientId }),
    ...(profile.kind === "oauth_client_credentials" ? { scopes: profile.scopes } : {}),
    ...secretInput
  }
  const secret = secretOf(merged)
  yield* failIfAny([
    // The stored settings passed these rules when the profile was made; only the secret is new.
    ...checkAuthProfile("", merged, true),
    ...(profile.kind === "none"
      ? [{ field: "kind", message: "a none profile holds no secret to replace" }]
      : [])
  ])
  const tx = yield* Transactor
  return profileView(
    yield* tx.withTransaction(
      Effect.gen(function* () {
        const secrets = yield* SecretStore
        const secretRef = yield* secrets.put(caller.orgId, Redacted.make(secret!))
        yield* Effect.flatMap(ServerStore, (store) =>
          store.setAuthProfileSecret(caller.orgId, profile.id, secretRef)
        )
        if (profile.secretRef !== null) yield* secrets.delete(caller.orgId, profile.secretRef)
        return { ...profile, secretRef }
      })
    )
  )
})
