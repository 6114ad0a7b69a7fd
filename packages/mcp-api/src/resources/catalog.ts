/**
 * The two fixed resources (SPEC §9.4): what an agent needs before writing a workflow — the
 * models it may name and the shape of a spec.
 */
import { ModelCatalogEntry, Roles, WorkflowSpec, Workflows } from "@armature/core"
import { Effect, Schema } from "effect"
import { jsonSchemaOf } from "../internal/jsonSchema.js"
import { define } from "../Resource.js"

export const models = define({
  uri: "armature://catalog/models",
  name: "models",
  title: "Model catalog",
  description:
    "The language models this deployment can use as tester or judge (`testerModels`, `judgeModel` of a " +
    "workflow), with provider and prices in USD per million tokens.",
  output: Schema.Struct({ models: Schema.Array(ModelCatalogEntry) }),
  read: (caller) => Effect.map(Workflows.models(caller), (models) => ({ models }))
})

/** Built once: the spec's schema does not change while the process runs. */
const specJsonSchema = jsonSchemaOf(Schema.encodedSchema(WorkflowSpec))

export const workflowSchema = define({
  uri: "armature://schemas/workflow",
  name: "workflow-schema",
  title: "Workflow spec JSON Schema",
  description:
    "The JSON Schema (draft-07) of a workflow spec as it is written: prompt, criteria, models, schedule, " +
    "tool policy, limits, assertions. Fields with defaults may be left out.",
  output: Schema.Unknown,
  // Nothing of the organization's is read, but the spec is part of reading workflows.
  read: (caller) => Effect.as(Roles.authorize(caller.actor, "workflows.read"), specJsonSchema)
})
