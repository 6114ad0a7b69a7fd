/**
 * The auth profiles of a file's server entry. Profiles are immutable: one whose settings differ
 * from the stored one is an error (give the new settings a new name); one whose `tokenEnv` holds
 * another secret than the stored one has its secret replaced; new ones are created.
 */
import { Effect, Option, Redacted } from "effect"
import type { ServerEntry } from "../ConfigFile.js"
import type { Caller } from "../domain/Audit.js"
import type { McpServer } from "../domain/McpServer.js"
import type { FieldError } from "../Errors.js"
import { type AuthProfileInput, checkAuthProfile, secretOf } from "../internal/serverInput.js"
import * as Servers from "../Servers.js"
import { fromEnv, type Refs, readSecret } from "./current.js"
import { changedFields, type Step } from "./plan.js"

type ProfileEntry = ServerEntry["authProfiles"][number]

/** A profile to create, with the input `Servers` takes for it. */
export interface NewProfile {
  readonly name: string
  readonly field: string
  readonly input: Record<string, unknown>
}

/** The settings of a profile that cannot change in place, as the file and the store both give them. */
const profileSettings = (p: {
  readonly kind: string
  readonly headerName?: string | null | undefined
  readonly tokenUrl?: string | null | undefined
  readonly clientId?: string | null | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
}) => ({
  kind: p.kind,
  headerName: p.headerName ?? null,
  tokenUrl: p.tokenUrl ?? null,
  clientId: p.clientId ?? null,
  scopes: [...(p.scopes ?? [])]
})

/**
 * The input `Servers` takes for a profile of the file. Its secret comes from the environment
 * variable `tokenEnv` names (through Effect `Config`), never from the file.
 */
const profileInput = (entry: ProfileEntry, field: string) =>
  Effect.gen(function* () {
    const base = {
      name: entry.name,
      kind: entry.kind,
      ...(entry.headerName === undefined ? {} : { headerName: entry.headerName }),
      ...(entry.tokenUrl === undefined ? {} : { tokenUrl: entry.tokenUrl }),
      ...(entry.clientId === undefined ? {} : { clientId: entry.clientId }),
      ...(entry.scopes === undefined ? {} : { scopes: entry.scopes })
    }
    if (entry.kind === "none") return { input: base, secret: {}, errors: [] as FieldError[] }
    if (entry.tokenEnv === undefined) {
      return {
        input: base,
        secret: {},
        errors: [
          {
            field: `${field}.tokenEnv`,
            message: `names the environment variable holding the ${entry.kind} secret; required`
          }
        ]
      }
    }
    const secret = yield* fromEnv(entry.tokenEnv)
    if (Option.isNone(secret)) {
      return {
        input: base,
        secret: {},
        errors: [{ field: `${field}.tokenEnv`, message: `environment variable ${entry.tokenEnv} is not set` }]
      }
    }
    const key =
      entry.kind === "bearer" ? "token" : entry.kind === "api_key_header" ? "headerValue" : "clientSecret"
    const value = { [key]: Redacted.value(secret.value) }
    return { input: { ...base, ...value }, secret: value, errors: [] as FieldError[] }
  })

/**
 * The profiles of server entry `i`: steps and writes for stored ones whose secret the file
 * rotates, and the ones to create (with the server, or added to it), checked by the rules
 * `Servers` applies so that a file they refuse fails before any write.
 */
export const planProfiles = (
  caller: Caller,
  entry: ServerEntry,
  i: number,
  existing: McpServer | undefined,
  refs: Refs,
  allowInsecureHttp: boolean
) =>
  Effect.gen(function* () {
    const steps: Step[] = []
    const errors: FieldError[] = []
    const rotations: Array<{
      readonly field: string
      readonly write: ReturnType<typeof Servers.replaceAuthProfileSecret>
    }> = []
    const created: NewProfile[] = []
    for (const [j, p] of entry.authProfiles.entries()) {
      const field = `servers[${i}].authProfiles[${j}]`
      const stored = existing === undefined ? undefined : refs.profile(existing.id, p.name)
      if (stored !== undefined) {
        const changed = changedFields(profileSettings(p), profileSettings(stored))
        if (changed.length > 0) {
          errors.push({
            field,
            message: `auth profile "${p.name}" exists with other settings (${changed.join(", ")}); profiles cannot be changed in place — give the new settings a new profile name`
          })
        } else if (p.kind !== "none" && p.tokenEnv !== undefined) {
          // A rotated secret (or one the store can no longer read) is replaced in place.
          const { input, secret, errors: secretErrors } = yield* profileInput(p, field)
          errors.push(...secretErrors)
          const storedSecret =
            stored.secretRef === null ? undefined : yield* readSecret(caller.orgId, stored.secretRef)
          if (secretErrors.length === 0 && secretOf(input as AuthProfileInput) !== storedSecret) {
            steps.push({
              kind: "auth_profile",
              name: `${entry.name}/${p.name}`,
              action: "update",
              changes: ["secret"]
            })
            rotations.push({
              field,
              write: Servers.replaceAuthProfileSecret(caller, stored.serverId, stored.id, secret)
            })
          }
        }
        continue
      }
      const { input, errors: secretErrors } = yield* profileInput(p, field)
      errors.push(...secretErrors)
      // Without its secret the profile is already reported; checking it would only repeat that.
      if (secretErrors.length === 0) {
        errors.push(...checkAuthProfile(field, input as AuthProfileInput, allowInsecureHttp))
      }
      created.push({ name: p.name, field, input })
    }
    return { steps, errors, rotations, created }
  })
