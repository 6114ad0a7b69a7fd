/**
 * Runs (SPEC §3.2, §9.1): idempotent dispatch, scheduled fires with the no-overlap rule, reads,
 * waiting for a terminal status, and pass rates. Execution itself belongs to the runner's
 * worker, which claims the `workflow_run` jobs enqueued here and stores each terminal run with
 * its alerts through `complete`.
 */
import { Clock, Duration, Effect, Option, Schema } from "effect"
import type { Caller } from "./domain/Audit.js"
import { Id } from "./domain/Common.js"
import { type AuthProfile, type McpServer, profilesInOrder } from "./domain/McpServer.js"
import { isTerminal, type Run, RunStatus, type RunSummary, type Trigger } from "./domain/Run.js"
import type { Workflow } from "./domain/Workflow.js"
import {
  Conflict,
  type FieldError,
  type ForbiddenRole,
  type NotFound,
  type QuotaExceeded,
  RunWaitTimeout,
  type SecretInArguments,
  type StoreError,
  type ValidationFailed,
  validationFailed
} from "./Errors.js"
import * as Grading from "./Grading.js"
import { now } from "./internal/clock.js"
import { newId } from "./internal/ids.js"
import { orNotFound } from "./internal/notFound.js"
import { type CompleteOptions, complete as completeRun } from "./internal/runCompletion.js"
import { insertAndEnqueue, pendingRun } from "./internal/runRecords.js"
import { loadLiveWorkflow } from "./internal/workflowRecords.js"

export { type CompleteOptions, type Completion, failureSummary } from "./internal/runCompletion.js"
export { JOB_KIND, MAX_ATTEMPTS } from "./internal/runRecords.js"

import { loadRun } from "./internal/runLookup.js"
import * as Pages from "./Pages.js"
import * as Plans from "./Plans.js"
import type { Ids } from "./ports/Ids.js"
import type { JobQueue } from "./ports/JobQueue.js"
import { RunStore } from "./ports/RunStore.js"
import type { SecretStore } from "./ports/SecretStore.js"
import { ServerStore } from "./ports/ServerStore.js"
import type { Transactor } from "./ports/Transactor.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Redaction from "./Redaction.js"
import * as Roles from "./Roles.js"
import * as RunIds from "./RunIds.js"
import * as Schedules from "./Schedules.js"
import { decode } from "./Validation.js"

/** Services the run use cases need. */
export type Env = WorkflowStore | RunStore | JobQueue | Transactor | Ids

/**
 * Stores a terminal run and the alert outbox rows it causes in one transaction; a run already
 * terminal is left alone and alerts nobody (a retried job cannot alert twice). `options` take
 * what the worker already has: the run's server, and its job's end (`CompleteOptions`).
 */
export const complete = (run: Run, options: CompleteOptions = {}): ReturnType<typeof completeRun> =>
  completeRun(run, options).pipe(
    Effect.withSpan("Runs.complete", {
      attributes: {
        "armature.org_id": run.orgId,
        "armature.run_id": run.id,
        "armature.run_status": run.status
      }
    })
  )

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
  forceNewRun: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** One run per tester model of the workflow (each with `samples` runs); excludes `testerModel`. */
  allModels: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
export type DispatchRequest = typeof DispatchInput.Encoded

/**
 * The dispatched run (the first sample of the first model) and every run of the dispatch: the
 * samples of a group for `samples > 1`, one run (or group) per tester model with `allModels`.
 */
export interface Dispatched {
  readonly run: Run
  /** False when the id named an existing run: a repeat of an earlier dispatch. */
  readonly created: boolean
  readonly runs: ReadonlyArray<Run>
  /** The group of `run`; with `allModels` each model's samples form a group of their own. */
  readonly sampleGroupId: string | null
}

