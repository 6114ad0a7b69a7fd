/**
 * The servers of a file: registered when new (with their profiles), updated when their connection
 * settings differ, with the profiles the file adds or rotates. Planned first and written first,
 * since everything else refers to them.
 */
import { Effect, Struct } from "effect"
import type { ServerEntry } from "../ConfigFile.js"
import type { Caller } from "../domain/Audit.js"
import type { McpServer } from "../domain/McpServer.js"
import type { FieldError } from "../Errors.js"
import { checkRegistration } from "../internal/serverInput.js"
import * as Servers from "../Servers.js"
import { planProfiles } from "./authProfiles.js"
import { inFile, type Refs, readSecret } from "./current.js"
import { changedFields, compared, created, type Planned, type Step } from "./plan.js"

type ServerUseCase =
  | ReturnType<typeof Servers.register>
  | ReturnType<typeof Servers.update>
  | ReturnType<typeof Servers.addAuthProfile>
  | ReturnType<typeof Servers.replaceAuthProfileSecret>

/** One use-case call the file's servers need, with the field of the file its errors are named under. */
export interface ServerWrite {
  readonly field: string
  readonly write: Effect.Effect<
    unknown,
    Effect.Effect.Error<ServerUseCase>,
    Effect.Effect.Context<ServerUseCase>
  >
}

/** The connection settings a server entry asks for, in the shape `Servers.update` takes. */
const connectionOf = (entry: ServerEntry) => ({
  transport: entry.transport,
  baseUrl: entry.transport === "stdio" ? null : (entry.baseUrl ?? null),
  command: entry.transport === "stdio" ? (entry.command ?? null) : null,
  args: entry.args ?? [],
  env: entry.env ?? {},
  extraHeaders: entry.extraHeaders ?? {}
})

/** Stored stdio environment values are secret references; compare what they hold. */
const storedEnv = (server: McpServer) =>
  Effect.gen(function* () {
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(server.env)) {
      env[key] = value.startsWith("secret:")
        ? // An unreadable secret counts as different, so apply writes it again.
          ((yield* readSecret(server.orgId, value.slice("secret:".length))) ?? `${value} (unreadable)`)
        : value
    }
    return env
  })

/** The steps, errors and writes of server entry `i` and its auth profiles. */
const planServer = (caller: Caller, entry: ServerEntry, i: number, refs: Refs, allowInsecureHttp: boolean) =>
  Effect.gen(function* () {
    const existing = refs.server(entry.name)
    const connection = connectionOf(entry)
    // The rules `Servers` applies, checked here so that a file they refuse fails before any
    // write (not halfway through) and names its fields as in the file.
    const errors: FieldError[] = checkRegistration(
      { name: entry.name, ...connection, authProfiles: [] },
      allowInsecureHttp
    ).map((e) => ({ field: `servers[${i}].${e.field}`, message: e.message }))
    const profiles = yield* planProfiles(caller, entry, i, existing, refs, allowInsecureHttp)
    errors.push(...profiles.errors)
    const steps: Step[] = [...profiles.steps]
    const writes: ServerWrite[] = [...profiles.rotations]
    const profileCreated = (p: { readonly name: string }) =>
      created("auth_profile", `${entry.name}/${p.name}`)
    if (existing === undefined) {
      steps.push(created("server", entry.name), ...profiles.created.map(profileCreated))
      writes.push({
        field: `servers[${i}]`,
        write: Servers.register(caller, {
          name: entry.name,
          ...connection,
          authProfiles: profiles.created.map((p) => p.input)
        })
      })
      return { steps, errors, writes }
    }
    // A stdio server registered before launches needed approval (or by an API caller) is
    // approved by the operator's apply: an update even when its settings are the same.
    const desired = { ...connection, ...(entry.transport === "stdio" ? { launchApproved: true } : {}) }
    const changes = changedFields(desired, { ...existing, env: yield* storedEnv(existing) })
    steps.push(compared("server", entry.name, changes))
    if (changes.length > 0) {
      const fields = changes.filter((key): key is keyof typeof connection => key in connection)
      writes.push({
        field: `servers[${i}]`,
        write: Servers.update(caller, existing.id, Struct.pick(connection, ...fields))
      })
    }
    for (const p of profiles.created) {
      steps.push(profileCreated(p))
      writes.push({ field: p.field, write: Servers.addAuthProfile(caller, existing.id, p.input) })
    }
    return { steps, errors, writes }
  })

/** The plan of the file's servers, entry by entry. */
export const planServers = (
  caller: Caller,
  entries: ReadonlyArray<ServerEntry>,
  refs: Refs,
  allowInsecureHttp: boolean
) =>
  Effect.gen(function* () {
    const steps: Step[] = []
    const errors: FieldError[] = []
    const writes: ServerWrite[] = []
    for (const [i, entry] of entries.entries()) {
      const planned = yield* planServer(caller, entry, i, refs, allowInsecureHttp)
      steps.push(...planned.steps)
      errors.push(...planned.errors)
      writes.push(...planned.writes)
    }
    return { steps, errors, writes } satisfies Planned<ServerWrite>
  })

/** Carries out the server writes in order, their field errors named as in the file. */
export const writeServers = (writes: ReadonlyArray<ServerWrite>) =>
  Effect.gen(function* () {
    for (const { field, write } of writes) yield* Effect.mapError(write, inFile(field))
  })
