import { Context, type Effect, type Option } from "effect"
import type { Workflow, WorkflowState, WorkflowVersion } from "../domain/Workflow.js"
import type { Conflict, StoreError, VersionConflict } from "../Errors.js"
import type { PageQuery } from "./Page.js"

/** Workflows and their immutable versions. */
export class WorkflowStore extends Context.Tag("@armature/core/WorkflowStore")<
  WorkflowStore,
  {
    /** Stores a new workflow with its first version. `Conflict` (field `name`) on a duplicate name. */
    readonly insertWorkflow: (
      workflow: Workflow,
      version: WorkflowVersion
    ) => Effect.Effect<void, Conflict | StoreError>
    /**
     * Appends a version and makes it current, only if the current version is still
     * `expectedCurrentVersionId` (checked atomically); otherwise `VersionConflict` (with an empty
     * `currentVersionId` when the workflow does not exist).
     */
    readonly appendVersion: (
      version: WorkflowVersion,
      expectedCurrentVersionId: string,
      updatedAt: Date
    ) => Effect.Effect<void, VersionConflict | Conflict | StoreError>
    readonly setState: (
      orgId: string,
      id: string,
      state: WorkflowState,
      at: Date
    ) => Effect.Effect<void, StoreError>
    readonly getWorkflow: (orgId: string, id: string) => Effect.Effect<Option.Option<Workflow>, StoreError>
    /** Archived workflows only with `includeArchived`. */
    readonly listWorkflows: (
      orgId: string,
      filter?: {
        readonly mcpServerId?: string
        readonly includeArchived?: boolean
        /** Only workflows in this state (`archived` needs `includeArchived`). */
        readonly state?: WorkflowState
        readonly page?: PageQuery
      }
    ) => Effect.Effect<ReadonlyArray<Workflow>, StoreError>
    readonly getVersion: (
      orgId: string,
      versionId: string
    ) => Effect.Effect<Option.Option<WorkflowVersion>, StoreError>
    /** Newest first. */
    readonly listVersions: (
      orgId: string,
      workflowId: string
    ) => Effect.Effect<ReadonlyArray<WorkflowVersion>, StoreError>
    /** Active workflows with a schedule, across organizations: the scheduler's input. */
    readonly listScheduled: Effect.Effect<ReadonlyArray<Workflow>, StoreError>
  }
>() {}