/**
 * Dispatches a workflow now (`run_workflow_now`). The run id is the UUIDv5 of workflow id,
 * normalized reason and idempotency key, so a repeat returns the existing run with
 * `created: false` — before it is terminal and also after, since the id is deterministic;
 * `forceNewRun` mixes a fresh uuid into the key to get a new run. Paused workflows may still be
 * dispatched. With `samples: N > 1`, N runs share a `sampleGroupId` (also deterministic).
 * `allModels: true` dispatches every tester model of the workflow; the model id is added to each
 * run's id (`RunIds.runId`), so a repeat is idempotent and ids without `allModels` are unchanged.
 */
export const dispatch = (
  caller: Caller,
  input: DispatchRequest
): Effect.Effect<
  Dispatched,
  ForbiddenRole | ValidationFailed | SecretInArguments | NotFound | QuotaExceeded | StoreError,
  Env | SecretStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.dispatch")
    const args = yield* decode(DispatchInput)(input)
    // The reason is stored with the run, shown in lists and part of its id.
    yield* Redaction.refuseSecrets(caller.orgId, { reason: args.reason ?? null }, "")
    const workflow = yield* loadLiveWorkflow(caller.orgId, args.workflowId)
    const testerModel = args.testerModel ?? workflow.spec.testerModels[0]!
    const errors: FieldError[] = []
    if (args.allModels && args.testerModel !== undefined) {
      errors.push({
        field: "allModels",
        message: "Give either `allModels` (every tester model) or `testerModel` (one), not both"
      })
    } else if (!workflow.spec.testerModels.includes(testerModel)) {
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
      ? `${idempotencyKey ?? ""}\u0000force:${yield* newId}`
      : (idempotencyKey ?? "")
    const n = args.samples
    // Every run this dispatch may create counts toward the month's runs (a repeat creates none,
    // but is refused alike at the limit: the check does not look up which ids exist).
    yield* Plans.checkQuota(
      caller,
      "maxRunsPerMonth",
      n * (args.allModels ? workflow.spec.testerModels.length : 1)
    )
    const at = yield* now
    const results: Array<{ run: Run; created: boolean }> = []
    let firstGroupId: string | null = null
    for (const model of args.allModels ? workflow.spec.testerModels : [testerModel]) {
      // Only `allModels` puts the model into the ids, so ids of other dispatches stay as they were.
      const idModel = args.allModels ? model : null
      const idOf = (suffix: string) =>
        RunIds.runId({
          workflowId: workflow.id,
          reason,
          idempotencyKey: `${key}${suffix}`,
          testerModel: idModel
        })
      const sampleGroupId = n > 1 ? idOf(`\u0000samples:${n}`) : null
      firstGroupId ??= sampleGroupId
      for (let i = 1; i <= n; i++) {
        const id =
          n === 1
            ? idOf("")
            : args.forceNewRun
              ? forcedSampleId(workflow.id, reason, sampleGroupId!, i, n, idModel)
              : idOf(sampleSuffix(i, n))
        const run = pendingRun(
          workflow,
          {
            id,
            testerModel: model,
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
    }
    return {
      run: results[0]!.run,
      created: results.some((r) => r.created),
      runs: results.map((r) => r.run),
      sampleGroupId: firstGroupId
    }
  }).pipe(Effect.withSpan("Runs.dispatch", { attributes: { "armature.org_id": caller.orgId } }))

const sampleSuffix = (i: number, n: number) => `\u0000sample:${i}/${n}`

/**
 * A sample of a `forceNewRun` dispatch: its key holds a fresh uuid that is not stored, so its
 * samples are named after their (equally fresh) group id instead, which the runs do store —
 * `sampleGroup` can then find the other samples of any one of them.
 */
const forcedSampleId = (
  workflowId: string,
  reason: string | null,
  sampleGroupId: string,
  i: number,
  n: number,
  testerModel: string | null
) =>
  RunIds.runId({
    workflowId,
    reason,
    idempotencyKey: `\u0000group:${sampleGroupId}${sampleSuffix(i, n)}`,
    testerModel
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
    // The usual fire finds no active run and inserts: the idempotent insert reports a run this
    // fire already has, so it is read first only when an active run would skip the fire — a
    // fire whose run exists (active or not) is that run, never a skip.
    const active = yield* runs.findActiveRun(workflow.orgId, workflow.id, model)
    if (Option.isSome(active)) {
      const existing = yield* runs.getRun(workflow.orgId, id)
      if (Option.isSome(existing)) return { skipped: false, run: existing.value, created: false } as const
      return { skipped: true, activeRunId: active.value.runId } as const
    }
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
  }).pipe(
    Effect.withSpan("Runs.scheduledFire", {
      attributes: { "armature.org_id": workflow.orgId, "armature.workflow_id": workflow.id }
    })
  )

/** One run with its trace, verdicts and usage (`inspect_run`). */
export const get = (
  caller: Caller,
  id: string
): Effect.Effect<Run, ForbiddenRole | NotFound | StoreError, RunStore> =>
  Effect.zipRight(Roles.authorize(caller.actor, "runs.read"), loadRun(caller.orgId, id)).pipe(
    Effect.withSpan("Runs.get", { attributes: { "armature.org_id": caller.orgId, "armature.run_id": id } })
  )

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
    // Checked before any store sees it.
    yield* Pages.position(cursor)
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
  }).pipe(Effect.withSpan("Runs.search", { attributes: { "armature.org_id": caller.orgId } }))

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
  }).pipe(
    Effect.withSpan("Runs.waitForTerminal", {
      attributes: { "armature.org_id": caller.orgId, "armature.run_id": runId }
    })
  )

