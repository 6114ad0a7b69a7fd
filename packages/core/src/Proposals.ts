/**
 * Proposals (SPEC §9.3): staged, validated, diffed changes to a workflow — or a new workflow, for
 * regression drafts — that take effect only through an explicit `apply` within 24 hours.
 */
import { Effect, Option, Schema } from "effect"
import type { Caller } from "./domain/Audit.js"
import { Id, Timestamp } from "./domain/Common.js"
import { FieldDiff, type Proposal, WorkflowChanges } from "./domain/Proposal.js"
import {
  type Conflict,
  type ForbiddenRole,
  type NotFound,
  ProposalAlreadyApplied,
  ProposalExpired,
  type QuotaExceeded,
  type StoreError,
  type ValidationFailed,
  VersionConflict,
  validationFailed
} from "./Errors.js"
import { now } from "./internal/clock.js"
import { newId } from "./internal/ids.js"
import { orNotFound } from "./internal/notFound.js"
import { applyChanges, changeWarnings, diffSpecs, mapOntoChanges } from "./internal/proposalChanges.js"
import { defaultName, regressionSpec } from "./internal/regressionDraft.js"
import { loadRun } from "./internal/runLookup.js"
import { checkSpec } from "./internal/workflowChecks.js"
import { editorOf, loadLiveWorkflow, newWorkflow, nextVersion } from "./internal/workflowRecords.js"
import * as Plans from "./Plans.js"
import type { Ids } from "./ports/Ids.js"
import type { LanguageModels } from "./ports/LanguageModels.js"
import { ProposalNotices } from "./ports/ProposalNotices.js"
import { ProposalStore } from "./ports/ProposalStore.js"
import type { RunStore } from "./ports/RunStore.js"
import type { ServerStore } from "./ports/ServerStore.js"
import { Transactor } from "./ports/Transactor.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

/** Hours a proposal stays applicable after it was staged. */
export const APPLY_WINDOW_HOURS = 24
/** Days after which unapplied proposals are deleted by the daily cleanup. */
export const RETENTION_DAYS = 7

const HOUR_MS = 3_600_000

/** Services the proposal use cases need. */
export type Env = WorkflowStore | ServerStore | LanguageModels | Ids | ProposalStore | RunStore | Transactor

/** Arguments of `propose_workflow_patch`. */
export const ProposeInput = Schema.Struct({
  workflowId: Id,
  baseVersionId: Id,
  rationale: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(10_000)),
  evidence: Schema.optional(Schema.Array(Schema.String.pipe(Schema.minLength(1))).pipe(Schema.maxItems(100))),
  changes: WorkflowChanges
})

/** Arguments of `draft_regression_workflow_from_run`. */
export const DraftInput = Schema.Struct({
  runId: Id,
  name: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)))
})

/** What staging returns (SPEC §9.1 `propose_workflow_patch`). */
export const Staged = Schema.Struct({
  proposalId: Schema.String,
  diff: Schema.Array(FieldDiff),
  warnings: Schema.Array(Schema.String),
  expiresAt: Timestamp
})
export type Staged = typeof Staged.Type

/** What applying returns (SPEC §9.1 `apply_workflow_change`). */
export const Applied = Schema.Struct({
  workflowId: Schema.String,
  versionId: Schema.String,
  version: Schema.Int
})
export type Applied = typeof Applied.Type

const versionConflict = (workflowId: string, baseVersionId: string, currentVersionId: string) =>
  new VersionConflict({
    message: `Workflow ${workflowId} changed after version ${baseVersionId} (current: ${currentVersionId}); stage the change again against the current version`,
    expectedVersionId: baseVersionId,
    currentVersionId
  })

/** Keys of `changes.limits` exactly as given, before decoding fills defaults in. */
const rawLimitKeys = (input: unknown): ReadonlyArray<string> => {
  const limits = (input as { changes?: { limits?: unknown } } | null)?.changes?.limits
  return typeof limits === "object" && limits !== null ? Object.keys(limits) : []
}

/** Stores a proposal that expires `APPLY_WINDOW_HOURS` after now and returns its summary. */
const store = (
  caller: Caller,
  fields: Pick<
    Proposal,
    "kind" | "workflowId" | "baseVersionId" | "spec" | "diff" | "rationale" | "evidence" | "warnings"
  >
) =>
  Effect.gen(function* () {
    const at = yield* now
    const proposal: Proposal = {
      ...fields,
      id: yield* newId,
      orgId: caller.orgId,
      createdBy: editorOf(caller.actor),
      createdAt: at,
      expiresAt: new Date(at.getTime() + APPLY_WINDOW_HOURS * HOUR_MS),
      appliedAt: null,
      appliedVersionId: null
    }
    yield* Effect.flatMap(ProposalStore, (proposals) => proposals.insertProposal(proposal))
    yield* Effect.flatMap(ProposalNotices, (notices) => notices.staged(proposal))
    return {
      proposalId: proposal.id,
      diff: proposal.diff,
      warnings: proposal.warnings,
      expiresAt: proposal.expiresAt
    } satisfies Staged
  })

