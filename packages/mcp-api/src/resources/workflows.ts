/** The workflow resource (SPEC §9.4): the spec a proposal starts from, and how it got there. */
import { Workflow, Workflows, WorkflowVersion } from "@armature/core"
import { Effect, Schema } from "effect"
import { define } from "../Resource.js"

/** A version in the list: who made it and when; its spec is the current one or an older one. */
const VersionEntry = WorkflowVersion.pick("id", "version", "createdBy", "createdAt")

export const workflow = define({
  uri: "armature://workflows/{id}",
  name: "workflow",
  title: "Workflow",
  description:
    "A workflow with its current spec (`currentVersionId` is the `baseVersionId` of a proposal) and its " +
    "versions, newest first.",
  output: Schema.Struct({ workflow: Workflow, versions: Schema.Array(VersionEntry) }),
  read: (caller, id) =>
    Effect.all({ workflow: Workflows.get(caller, id), versions: Workflows.versions(caller, id) }).pipe(
      Effect.map(({ workflow, versions }) => ({
        workflow,
        versions: versions.map((v) => ({
          id: v.id,
          version: v.version,
          createdBy: v.createdBy,
          createdAt: v.createdAt
        }))
      }))
    )
})