/** Pass rate, flaky criteria and overall status of the runs of one multi-sample dispatch. */
export const sampleResult = (
  caller: Caller,
  runIds: ReadonlyArray<string>
): Effect.Effect<Grading.SampleResult, ForbiddenRole | NotFound | StoreError, RunStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.read")
    const runs = yield* Effect.forEach(runIds, (id) => loadRun(caller.orgId, id))
    return Grading.samples(runs)
  }).pipe(Effect.withSpan("Runs.sampleResult", { attributes: { "armature.org_id": caller.orgId } }))

/** A run's sample group: its runs (in sample order) and their pass rate, flaky criteria and status. */
export interface SampleGroup {
  /** `null` for a run dispatched alone, which is then a group of one. */
  readonly sampleGroupId: string | null
  readonly runs: ReadonlyArray<Run>
  readonly result: Grading.SampleResult
}

/**
 * The ids of every sample of `run`'s group, in sample order. Sample ids are UUIDv5s of what the
 * run stores (workflow, reason, idempotency key, model with `allModels`, or the group id for
 * `forceNewRun`) plus `i/n`, so the group is found without an index over groups.
 */
const sampleIdsOf = (run: Run): ReadonlyArray<string> => {
  const group = run.sampleGroupId
  if (group === null) return [run.id]
  const key = run.idempotencyKey ?? ""
  for (const model of [null, run.testerModel]) {
    for (let n = 2; n <= 10; n++) {
      const schemes = [
        (i: number) =>
          RunIds.runId({
            workflowId: run.workflowId,
            reason: run.reason,
            idempotencyKey: `${key}${sampleSuffix(i, n)}`,
            testerModel: model
          }),
        (i: number) => forcedSampleId(run.workflowId, run.reason, group, i, n, model)
      ]
      for (const idOf of schemes) {
        for (let i = 1; i <= n; i++) {
          if (idOf(i) === run.id) return Array.from({ length: n }, (_, j) => idOf(j + 1))
        }
      }
    }
  }
  return [run.id]
}

/**
 * The multi-sample result of the dispatch `runId` belongs to (SPEC §3.4): pass rate over the
 * graded samples, criteria whose verdict differed (`flaky`), and the group's status. Samples
 * removed by retention are left out.
 */
export const sampleGroup = (
  caller: Caller,
  runId: string
): Effect.Effect<SampleGroup, ForbiddenRole | NotFound | StoreError, RunStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.read")
    const run = yield* loadRun(caller.orgId, runId)
    const store = yield* RunStore
    const runs = yield* Effect.forEach(sampleIdsOf(run), (id) =>
      id === run.id ? Effect.succeed(Option.some(run)) : store.getRun(caller.orgId, id)
    )
    const found = runs.flatMap((r) => (Option.isSome(r) ? [r.value] : []))
    return { sampleGroupId: run.sampleGroupId, runs: found, result: Grading.samples(found) }
  }).pipe(
    Effect.withSpan("Runs.sampleGroup", {
      attributes: { "armature.org_id": caller.orgId, "armature.run_id": runId }
    })
  )

