/**
 * Workflows (SPEC §1, §3): create, edit and read tests of an MCP server. Every edit stores a new
 * immutable version; runs are pinned to the version current at dispatch. One validation path
 * (`validateSpec`) serves direct edits, proposals and regression drafts.
 */
import { Cache, Data, Duration, Effect, Option, Schema } from "effect"
import type { Caller } from "./domain/Audit.js"
import type { FieldDiff } from "./domain/Proposal.js"
import { type Workflow, WorkflowSpec, type WorkflowState, type WorkflowVersion } from "./domain/Workflow.js"
import {
  type Conflict,
  type ForbiddenRole,
  type NotFound,
  type QuotaExceeded,
  type SecretInArguments,
  type StoreError,
  type ValidationFailed,
  VersionConflict,
  validationFailed
} from "./Errors.js"
import { now } from "./internal/clock.js"
import { orNotFound } from "./internal/notFound.js"
import { diffSpecs } from "./internal/proposalChanges.js"
import { checkSpec, splitByTouched, withCriterionIds } from "./internal/workflowChecks.js"
import {
  editorOf,
  loadLiveWorkflow,
  loadWorkflow,
  newWorkflow,
  nextVersion
} from "./internal/workflowRecords.js"
import * as Pages from "./Pages.js"
import * as Plans from "./Plans.js"
import type { Ids } from "./ports/Ids.js"
import { LanguageModels, type ModelCatalogEntry } from "./ports/LanguageModels.js"
import type { SecretStore } from "./ports/SecretStore.js"
import type { ServerStore } from "./ports/ServerStore.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Redaction from "./Redaction.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

/** Services the workflow use cases need. */
export type Env = WorkflowStore | ServerStore | LanguageModels | SecretStore | Ids

/** Prompt variables are stored and sent to the model: credentials belong in auth profiles. */
const refuseSecretVariables = (orgId: string, spec: WorkflowSpec) =>
  Redaction.refuseSecrets(orgId, { variables: spec.variables }, "")

/** A stored workflow with the version an edit produced and any warnings of its validation. */
export interface Saved {
  readonly workflow: Workflow
  readonly version: WorkflowVersion
  readonly warnings: ReadonlyArray<string>
}

/** An edit: a complete replacement `spec`, or top-level `changes` merged over the current spec. */
export type UpdateInput = { readonly spec: unknown } | { readonly changes: unknown }

/** Decodes user input into a full spec (defaults filled, criterion ids assigned), naming every bad field. */
export const decodeSpec = (input: unknown, root = ""): Effect.Effect<WorkflowSpec, ValidationFailed> =>
  decode(WorkflowSpec, root)(withCriterionIds(input))

/** Validates a decoded spec against the store and the deployment; fails naming every offending field. */
export const validateSpec = (
  orgId: string,
  spec: WorkflowSpec
): Effect.Effect<
  { readonly spec: WorkflowSpec; readonly warnings: ReadonlyArray<string> },
  ValidationFailed | StoreError,
  ServerStore | LanguageModels
> =>
  Effect.flatMap(checkSpec(orgId, spec), (check) =>
    check.fieldErrors.length > 0
      ? Effect.fail(validationFailed(check.fieldErrors, check.warnings))
      : Effect.succeed({ spec, warnings: check.warnings })
  ).pipe(Effect.withSpan("Workflows.validateSpec", { attributes: { "armature.org_id": orgId } }))

/** Creates a workflow with version 1 from user input (SPEC §1 Workflow). */
export const create = (
  caller: Caller,
  input: unknown
): Effect.Effect<
  Saved,
  ForbiddenRole | ValidationFailed | SecretInArguments | Conflict | QuotaExceeded | StoreError,
  Env
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "workflows.write")
    yield* Plans.checkQuota(caller, "maxWorkflows")
    const decoded = yield* decodeSpec(input)
    yield* refuseSecretVariables(caller.orgId, decoded)
    const { spec, warnings } = yield* validateSpec(caller.orgId, decoded)
    const { workflow, version } = yield* newWorkflow(caller.orgId, spec, editorOf(caller.actor), yield* now)
    yield* Effect.flatMap(WorkflowStore, (store) => store.insertWorkflow(workflow, version))
    return { workflow, version, warnings }
  }).pipe(Effect.withSpan("Workflows.create", { attributes: { "armature.org_id": caller.orgId } }))

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The spec an edit produces and the top-level fields it touched. `limits` in `changes` is merged
 * key by key, so `{ limits: { maxSteps: 40 } }` keeps the other limits of the current version.
 */
