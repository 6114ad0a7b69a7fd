/**
 * Runs (SPEC §3.2, §9.1): idempotent dispatch, scheduled fires with the no-overlap rule, reads,
 * waiting for a terminal status, and pass rates. Execution itself belongs to the runner's
 * worker, which claims the `workflow_run` jobs enqueued here and stores each terminal run with
 * its alerts through `complete`.
 */
import { Duration, Effect, Option, Schema } from "effect"
import type { Caller } from "./domain/Audit.js"
import { Id } from "./domain/Common.js"
import { isTerminal, type Run, RunStatus, type RunSummary, type Trigger } from "./domain/Run.js"
import type { Workflow } from "./domain/Workflow.js"
import {
  type FieldError,
  type ForbiddenRole,
  type NotFound,
  RunWaitTimeout,
  type SecretInArguments,
  type StoreError,
  type ValidationFailed,
  validationFailed
} from "./Errors.js"
import * as Grading from "./Grading.js"
import { insertAndEnqueue, pendingRun } from "./internal/runRecords.js"
import { loadWorkflow, now } from "./internal/workflowRecords.js"

export { type Completion, complete, failureSummary } from "./internal/runCompletion.js"
export { JOB_KIND, MAX_ATTEMPTS } from "./internal/runRecords.js"

import { loadRun } from "./internal/runLookup.js"
import { Ids } from "./ports/Ids.js"
import type { JobQueue } from "./ports/JobQueue.js"
import { decodeRunCursor, RunStore } from "./ports/RunStore.js"
import type { SecretStore } from "./ports/SecretStore.js"
import type { Transactor } from "./ports/Transactor.js"
import type { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Redaction from "./Redaction.js"
import * as Roles from "./Roles.js"
import * as RunIds from "./RunIds.js"
import * as Schedules from "./Schedules.js"
import { decode } from "./Validation.js"

/** Services the run use cases need. */
export type Env = WorkflowStore | RunStore | JobQueue | Transactor | Ids

/** Interval at which `waitForTerminal` looks at the run again. */
export const POLL_INTERVAL = Duration.seconds(1)

/** Arguments of a dispatch (`run_workflow_now`, `POST /workflows/{id}/runs`). */
export const DispatchInput = Schema.Struct({
  workflowId: Id,
  reason: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.maxLength(1000)))),
  idempotencyKey: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.maxLength(200)))),
  testerModel: Schema.optional(Schema.String),
  // `scheduled` runs come only from the scheduler (`scheduledFire`).
  trigger: Schema.optionalWith(Schema.Literal("manual", "api", "ci"), { default: () => "api" as const }),
  baselineRunId: Schema.optional(Schema.NullOr(Id)),
  samples: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 10)), { default: () => 1 }),
  forceNewRun: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
export type DispatchRequest = typeof DispatchInput.Encoded

/** The dispatched run (the first sample) and, for `samples > 1`, every run of the group. */
export interface Dispatched {
  readonly run: Run
  /** False when the id named an existing run: a repeat of an earlier dispatch. */
  readonly created: boolean
  readonly runs: ReadonlyArray<Run>
  readonly sampleGroupId: string | null
}

/**
 * Dispatches a workflow now (`run_workflow_now`). The run id is the UUIDv5 of workflow id,
 * normalized reason and idempotency key, so a repeat returns the existing run with
 * `created: false` — before it is terminal and also after, since the id is deterministic;
 * `forceNewRun` mixes a fresh uuid into the key to get a new run. Paused workflows may still be
 * dispatched. With `samples: N > 1`, N runs share a `sampleGroupId` (also deterministic).
 */
