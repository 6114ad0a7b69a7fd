import { Schema } from "effect"
import { Id, Timestamp } from "./Common.js"
import { Assertion, Limits, ModelId, Schedule, ToolPolicy, WorkflowSpec } from "./Workflow.js"

const position = Schema.Int.pipe(Schema.nonNegative())

/** Edits of the criteria list; positions are 0-based over the base version. */
export const CriteriaOp = Schema.Union(
  Schema.Struct({
    op: Schema.Literal("add"),
    text: Schema.String.pipe(Schema.minLength(1)),
    required: Schema.optional(Schema.Boolean),
    position: Schema.optional(position)
  }),
  Schema.Struct({
    op: Schema.Literal("update"),
    position,
    text: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
    required: Schema.optional(Schema.Boolean)
  }),
  Schema.Struct({ op: Schema.Literal("remove"), position })
)
export type CriteriaOp = typeof CriteriaOp.Type

/** The changes a proposal may make to a workflow (SPEC §9.3). */
export const WorkflowChanges = Schema.Struct({
  name: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  description: Schema.optional(Schema.String),
  prompt: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  testerModels: Schema.optional(Schema.Array(ModelId).pipe(Schema.minItems(1))),
  judgeModel: Schema.optional(ModelId),
  schedule: Schema.optional(Schema.NullOr(Schedule)),
  toolPolicy: Schema.optional(ToolPolicy),
  limits: Schema.optional(Limits),
  assertions: Schema.optional(Schema.Array(Assertion)),
  criteria: Schema.optional(Schema.Array(CriteriaOp))
})
export type WorkflowChanges = typeof WorkflowChanges.Type

/** One changed field: its path in the spec and the values before and after. */
export const FieldDiff = Schema.Struct({
  field: Schema.String,
  before: Schema.Unknown,
  after: Schema.Unknown
})
export type FieldDiff = typeof FieldDiff.Type

export const Proposal = Schema.Struct({
  id: Id,
  orgId: Id,
  /** `update` changes an existing workflow; `create` adds a new one (regression drafts). */
  kind: Schema.Literal("update", "create"),
  workflowId: Schema.NullOr(Id),
  baseVersionId: Schema.NullOr(Id),
  /** The complete spec that applying the proposal stores. */
  spec: WorkflowSpec,
  diff: Schema.Array(FieldDiff),
  rationale: Schema.String,
  evidence: Schema.Array(Schema.String),
  warnings: Schema.Array(Schema.String),
  createdBy: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  appliedAt: Schema.NullOr(Timestamp),
  appliedVersionId: Schema.NullOr(Id)
})
export type Proposal = typeof Proposal.Type