const editedSpec = (current: WorkflowSpec, input: UpdateInput) =>
  Effect.gen(function* () {
    if (!isRecord(input)) {
      return yield* Effect.fail(
        validationFailed([{ field: "(root)", message: "Expected an object with `spec` or `changes`" }])
      )
    }
    const spec = "spec" in input ? input.spec : undefined
    const changes = "changes" in input ? input.changes : undefined
    if ((spec === undefined) === (changes === undefined)) {
      return yield* Effect.fail(
        validationFailed([{ field: "spec", message: "Give exactly one of `spec` or `changes`" }])
      )
    }
    if (spec !== undefined) return { spec: yield* decodeSpec(spec), touched: "all" as const }
    if (!isRecord(changes)) {
      return yield* Effect.fail(validationFailed([{ field: "changes", message: "Expected an object" }]))
    }
    const encoded = Schema.encodeSync(WorkflowSpec)(current)
    const merged: Record<string, unknown> = { ...encoded, ...changes }
    if (isRecord(changes.limits)) merged.limits = { ...encoded.limits, ...changes.limits }
    return { spec: yield* decodeSpec(merged), touched: new Set(Object.keys(changes)) }
  })

/**
 * Stores a new immutable version of a workflow. With `expectedVersionId`, fails with
 * `version_conflict` unless it is still the current version (checked again atomically on write).
 */
export const update = (
  caller: Caller,
  workflowId: string,
  input: UpdateInput,
  expectedVersionId?: string
): Effect.Effect<
  Saved,
  ForbiddenRole | NotFound | ValidationFailed | SecretInArguments | VersionConflict | Conflict | StoreError,
  Env
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "workflows.write")
    const current = yield* loadLiveWorkflow(caller.orgId, workflowId)
    const expected = expectedVersionId ?? current.currentVersionId
    if (expected !== current.currentVersionId) {
      return yield* Effect.fail(
        new VersionConflict({
          message: `Workflow ${workflowId} changed after version ${expected}; reload and edit again`,
          expectedVersionId: expected,
          currentVersionId: current.currentVersionId
        })
      )
    }
    const edit = yield* editedSpec(current.spec, input)
    yield* refuseSecretVariables(caller.orgId, edit.spec)
    const check = splitByTouched(yield* checkSpec(caller.orgId, edit.spec), edit.touched)
    if (check.fieldErrors.length > 0) {
      return yield* Effect.fail(validationFailed(check.fieldErrors, check.warnings))
    }
    const at = yield* now
    const next = yield* nextVersion(current, edit.spec, editorOf(caller.actor), at)
    yield* Effect.flatMap(WorkflowStore, (store) => store.appendVersion(next.version, expected, at))
    return { ...next, warnings: check.warnings }
  }).pipe(
    Effect.withSpan("Workflows.update", {
      attributes: { "armature.org_id": caller.orgId, "armature.workflow_id": workflowId }
    })
  )

/** One workflow with its current spec. */
export const get = (
  caller: Caller,
  id: string
): Effect.Effect<Workflow, ForbiddenRole | NotFound | StoreError, WorkflowStore> =>
  Effect.zipRight(Roles.authorize(caller.actor, "workflows.read"), loadWorkflow(caller.orgId, id)).pipe(
    Effect.withSpan("Workflows.get", {
      attributes: { "armature.org_id": caller.orgId, "armature.workflow_id": id }
    })
  )

/** Filter of `list`. */
export interface ListFilter {
  readonly mcpServerId?: string
  readonly state?: WorkflowState
}

/** The organization's workflows, optionally of one server or in one state (archived ones only by state). */
export const list = (
  caller: Caller,
  filter: ListFilter & Pages.PageRequest = {}
): Effect.Effect<Pages.Page<Workflow>, ForbiddenRole | ValidationFailed | StoreError, WorkflowStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "workflows.read")
    const store = yield* WorkflowStore
    return yield* Pages.read(
      { limit: filter.limit, cursor: filter.cursor },
      (page) =>
        // Archived (deleted) workflows only when asked for by state.
        store.listWorkflows(caller.orgId, {
          ...(filter.mcpServerId === undefined ? {} : { mcpServerId: filter.mcpServerId }),
          includeArchived: filter.state === "archived",
          ...(filter.state === undefined ? {} : { state: filter.state }),
          page
        }),
      (workflows) => workflows
    )
  }).pipe(Effect.withSpan("Workflows.list", { attributes: { "armature.org_id": caller.orgId } }))

/** Every version of a workflow, newest first. */
export const versions = (
  caller: Caller,
  id: string
): Effect.Effect<ReadonlyArray<WorkflowVersion>, ForbiddenRole | NotFound | StoreError, WorkflowStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "workflows.read")
    yield* loadWorkflow(caller.orgId, id)
    return yield* Effect.flatMap(WorkflowStore, (store) => store.listVersions(caller.orgId, id))
  }).pipe(
    Effect.withSpan("Workflows.versions", {
      attributes: { "armature.org_id": caller.orgId, "armature.workflow_id": id }
    })
  )

