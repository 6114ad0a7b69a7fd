/**
 * One workflow run on the server's path, store call by store call, and the same rows written
 * bare (the ingest bench's baseline). The server's path, as the code has it:
 *
 * 1. scheduler — `Runs.scheduledFire` (core/Scheduler.ts): findActiveRun, then in one
 *    transaction insertRun (which reports a run this fire already has) and JobQueue.enqueue;
 * 2. worker — `JobQueue.claim` (runner/internal/jobLoop.ts), then `RunJob.executeRun`: getRun,
 *    the pinned version from the worker's `Workflows.pinnedVersions` (WorkflowStore.getVersion only
 *    the first time), ServerStore.getServerWithProfiles (the server and its profiles in one
 *    read), updateRun (`running`); the MCP session, agent and judge touch no store;
 * 3. `RunJob.persist` = `Runs.complete` with the server loaded in step 2 and the job's end: in one
 *    transaction JobQueue.complete, updateRun (terminal, with the tool calls), getWorkflow
 *    (paused?), then the alert engine (`onRun`): AlertStore.lockRulesUnlessIncident (the server
 *    has no open incident, and the workflow's rules FOR UPDATE), updateRule, a recovery's
 *    withdrawHeld, and AlertStore.enqueue per rule that moves.
 *
 * The runner cannot be imported here (store-postgres sits below it), so step 2 repeats
 * `RunJob.executeRun`'s store calls in its order; steps 1 and 3 call core's use cases themselves,
 * as does the version cache (`Workflows.pinnedVersions`).
 */