/** What a replay needs: the terminal run, its server, and the auth profile its version names. */
export interface ReplayTarget {
  readonly run: Run
  readonly server: McpServer
  readonly profile: AuthProfile | null
}

/**
 * Loads what replaying a run needs (SPEC §3.5) for a caller who may replay (`runs.replay`): the
 * run, which must be terminal (`conflict` otherwise: its recording is not complete), the server
 * it ran against and the auth profile of its pinned workflow version (the server's first when
 * the version names none). The replay itself is the runner's.
 */
export const replayTarget = (
  caller: Caller,
  runId: string
): Effect.Effect<
  ReplayTarget,
  ForbiddenRole | NotFound | Conflict | StoreError,
  RunStore | WorkflowStore | ServerStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.replay")
    const run = yield* loadRun(caller.orgId, runId)
    if (!isTerminal(run.status)) {
      return yield* Effect.fail(
        new Conflict({
          message: `Run ${run.id} is ${run.status}; only a finished run has a complete recording to replay`
        })
      )
    }
    const servers = yield* ServerStore
    const server = yield* servers
      .getServer(caller.orgId, run.mcpServerId)
      .pipe(
        orNotFound("mcp_server", run.mcpServerId, `MCP server ${run.mcpServerId} of run ${run.id} not found`)
      )
    const version = Option.getOrNull(
      yield* Effect.flatMap(WorkflowStore, (s) => s.getVersion(caller.orgId, run.workflowVersionId))
    )
    const profileId = version?.spec.authProfileId ?? null
    if (profileId === null) {
      const profiles = profilesInOrder(yield* servers.listAuthProfiles(caller.orgId, server.id))
      return { run, server, profile: profiles[0] ?? null }
    }
    const profile = yield* servers
      .getAuthProfile(caller.orgId, profileId)
      .pipe(orNotFound("auth_profile", profileId, `Auth profile ${profileId} of run ${run.id} not found`))
    return { run, server, profile }
  }).pipe(
    Effect.withSpan("Runs.replayTarget", {
      attributes: { "armature.org_id": caller.orgId, "armature.run_id": runId }
    })
  )

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
  }).pipe(Effect.withSpan("Runs.passRates", { attributes: { "armature.org_id": caller.orgId } }))

/** A day's graded runs of every workflow (`dailyPassRates`). */
export interface DayPassRate extends Grading.PassCounts {
  /** The day's start, 00:00 UTC. */
  readonly day: Date
  readonly passRate: number | null
}

const dayMs = 86_400_000

/**
 * The organization's pass rate per UTC day over the last `days` days (today included, oldest
 * first), `error` runs excluded as everywhere: the overview's trend, counted by the store in
 * one read.
 */
export const dailyPassRates = (
  caller: Caller,
  days = 7
): Effect.Effect<ReadonlyArray<DayPassRate>, ForbiddenRole | StoreError, RunStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "runs.read")
    const today = Math.floor((yield* Clock.currentTimeMillis) / dayMs) * dayMs
    const starts = Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * dayMs))
    const counted = yield* Effect.flatMap(RunStore, (store) =>
      store.dailyPassCounts(caller.orgId, starts[0]!)
    )
    const byDay = new Map(counted.map((c) => [c.day.getTime(), c]))
    return starts.map((day) => {
      const counts = byDay.get(day.getTime()) ?? { pass: 0, partial: 0, fail: 0, error: 0 }
      const { pass, partial, fail, error } = counts
      return { day, pass, partial, fail, error, passRate: Grading.passRate(counts) }
    })
  }).pipe(Effect.withSpan("Runs.dailyPassRates", { attributes: { "armature.org_id": caller.orgId } }))