/**
 * Stages a change of a workflow (`propose_workflow_patch`): validates `changes` against the base
 * version — which must be the current one — and the server's catalog, and stores the diff.
 */
export const propose = (
  caller: Caller,
  input: unknown
): Effect.Effect<Staged, ForbiddenRole | ValidationFailed | NotFound | VersionConflict | StoreError, Env> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "proposals.create")
    const args = yield* decode(ProposeInput)(input)
    const workflow = yield* loadLiveWorkflow(caller.orgId, args.workflowId)
    const base = yield* Effect.flatMap(WorkflowStore, (s) => s.getVersion(caller.orgId, args.baseVersionId))
    if (Option.isNone(base) || base.value.workflowId !== workflow.id) {
      return yield* Effect.fail(
        validationFailed([{ field: "baseVersionId", message: `Not a version of workflow ${workflow.id}` }])
      )
    }
    if (base.value.id !== workflow.currentVersionId) {
      return yield* Effect.fail(versionConflict(workflow.id, base.value.id, workflow.currentVersionId))
    }
    const applied = applyChanges(base.value.spec, args.changes, rawLimitKeys(input))
    const check = mapOntoChanges(yield* checkSpec(caller.orgId, applied.spec), applied.touched)
    const fieldErrors = [...applied.fieldErrors, ...check.fieldErrors]
    if (args.rationale.trim() === "") fieldErrors.push({ field: "rationale", message: "Must not be blank" })
    if (fieldErrors.length > 0) return yield* Effect.fail(validationFailed(fieldErrors, check.warnings))
    return yield* store(caller, {
      kind: "update",
      workflowId: workflow.id,
      baseVersionId: base.value.id,
      spec: applied.spec,
      diff: diffSpecs(base.value.spec, applied.spec),
      rationale: args.rationale,
      evidence: args.evidence ?? [],
      warnings: [...changeWarnings(base.value.spec, applied.spec), ...check.warnings]
    })
  }).pipe(Effect.withSpan("Proposals.propose", { attributes: { "armature.org_id": caller.orgId } }))

/**
 * Stages a proposal that creates a manual-only workflow reproducing a run
 * (`draft_regression_workflow_from_run`); see `regressionSpec` for what is kept.
 */
export const draftRegressionFromRun = (
  caller: Caller,
  input: { readonly runId: string; readonly name?: string | undefined }
): Effect.Effect<Staged, ForbiddenRole | ValidationFailed | NotFound | StoreError, Env> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "proposals.create")
    const args = yield* decode(DraftInput)(input)
    const run = yield* loadRun(caller.orgId, args.runId)
    const workflows = yield* WorkflowStore
    const version = yield* workflows
      .getVersion(caller.orgId, run.workflowVersionId)
      .pipe(
        orNotFound(
          "workflow_version",
          run.workflowVersionId,
          `Version ${run.workflowVersionId} of run ${run.id} no longer exists`
        )
      )
    const name = args.name?.trim() || defaultName(run)
    const draft = regressionSpec(run, version.spec, name)
    const check = yield* checkSpec(caller.orgId, draft.spec)
    // Only the name comes from the caller; anything else wrong comes from the run and is named on `runId`.
    const fieldErrors = check.fieldErrors.map((e) =>
      e.field === "name"
        ? e
        : { field: "runId", message: `The drafted workflow is invalid: ${e.field}: ${e.message}` }
    )
    const taken = yield* workflows.listWorkflows(caller.orgId)
    if (taken.some((w) => w.spec.name === name)) {
      fieldErrors.push({ field: "name", message: `A workflow named ${JSON.stringify(name)} already exists` })
    }
    if (fieldErrors.length > 0) return yield* Effect.fail(validationFailed(fieldErrors, check.warnings))
    return yield* store(caller, {
      kind: "create",
      workflowId: null,
      baseVersionId: null,
      spec: draft.spec,
      diff: diffSpecs(null, draft.spec),
      rationale: `Regression test for run ${run.id} (${run.status}) of workflow "${run.workflowName}".`,
      evidence: [run.id],
      warnings: [...draft.warnings, ...check.warnings]
    })
  }).pipe(
    Effect.withSpan("Proposals.draftRegressionFromRun", { attributes: { "armature.org_id": caller.orgId } })
  )