import {
  JobQueue,
  type Run,
  RunStore,
  Runs,
  ServerStore,
  type Workflow,
  type Workflows
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import { callsParameters, runRow } from "../../src/internal/runRows.js"
import * as Seed from "../seed.js"

/** Milliseconds spent in each step of one run. */
export interface Steps {
  readonly create: number
  readonly start: number
  readonly complete: number
}

const leaseMs = 60_000

/**
 * Whether the run of a fire fails: fires are a minute apart and alternate, so that each
 * completion moves its workflow's alert rule (firing, then recovery: one outbox row per run).
 */
export const failsAt = (fireAt: Date) => Math.floor(fireAt.getTime() / 60_000) % 2 === 0

/**
 * The terminal run a worker would report for `pending`: `calls` tool calls, a trace, usage, and
 * the judge's verdict, `fail` or `pass` by `failing`.
 */
export const ended = (pending: Run, failing: boolean, calls: number, i: number): Run => {
  const startedAt = pending.startedAt ?? pending.createdAt
  const sample = Seed.run(
    {
      orgId: pending.orgId,
      servers: [pending.mcpServerId],
      workflows: [{ id: pending.workflowId, name: pending.workflowName, serverId: pending.mcpServerId }]
    },
    i,
    startedAt,
    0,
    calls
  )
  const finishedAt = new Date(startedAt.getTime() + 4_000)
  return {
    ...pending,
    status: failing ? "fail" : "pass",
    finishedAt,
    durationMs: 4_000,
    finalAnswer: "The order was created and read back.",
    toolCalls: Array.from({ length: calls }, (_, n) => ({
      ...sample.toolCalls[n]!,
      startedAt: new Date(startedAt.getTime() + n * 150)
    })),
    trace: sample.trace,
    criteria: [
      {
        criterionId: "c1",
        text: "The order exists",
        required: true,
        verdict: failing ? "fail" : "pass",
        reasoning: failing
          ? "get_order answered not_found for the order just created"
          : "Read back as created",
        evidence: ["e1"]
      },
      {
        criterionId: "c2",
        text: "No tool call failed",
        required: false,
        verdict: "pass",
        reasoning: "Every call answered",
        evidence: []
      }
    ],
    assertions: [
      {
        index: 0,
        type: "tool_called",
        required: true,
        passed: true,
        message: "create_order was called",
        evidence: []
      }
    ],
    usage: sample.usage,
    costUsd: sample.costUsd,
    serverInfo: { name: "shop", version: "1.0.0" },
    catalogHash: "hash"
  }
}

/**
 * One run through the server's path by worker `owner`: the fire of `workflow` at `fireAt`,
 * claimed (any queued job: workers share the queue), started and completed. `versions`: the
 * worker process's (one for all the bench's workers). Returns the time of each step, or null when
 * the fire was skipped or no job was left to claim.
 */
export const serverPath = (
  owner: string,
  versions: Workflows.PinnedVersions,
  workflow: Workflow,
  fireAt: Date,
  calls: number,
  i: number
) =>
  Effect.gen(function* () {
    const t0 = performance.now()
    const fired = yield* Runs.scheduledFire(workflow, workflow.spec.testerModels[0]!, fireAt)
    if (fired.skipped) return null
    const t1 = performance.now()
    const queue = yield* JobQueue
    const now = new Date()
    const [job] = yield* queue.claim({ owner, kinds: [Runs.JOB_KIND], now, leaseMs, limit: 1 })
    if (job === undefined) return null
    // RunJob.executeRun's reads and its `running` update.
    const runs = yield* RunStore
    const orgId = job.orgId
    const stored = Option.getOrThrow(yield* runs.getRun(orgId, (job.payload as { runId: string }).runId))
    const version = Option.getOrThrow(yield* versions(orgId, stored.workflowVersionId))
    const { server } = Option.getOrThrow(
      yield* Effect.flatMap(ServerStore, (s) =>
        s.getServerWithProfiles(orgId, stored.mcpServerId, version.spec.authProfileId)
      )
    )
    const running: Run = { ...stored, status: "running", startedAt: now }
    yield* runs.updateRun(running)
    const t2 = performance.now()
    // RunJob.finish: the worker's server and the job's end go into the completion's transaction.
    const completion = yield* Runs.complete(ended(running, failsAt(stored.fireAt!), calls, i), {
      server: { id: server.id, name: server.name },
      alongside: queue.complete(owner, job.id, "done", new Date())
    })
    if (!completion.completed) yield* runs.getRun(orgId, stored.id)
    const t3 = performance.now()
    return { create: t1 - t0, start: t2 - t1, complete: t3 - t2 } satisfies Steps
  })

/**
 * The baseline: the rows one completed run leaves — the terminal run, its tool calls, its done
 * job, its outbox row, and its rule's new firing state — written bare in one transaction.
 */
export const bareRows = (run: Run, ruleId: string, at: Date) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`INSERT INTO runs ${sql.insert(runRow(run))}`
        const calls = callsParameters(run)!
        yield* sql`INSERT INTO run_tool_calls (run_id, org_id, calls, recent)
          VALUES (${run.id}, ${run.orgId}, ${calls.calls}::json, ${calls.recent}::json)`
        yield* sql`INSERT INTO jobs ${sql.insert({
          org_id: run.orgId,
          kind: Runs.JOB_KIND,
          target_id: run.id,
          model: run.testerModel,
          fire_at: at,
          run_after: at,
          payload: JSON.stringify({ runId: run.id }),
          max_attempts: Runs.MAX_ATTEMPTS,
          state: "done",
          attempts: 1,
          created_at: at,
          ended_at: at
        })}`
        yield* sql`INSERT INTO alert_outbox ${sql.insert({
          id: crypto.randomUUID(),
          org_id: run.orgId,
          rule_id: ruleId,
          destination: JSON.stringify({ type: "webhook", url: "https://hooks.example.com/armature" }),
          message: JSON.stringify({
            kind: run.status === "fail" ? "firing" : "recovery",
            ruleName: "bench",
            subject: `${run.workflowName} ${run.status}`,
            objectName: run.workflowName,
            outcome: run.status,
            summary: run.criteria[0]?.reasoning ?? "",
            link: `/runs/${run.id}`,
            at: run.finishedAt
          }),
          status: "pending",
          attempts: 0,
          next_attempt_at: at,
          last_error: null,
          created_at: at,
          delivered_at: null
        })}`
        yield* sql`UPDATE alert_rules SET firing_since = ${run.status === "fail" ? at : null},
          last_fired_at = ${at} WHERE org_id = ${run.orgId} AND id = ${ruleId}`
      })
    )
  })
