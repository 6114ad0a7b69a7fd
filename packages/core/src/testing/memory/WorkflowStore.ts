import { type Context, Either, Option } from "effect"
import { nameKey } from "../../domain/Common.js"
import { type Conflict, type StoreError, VersionConflict } from "../../Errors.js"
import type { WorkflowStore } from "../../ports/WorkflowStore.js"
import { byCreation, conflict, type Db, pageOf, rowOf, rowsOf, type Tables } from "./Tables.js"

/** Names are unique among the workflows that are not archived. */
const workflowNameTaken = (t: Tables, orgId: string, name: string, id: string) =>
  rowsOf(
    t.workflows,
    orgId,
    (w) => w.id !== id && w.state !== "archived" && nameKey(w.spec.name) === nameKey(name)
  ).length > 0

/** In-memory `WorkflowStore`. */
export const makeWorkflowStore = (db: Db): Context.Tag.Service<WorkflowStore> => ({
  insertWorkflow: (workflow, version) =>
    db.attempt((t) => {
      if (t.workflows.has(workflow.id)) return Either.left(conflict("id", "workflow id already exists"))
      if (t.workflowVersions.has(version.id))
        return Either.left(conflict("versionId", "version id already exists"))
      if (workflowNameTaken(t, workflow.orgId, workflow.spec.name, workflow.id)) {
        return Either.left(conflict("name", `a workflow named "${workflow.spec.name}" exists`))
      }
      t.workflows.set(workflow.id, workflow)
      t.workflowVersions.set(version.id, version)
      return Either.void
    }),
  appendVersion: (version, expectedCurrentVersionId, updatedAt) =>
    db.attempt<void, VersionConflict | Conflict | StoreError>((t) => {
      const workflow = rowOf(t.workflows, version.orgId, version.workflowId)
      if (workflow === undefined) {
        return Either.left(
          new VersionConflict({
            message: "the workflow does not exist",
            expectedVersionId: expectedCurrentVersionId,
            currentVersionId: ""
          })
        )
      }
      if (workflow.currentVersionId !== expectedCurrentVersionId) {
        return Either.left(
          new VersionConflict({
            message: "the workflow changed after the version this change was based on",
            expectedVersionId: expectedCurrentVersionId,
            currentVersionId: workflow.currentVersionId
          })
        )
      }
      if (t.workflowVersions.has(version.id))
        return Either.left(conflict("versionId", "version id already exists"))
      if (
        rowsOf(
          t.workflowVersions,
          version.orgId,
          (v) => v.workflowId === version.workflowId && v.version === version.version
        ).length > 0
      ) {
        return Either.left(conflict("version", `version ${version.version} exists`))
      }
      if (workflowNameTaken(t, version.orgId, version.spec.name, workflow.id)) {
        return Either.left(conflict("name", `a workflow named "${version.spec.name}" exists`))
      }
      t.workflowVersions.set(version.id, version)
      t.workflows.set(workflow.id, {
        ...workflow,
        currentVersionId: version.id,
        version: version.version,
        spec: version.spec,
        updatedAt
      })
      return Either.void
    }),
  setState: (orgId, id, state, at) =>
    db.run((t) => {
      const workflow = rowOf(t.workflows, orgId, id)
      if (workflow !== undefined) t.workflows.set(id, { ...workflow, state, updatedAt: at })
    }),
  getWorkflow: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.workflows, orgId, id))),
  listWorkflows: (orgId, filter) =>
    db.run((t) =>
      pageOf(
        rowsOf(
          t.workflows,
          orgId,
          (w) =>
            (filter?.mcpServerId === undefined || w.spec.mcpServerId === filter.mcpServerId) &&
            (filter?.includeArchived === true || w.state !== "archived") &&
            (filter?.state === undefined || w.state === filter.state)
        ).sort(byCreation),
        filter?.page
      )
    ),
  getVersion: (orgId, versionId) =>
    db.run((t) => Option.fromNullable(rowOf(t.workflowVersions, orgId, versionId))),
  listVersions: (orgId, workflowId) =>
    db.run((t) =>
      rowsOf(t.workflowVersions, orgId, (v) => v.workflowId === workflowId).sort(
        (a, b) => b.version - a.version
      )
    ),
  listScheduled: db.run((t) =>
    Array.from(t.workflows.values())
      .filter((w) => w.state === "active" && w.spec.schedule !== null)
      .sort(byCreation)
  )
})