/** One version of a workflow; a version of another workflow counts as not found. */
export const getVersion = (
  caller: Caller,
  workflowId: string,
  versionId: string
): Effect.Effect<WorkflowVersion, ForbiddenRole | NotFound | StoreError, WorkflowStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "workflows.read")
    return yield* Effect.flatMap(WorkflowStore, (store) => store.getVersion(caller.orgId, versionId)).pipe(
      Effect.map(Option.filter((v) => v.workflowId === workflowId)),
      orNotFound("workflow_version", versionId, `Version ${versionId} of workflow ${workflowId} not found`)
    )
  }).pipe(
    Effect.withSpan("Workflows.getVersion", {
      attributes: {
        "armature.org_id": caller.orgId,
        "armature.workflow_id": workflowId,
        "armature.workflow_version_id": versionId
      }
    })
  )

/**
 * What changed from one version of a workflow to another, field by field (criteria matched by
 * id), as proposals show it.
 */
export const diffVersions = (
  caller: Caller,
  workflowId: string,
  fromVersionId: string,
  toVersionId: string
): Effect.Effect<ReadonlyArray<FieldDiff>, ForbiddenRole | NotFound | StoreError, WorkflowStore> =>
  Effect.map(
    Effect.all([getVersion(caller, workflowId, fromVersionId), getVersion(caller, workflowId, toVersionId)]),
    ([from, to]) => diffSpecs(from.spec, to.spec)
  ).pipe(
    Effect.withSpan("Workflows.diffVersions", {
      attributes: { "armature.org_id": caller.orgId, "armature.workflow_id": workflowId }
    })
  )

/**
 * Pauses or resumes a workflow; paused workflows keep their data and fire nothing. A resumed
 * schedule starts from the resume (the scheduler anchors on `updatedAt`): no missed fire is made up.
 */
export const setState = (
  caller: Caller,
  id: string,
  state: "active" | "paused"
): Effect.Effect<Workflow, ForbiddenRole | NotFound | ValidationFailed | StoreError, WorkflowStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "workflows.write")
    const valid = yield* decode(Schema.Literal("active", "paused"), "state")(state)
    const workflow = yield* loadLiveWorkflow(caller.orgId, id)
    if (workflow.state === valid) return workflow
    const at = yield* now
    yield* Effect.flatMap(WorkflowStore, (store) => store.setState(caller.orgId, id, valid, at))
    return { ...workflow, state: valid, updatedAt: at }
  }).pipe(
    Effect.withSpan("Workflows.setState", {
      attributes: { "armature.org_id": caller.orgId, "armature.workflow_id": id }
    })
  )

/**
 * Deletes a workflow by archiving it: it fires nothing and takes no edit or run, lists leave it
 * out (`state: "archived"` lists it), its name is free again, and it and its runs stay readable
 * by id. Archiving an archived workflow is `workflow_not_found`.
 */
export const archive = (
  caller: Caller,
  id: string
): Effect.Effect<void, ForbiddenRole | NotFound | StoreError, WorkflowStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "workflows.write")
    yield* loadLiveWorkflow(caller.orgId, id)
    const at = yield* now
    yield* Effect.flatMap(WorkflowStore, (store) => store.setState(caller.orgId, id, "archived", at))
  }).pipe(
    Effect.withSpan("Workflows.archive", {
      attributes: { "armature.org_id": caller.orgId, "armature.workflow_id": id }
    })
  )

/**
 * The models workflows may name (`testerModels`, `judgeModel`), with their prices: what a spec's
 * model ids are checked against, so reading it is reading workflows.
 */
export const models = (
  caller: Caller
): Effect.Effect<ReadonlyArray<ModelCatalogEntry>, ForbiddenRole, LanguageModels> =>
  Effect.zipRight(
    Roles.authorize(caller.actor, "workflows.read"),
    Effect.flatMap(LanguageModels, (m) => m.catalog)
  ).pipe(Effect.withSpan("Workflows.models", { attributes: { "armature.org_id": caller.orgId } }))

/** Reads the workflow version a run is pinned to (`WorkflowStore.getVersion`, or `pinnedVersions`). */
export type PinnedVersions = (
  orgId: string,
  versionId: string
) => Effect.Effect<Option.Option<WorkflowVersion>, StoreError>

/**
 * A worker's reader of pinned versions, keeping up to `capacity` of them: a stored version never
 * changes, so each is read once per process. Only found versions are kept; a version not found,
 * or a failed read, is read again next time.
 */
export const pinnedVersions = (capacity = 1_000): Effect.Effect<PinnedVersions, never, WorkflowStore> =>
  Effect.gen(function* () {
    const store = yield* WorkflowStore
    const cache = yield* Cache.make({
      capacity,
      timeToLive: Duration.infinity,
      lookup: (key: { readonly orgId: string; readonly versionId: string }) =>
        store.getVersion(key.orgId, key.versionId)
    })
    return (orgId, versionId) => {
      const key = Data.struct({ orgId, versionId })
      // Dropped at once rather than after a time to live: the Clock may stand still (TestClock).
      const forget = cache.invalidate(key)
      return cache.get(key).pipe(
        Effect.tap((version) => (Option.isNone(version) ? forget : Effect.void)),
        Effect.tapError(() => forget)
      )
    }
  })
