/** Building and storing workflow records, shared by `Workflows` and `Proposals.apply`. */
import { Effect } from "effect"
import type { Actor } from "../domain/Audit.js"
import type { Workflow, WorkflowSpec, WorkflowVersion } from "../domain/Workflow.js"
import { Ids } from "../ports/Ids.js"
import { WorkflowStore } from "../ports/WorkflowStore.js"
import { newId } from "./ids.js"
import { notFound, orNotFound } from "./notFound.js"

/** Who an edit is attributed to: the API key, else the member; `null` for the system. */
export const editorOf = (actor: Actor): string | null => actor.keyId ?? actor.memberId

/** Loads a workflow of the organization or fails with `workflow_not_found`. */
export const loadWorkflow = (orgId: string, id: string) =>
  Effect.flatMap(WorkflowStore, (store) => store.getWorkflow(orgId, id)).pipe(orNotFound("workflow", id))

/**
 * Loads a workflow that can still change or run: an archived (deleted) one is
 * `workflow_not_found` for writes, while reads by id still show it with its runs.
 */
export const loadLiveWorkflow = (orgId: string, id: string) =>
  Effect.filterOrFail(
    loadWorkflow(orgId, id),
    (w) => w.state !== "archived",
    () =>
      notFound(
        "workflow",
        id,
        `Workflow ${id} is archived (deleted): it takes no edit or run; its runs stay readable`
      )
  )

/** A new workflow and its version 1 (not stored yet). */
export const newWorkflow = (orgId: string, spec: WorkflowSpec, createdBy: string | null, at: Date) =>
  Effect.gen(function* () {
    const ids = yield* Ids
    const workflowId = yield* ids.uuid
    const version: WorkflowVersion = {
      id: yield* ids.uuid,
      orgId,
      workflowId,
      version: 1,
      spec,
      createdBy,
      createdAt: at
    }
    const workflow: Workflow = {
      id: workflowId,
      orgId,
      currentVersionId: version.id,
      version: 1,
      state: "active",
      spec,
      createdAt: at,
      updatedAt: at
    }
    return { workflow, version }
  })

/** The version after the workflow's current one, and the workflow as it will read once it is stored. */
export const nextVersion = (
  workflow: Workflow,
  spec: WorkflowSpec,
  createdBy: string | null,
  at: Date,
  id?: string
) =>
  Effect.gen(function* () {
    const version: WorkflowVersion = {
      id: id ?? (yield* newId),
      orgId: workflow.orgId,
      workflowId: workflow.id,
      version: workflow.version + 1,
      spec,
      createdBy,
      createdAt: at
    }
    const updated: Workflow = {
      ...workflow,
      currentVersionId: version.id,
      version: version.version,
      spec,
      updatedAt: at
    }
    return { workflow: updated, version }
  })