const loadProposal = (orgId: string, id: string) =>
  Effect.flatMap(ProposalStore, (proposals) => proposals.getProposal(orgId, id)).pipe(
    orNotFound("proposal", id)
  )

/** One proposal with its spec, diff, rationale, evidence and state. */
export const get = (
  caller: Caller,
  id: string
): Effect.Effect<Proposal, ForbiddenRole | NotFound | StoreError, ProposalStore> =>
  Effect.zipRight(Roles.authorize(caller.actor, "proposals.read"), loadProposal(caller.orgId, id)).pipe(
    Effect.withSpan("Proposals.get", {
      attributes: { "armature.org_id": caller.orgId, "armature.proposal_id": id }
    })
  )

/**
 * Applies a proposal (`apply_workflow_change`): appends the version (or creates the workflow)
 * and marks the proposal applied in one transaction. The mark is taken first and is atomic, so
 * of two concurrent applies exactly one wins and the other gets `proposal_already_applied`.
 */
export const apply = (
  caller: Caller,
  proposalId: string
): Effect.Effect<
  Applied,
  | ForbiddenRole
  | NotFound
  | ProposalAlreadyApplied
  | ProposalExpired
  | VersionConflict
  | Conflict
  | QuotaExceeded
  | StoreError,
  WorkflowStore | ProposalStore | Ids | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "proposals.apply")
    const proposal = yield* loadProposal(caller.orgId, proposalId)
    const alreadyApplied = new ProposalAlreadyApplied({
      message: `Proposal ${proposalId} was already applied`
    })
    if (proposal.appliedAt !== null) return yield* Effect.fail(alreadyApplied)
    const at = yield* now
    if (at.getTime() >= proposal.expiresAt.getTime()) {
      return yield* Effect.fail(
        new ProposalExpired({
          message: `Proposal ${proposalId} expired at ${proposal.expiresAt.toISOString()} (applicable for ${APPLY_WINDOW_HOURS} h); stage it again`
        })
      )
    }
    const workflows = yield* WorkflowStore
    const proposals = yield* ProposalStore
    const tx = yield* Transactor
    const editor = editorOf(caller.actor)
    const markApplied = (versionId: string) =>
      Effect.flatMap(proposals.markApplied(caller.orgId, proposalId, at, versionId), (marked) =>
        marked ? Effect.void : Effect.fail(alreadyApplied)
      )
    if (proposal.kind === "create" || proposal.workflowId === null || proposal.baseVersionId === null) {
      // A new workflow counts toward the plan as one made with `Workflows.create` does.
      yield* Plans.checkQuota(caller, "maxWorkflows")
      const created = yield* newWorkflow(caller.orgId, proposal.spec, editor, at)
      yield* tx.withTransaction(
        Effect.zipRight(
          markApplied(created.version.id),
          workflows.insertWorkflow(created.workflow, created.version)
        )
      )
      return { workflowId: created.workflow.id, versionId: created.version.id, version: 1 }
    }
    const { workflowId, baseVersionId } = proposal
    const versionId = yield* newId
    return yield* tx.withTransaction(
      Effect.gen(function* () {
        // Marking first means a concurrent apply of the same proposal waits on the mark and
        // then sees it taken, rather than racing to the version check.
        yield* markApplied(versionId)
        const workflow = yield* loadLiveWorkflow(caller.orgId, workflowId)
        if (workflow.currentVersionId !== baseVersionId) {
          return yield* Effect.fail(versionConflict(workflow.id, baseVersionId, workflow.currentVersionId))
        }
        const next = yield* nextVersion(workflow, proposal.spec, editor, at, versionId)
        yield* workflows.appendVersion(next.version, baseVersionId, at)
        return { workflowId: workflow.id, versionId, version: next.version.version } satisfies Applied
      })
    )
  }).pipe(
    Effect.withSpan("Proposals.apply", {
      attributes: { "armature.org_id": caller.orgId, "armature.proposal_id": proposalId }
    })
  )

/** Deletes unapplied proposals older than `RETENTION_DAYS` (the daily cleanup); returns how many. */
export const cleanup = (now: Date): Effect.Effect<number, StoreError, ProposalStore> =>
  Effect.flatMap(ProposalStore, (proposals) =>
    proposals.deleteUnappliedBefore(new Date(now.getTime() - RETENTION_DAYS * 24 * HOUR_MS))
  )
