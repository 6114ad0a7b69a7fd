/**
 * The workflows of a file: created when new, updated (a new version) only when their spec
 * differs from the stored one, so applying the same file twice makes no new version.
 */
import { Effect, Schema, Struct } from "effect"
import type { WorkflowEntry } from "../ConfigFile.js"
import type { Caller } from "../domain/Audit.js"
import { WorkflowSpec } from "../domain/Workflow.js"
import * as Workflows from "../Workflows.js"
import { idsOf, inFile, pending, profileIdOf, type Refs, type State } from "./current.js"
import { changedFields, compared, created, type Planned, type Step, sameName } from "./plan.js"

/** A workflow to create (no `existing`) or update, with the entry's field in the file. */
export interface WorkflowWrite {
  readonly entry: WorkflowEntry
  readonly existing: State["workflows"][number] | undefined
  readonly field: string
}

/** The spec a file entry asks for, encoded as stored. */
const workflowSpecOf = (entry: WorkflowEntry, serverId: string, authProfileId: string | null) =>
  Schema.encodeSync(WorkflowSpec)({
    ...Struct.omit(entry, "server", "authProfile"),
    mcpServerId: serverId,
    authProfileId
  })

/** The plan of the file's workflows; references to servers the plan creates compare as `pending`. */
export const planWorkflows = (
  entries: ReadonlyArray<WorkflowEntry>,
  state: State,
  refs: Refs
): Planned<WorkflowWrite> => {
  const steps: Step[] = []
  const writes: WorkflowWrite[] = []
  for (const [i, entry] of entries.entries()) {
    const server = refs.server(entry.server)
    const profile = refs.profile(server?.id, entry.authProfile)
    const existing = state.workflows.find((w) => sameName(w.spec.name, entry.name))
    if (existing === undefined) {
      steps.push(created("workflow", entry.name))
    } else {
      const serverId = server?.id ?? pending
      const desired = workflowSpecOf(entry, serverId, profileIdOf(entry, profile, serverId, existing.spec))
      const changes = changedFields(desired, Schema.encodeSync(WorkflowSpec)(existing.spec))
      steps.push(compared("workflow", entry.name, changes))
      if (changes.length === 0) continue
    }
    writes.push({ entry, existing, field: `workflows[${i}]` })
  }
  return { steps, errors: [], writes }
}

/** Creates or updates the workflows, their references resolved against the servers as written. */
export const writeWorkflows = (caller: Caller, writes: ReadonlyArray<WorkflowWrite>, after: Refs) =>
  Effect.gen(function* () {
    for (const write of writes) {
      const { serverId, profileId } = idsOf(after, write.entry, write.existing?.spec)
      const spec = workflowSpecOf(write.entry, serverId, profileId)
      const named = inFile(write.field)
      if (write.existing === undefined) yield* Effect.mapError(Workflows.create(caller, spec), named)
      else yield* Effect.mapError(Workflows.update(caller, write.existing.id, { spec }), named)
    }
  })