export const dispatch = (
  caller: Caller,
  input: DispatchRequest
): Effect.Effect<
  Dispatched,
  ForbiddenRole | ValidationFailed | SecretInArguments | NotFound | StoreError,
  Env | SecretStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.dispatch")
    const args = yield* decode(DispatchInput)(input)
    // The reason is stored with the run, shown in lists and part of its id.
    yield* Redaction.refuseSecrets(caller.orgId, { reason: args.reason ?? null }, "")
    const workflow = yield* loadWorkflow(caller.orgId, args.workflowId)
    const testerModel = args.testerModel ?? workflow.spec.testerModels[0]!
    const errors: FieldError[] = []
    if (!workflow.spec.testerModels.includes(testerModel)) {
      errors.push({
        field: "testerModel",
        message: `Not a tester model of this workflow; use one of ${workflow.spec.testerModels.join(", ")}`
      })
    }
    const baselineRunId = args.baselineRunId ?? null
    if (baselineRunId !== null) {
      const baseline = yield* Effect.flatMap(RunStore, (runs) => runs.getRun(caller.orgId, baselineRunId))
      if (Option.isNone(baseline))
        errors.push({ field: "baselineRunId", message: `Run ${baselineRunId} not found` })
    }
    if (errors.length > 0) return yield* Effect.fail(validationFailed(errors))

    const reason = args.reason ?? null
    const idempotencyKey = args.idempotencyKey ?? null
    const key = args.forceNewRun
      ? `${idempotencyKey ?? ""}\u0000force:${yield* Effect.flatMap(Ids, (ids) => ids.uuid)}`
      : (idempotencyKey ?? "")
    const idOf = (suffix: string) =>
      RunIds.runId({ workflowId: workflow.id, reason, idempotencyKey: `${key}${suffix}` })
    const n = args.samples
    const sampleGroupId = n > 1 ? idOf(`\u0000samples:${n}`) : null
    const at = yield* now
    const results: Array<{ run: Run; created: boolean }> = []
    for (let i = 1; i <= n; i++) {
      const run = pendingRun(
        workflow,
        {
          id: n > 1 ? idOf(`\u0000sample:${i}/${n}`) : idOf(""),
          testerModel,
          trigger: args.trigger,
          reason,
          idempotencyKey,
          baselineRunId,
          sampleGroupId,
          fireAt: null
        },
        at
      )
      results.push(yield* insertAndEnqueue(run, at, at, at))
    }
    return {
      run: results[0]!.run,
      created: results.some((r) => r.created),
      runs: results.map((r) => r.run),
      sampleGroupId
    }
  })

/** Outcome of a scheduler fire: a run (new or already created by another replica), or skipped. */
export type FireOutcome =
  | { readonly skipped: false; readonly run: Run; readonly created: boolean }
  | { readonly skipped: true; readonly activeRunId: string }

/**
 * Creates the run of one scheduled fire for one tester model (trigger `scheduled`, reason
 * `scheduled:<iso fireAt>`, key = the model), so every replica derives the same id and each fire
 * yields exactly one run. No overlap: while another run of the same workflow and model is
 * pending or running, the fire is skipped, not queued. The job waits for the model's stagger.
 */
export const scheduledFire = (
  workflow: Workflow,
  model: string,
  fireAt: Date
): Effect.Effect<FireOutcome, StoreError, RunStore | JobQueue | Transactor> =>
  Effect.gen(function* () {
    const runs = yield* RunStore
    const reason = `scheduled:${fireAt.toISOString()}`
    const id = RunIds.runId({ workflowId: workflow.id, reason, idempotencyKey: model })
    const existing = yield* runs.getRun(workflow.orgId, id)
    if (Option.isSome(existing)) return { skipped: false, run: existing.value, created: false } as const
    const active = yield* runs.findActiveRun(workflow.orgId, workflow.id, model)
    if (Option.isSome(active)) return { skipped: true, activeRunId: active.value.runId } as const
    const at = yield* now
    const run = pendingRun(
      workflow,
      {
        id,
        testerModel: model,
        trigger: "scheduled" satisfies Trigger,
        reason,
        idempotencyKey: model,
        baselineRunId: null,
        sampleGroupId: null,
        fireAt
      },
      at
    )
    const offset = Schedules.modelOffset(workflow.spec.testerModels.indexOf(model))
    const result = yield* insertAndEnqueue(run, fireAt, new Date(fireAt.getTime() + offset), at)
    return { skipped: false, ...result } as const
  })

/** One run with its trace, verdicts and usage (`inspect_run`). */
export const get = (
  caller: Caller,
  id: string
): Effect.Effect<Run, ForbiddenRole | NotFound | StoreError, RunStore> =>
  Effect.zipRight(Roles.authorize(caller.actor, "runs.read"), loadRun(caller.orgId, id))

const isoPattern = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const IsoDate = Schema.String.pipe(
  Schema.pattern(isoPattern, {
    message: () => "Expected an ISO 8601 date-time, such as 2025-01-31T12:00:00Z"
  }),
  Schema.compose(Schema.Date),
  // Years before 1 are written in a form PostgreSQL refuses (year 0 does not exist there).
  Schema.filter((date) => date.getUTCFullYear() >= 1, {
    message: () => "must be a date in the year 1 or later"
  })
)

