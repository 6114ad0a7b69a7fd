/**
 * The monitors of a file: created when new, updated when their spec differs. What an entry leaves
 * out of `state` and `muted` stays as stored, so a file does not resume a paused monitor.
 */
import { Effect, Schema, Struct } from "effect"
import type { MonitorEntry } from "../ConfigFile.js"
import type { Caller } from "../domain/Audit.js"
import { MonitorSpec } from "../domain/Monitor.js"
import * as Monitors from "../Monitors.js"
import { idsOf, inFile, pending, profileIdOf, type Refs, type State } from "./current.js"
import { changedFields, compared, created, type Planned, type Step, sameName } from "./plan.js"

/** A monitor to create (no `existing`) or update, with the entry's field in the file. */
export interface MonitorWrite {
  readonly entry: MonitorEntry
  readonly existing: State["monitors"][number] | undefined
  readonly field: string
}

/** The monitor a file entry asks for; what it leaves out of `state` and `muted` stays as stored. */
const monitorSpecOf = (
  entry: MonitorEntry,
  serverId: string,
  authProfileId: string | null,
  stored?: Pick<MonitorSpec, "state" | "muted">
) =>
  Schema.encodeSync(MonitorSpec)({
    ...Struct.omit(entry, "server", "authProfile"),
    mcpServerId: serverId,
    authProfileId,
    state: entry.state ?? stored?.state ?? "active",
    muted: entry.muted ?? stored?.muted ?? false
  })

/** The plan of the file's monitors; references to servers the plan creates compare as `pending`. */
export const planMonitors = (
  entries: ReadonlyArray<MonitorEntry>,
  state: State,
  refs: Refs
): Planned<MonitorWrite> => {
  const steps: Step[] = []
  const writes: MonitorWrite[] = []
  for (const [i, entry] of entries.entries()) {
    const server = refs.server(entry.server)
    const profile = refs.profile(server?.id, entry.authProfile)
    const existing = state.monitors.find((m) => sameName(m.name, entry.name))
    if (existing === undefined) {
      steps.push(created("monitor", entry.name))
    } else {
      const serverId = server?.id ?? pending
      const desired = monitorSpecOf(
        entry,
        serverId,
        profileIdOf(entry, profile, serverId, existing),
        existing
      )
      const changes = changedFields(desired, Monitors.specOf(existing))
      steps.push(compared("monitor", entry.name, changes))
      if (changes.length === 0) continue
    }
    writes.push({ entry, existing, field: `monitors[${i}]` })
  }
  return { steps, errors: [], writes }
}

/** Creates or updates the monitors, their references resolved against the servers as written. */
export const writeMonitors = (caller: Caller, writes: ReadonlyArray<MonitorWrite>, after: Refs) =>
  Effect.gen(function* () {
    for (const write of writes) {
      const { serverId, profileId } = idsOf(after, write.entry, write.existing)
      const spec = monitorSpecOf(write.entry, serverId, profileId, write.existing)
      const named = inFile(write.field)
      if (write.existing === undefined) yield* Effect.mapError(Monitors.create(caller, spec), named)
      else yield* Effect.mapError(Monitors.update(caller, write.existing.id, spec), named)
    }
  })