/** Arguments of `search_runs`. */
export const SearchInput = Schema.Struct({
  workflowId: Schema.optional(Id),
  mcpServerId: Schema.optional(Id),
  status: Schema.optional(RunStatus),
  limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 20 }),
  before: Schema.optional(IsoDate),
  after: Schema.optional(IsoDate),
  search: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  cursor: Schema.optional(Schema.String)
})
export type SearchRequest = typeof SearchInput.Encoded

/** Runs of the organization, newest first, filtered and paginated (`search_runs`). */
export const search = (
  caller: Caller,
  filter: SearchRequest = {}
): Effect.Effect<
  { readonly runs: ReadonlyArray<RunSummary>; readonly nextCursor: string | null },
  ForbiddenRole | ValidationFailed | StoreError,
  RunStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.read")
    const args = yield* decode(SearchInput)(filter)
    if (
      args.before !== undefined &&
      args.after !== undefined &&
      args.after.getTime() >= args.before.getTime()
    ) {
      return yield* Effect.fail(
        validationFailed([{ field: "after", message: "Must be earlier than `before`" }])
      )
    }
    const { before, after, workflowId, mcpServerId, status, search, cursor, limit } = args
    if (cursor !== undefined && decodeRunCursor(cursor) === undefined) {
      return yield* Effect.fail(
        validationFailed([
          { field: "cursor", message: "Is not a cursor from a previous page (`nextCursor`)" }
        ])
      )
    }
    const page = yield* Effect.flatMap(RunStore, (runs) =>
      runs.searchRuns(caller.orgId, {
        limit,
        ...(workflowId !== undefined && { workflowId }),
        ...(mcpServerId !== undefined && { mcpServerId }),
        ...(status !== undefined && { status }),
        ...(before !== undefined && { before }),
        ...(after !== undefined && { after }),
        ...(search !== undefined && { search }),
        ...(cursor !== undefined && { cursor })
      })
    )
    return { runs: page.items, nextCursor: page.nextCursor }
  })

/** How long `waitForTerminal` may wait, in seconds: more than 0, at most 600. */
export const WaitSeconds = Schema.Number.pipe(Schema.positive(), Schema.lessThanOrEqualTo(600))

/**
 * Waits until the run is terminal (`run_workflow_now` with `wait`), polling the store on the
 * Effect clock. After `waitSeconds` (default 120, max 600) fails with `run_wait_timeout`; the
 * run goes on.
 */
export const waitForTerminal = (
  caller: Caller,
  runId: string,
  waitSeconds = 120
): Effect.Effect<Run, ForbiddenRole | ValidationFailed | NotFound | RunWaitTimeout | StoreError, RunStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.read")
    const seconds = yield* decode(WaitSeconds, "waitSeconds")(waitSeconds)
    const deadline = (yield* now).getTime() + seconds * 1000
    for (;;) {
      const run = yield* loadRun(caller.orgId, runId)
      if (isTerminal(run.status)) return run
      const remaining = deadline - (yield* now).getTime()
      if (remaining <= 0) {
        return yield* Effect.fail(
          new RunWaitTimeout({
            message: `Run ${runId} is still ${run.status} after ${seconds} s; it goes on — look again later`,
            runId
          })
        )
      }
      yield* Effect.sleep(Duration.min(POLL_INTERVAL, Duration.millis(remaining)))
    }
  })

/** Pass rate, flaky criteria and overall status of the runs of one multi-sample dispatch. */
export const sampleResult = (
  caller: Caller,
  runIds: ReadonlyArray<string>
): Effect.Effect<Grading.SampleResult, ForbiddenRole | NotFound | StoreError, RunStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.read")
    const runs = yield* Effect.forEach(runIds, (id) => loadRun(caller.orgId, id))
    return Grading.samples(runs)
  })

/** Pass rate of one workflow in a window: `error` runs excluded, `null` when no run completed. */
export interface PassRate extends Grading.PassCounts {
  readonly workflowId: string
  readonly passRate: number | null
  readonly lastRunAt: Date | null
  readonly lastStatus: RunStatus | null
}

/** Per-workflow pass rates of the runs since `since` (`get_organization_health`, dashboard). */
export const passRates = (
  caller: Caller,
  since: Date
): Effect.Effect<ReadonlyArray<PassRate>, ForbiddenRole | StoreError, RunStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.read")
    const counts = yield* Effect.flatMap(RunStore, (runs) => runs.passCounts(caller.orgId, since))
    return counts.map((c) => ({ ...c, passRate: Grading.passRate(c) }))
  })
