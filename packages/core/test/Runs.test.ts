import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"
import { JobQueue } from "../src/ports/JobQueue.js"
import { RunStore } from "../src/ports/RunStore.js"
import * as RunIds from "../src/RunIds.js"
import * as Runs from "../src/Runs.js"
import * as Workflows from "../src/Workflows.js"
import {
  callerOf,
  editor,
  fieldsOf,
  finish,
  orgId,
  otherOrgId,
  profileId,
  runSeeded,
  specInput,
  viewer
} from "./workflowFixtures.js"

const run = runSeeded

const workflow = Effect.map(Workflows.create(editor, specInput()), (saved) => saved.workflow)

/** Every queued job (claimed far in the future so stagger offsets do not hide any). */
const jobs = Effect.flatMap(JobQueue, (q) =>
  q.claim({ owner: "test", kinds: [Runs.JOB_KIND], now: new Date(8.64e15), leaseMs: 1000, limit: 100 })
)

const storedRuns = Effect.flatMap(RunStore, (s) => s.searchRuns(orgId, { limit: 100 }))

describe("dispatch creates a pending run pinned to the current version and enqueues its job", () => {
  it.effect("defaults: trigger api, the first tester model, attempt 1", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const { run, created, runs, sampleGroupId } = yield* Runs.dispatch(editor, {
          workflowId: wf.id,
          reason: "Verify"
        })
        expect(created).toBe(true)
        expect(runs).toEqual([run])
        expect(sampleGroupId).toBeNull()
        expect(run).toMatchObject({
          id: RunIds.runId({ workflowId: wf.id, reason: "Verify" }),
          orgId,
          workflowId: wf.id,
          workflowVersionId: wf.currentVersionId,
          workflowVersion: 1,
          workflowName: "Order lookup",
          mcpServerId: wf.spec.mcpServerId,
          testerModel: "openai:gpt-5-mini",
          judgeModel: "openai:gpt-5",
          trigger: "api",
          reason: "Verify",
          idempotencyKey: null,
          attempt: 1,
          status: "pending",
          fireAt: null
        })
        const queued = yield* jobs
        expect(queued).toHaveLength(1)
        expect(queued[0]).toMatchObject({
          orgId,
          kind: "workflow_run",
          targetId: run.id,
          model: "openai:gpt-5-mini",
          payload: { runId: run.id },
          maxAttempts: 2,
          fireAt: new Date(0),
          runAfter: new Date(0)
        })
      })
    )
  )

  it.effect("runs are pinned: a dispatch after an edit uses the new version, earlier runs keep theirs", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const first = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "one" })
        const v2 = yield* Workflows.update(editor, wf.id, { changes: { name: "Renamed" } })
        const second = yield* Runs.dispatch(editor, {
          workflowId: wf.id,
          reason: "two",
          testerModel: "anthropic:claude",
          trigger: "ci"
        })
        expect(second.run).toMatchObject({
          workflowVersionId: v2.version.id,
          workflowVersion: 2,
          workflowName: "Renamed",
          testerModel: "anthropic:claude",
          trigger: "ci"
        })
        expect((yield* Runs.get(viewer, first.run.id)).workflowVersion).toBe(1)
      })
    )
  )

  it.effect("a paused workflow may still be dispatched by hand", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        yield* Workflows.setState(editor, wf.id, "paused")
        const { created } = yield* Runs.dispatch(editor, { workflowId: wf.id, trigger: "manual" })
        expect(created).toBe(true)
      })
    )
  )
})

describe("idempotency: the run id is a UUIDv5 of workflow, normalized reason and key", () => {
  it.effect("the same key and normalized reason return the same run; one run and one job are stored", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const a = yield* Runs.dispatch(editor, {
          workflowId: wf.id,
          reason: "Verify the  FIX",
          idempotencyKey: "k1"
        })
        const b = yield* Runs.dispatch(editor, {
          workflowId: wf.id,
          reason: "  verify the fix\n",
          idempotencyKey: "k1"
        })
        expect(b.created).toBe(false)
        expect(b.run.id).toBe(a.run.id)
        expect(b.run.reason).toBe("Verify the  FIX")
        expect((yield* storedRuns).items).toHaveLength(1)
        expect(yield* jobs).toHaveLength(1)
      })
    )
  )

  it.effect("a different key or reason gives a different run", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const a = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "Verify", idempotencyKey: "k1" })
        const b = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "Verify", idempotencyKey: "k2" })
        const c = yield* Runs.dispatch(editor, {
          workflowId: wf.id,
          reason: "Verify again",
          idempotencyKey: "k1"
        })
        expect(new Set([a.run.id, b.run.id, c.run.id]).size).toBe(3)
        expect([b.created, c.created]).toEqual([true, true])
        expect((yield* storedRuns).items).toHaveLength(3)
        expect(yield* jobs).toHaveLength(3)
      })
    )
  )

  it.effect("after the run is terminal the same key still names it; forceNewRun makes a new one", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const first = yield* Runs.dispatch(editor, { workflowId: wf.id, idempotencyKey: "deploy-7" })
        yield* finish(first.run, "pass")
        const repeat = yield* Runs.dispatch(editor, { workflowId: wf.id, idempotencyKey: "deploy-7" })
        expect(repeat.created).toBe(false)
        expect(repeat.run.status).toBe("pass")
        const forced = yield* Runs.dispatch(editor, {
          workflowId: wf.id,
          idempotencyKey: "deploy-7",
          forceNewRun: true
        })
        expect(forced.created).toBe(true)
        expect(forced.run.id).not.toBe(first.run.id)
        expect(forced.run.idempotencyKey).toBe("deploy-7")
      })
    )
  )
})

describe("multi-sample dispatch", () => {
  it.effect("samples: N creates N runs sharing a sampleGroupId; a repeat returns the same runs", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const a = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "flaky?", samples: 3 })
        expect(a.runs).toHaveLength(3)
        expect(new Set(a.runs.map((r) => r.id)).size).toBe(3)
        expect(a.sampleGroupId).not.toBeNull()
        expect(a.runs.every((r) => r.sampleGroupId === a.sampleGroupId)).toBe(true)
        expect(a.run).toEqual(a.runs[0])
        const b = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "flaky?", samples: 3 })
        expect(b.created).toBe(false)
        expect(b.runs.map((r) => r.id)).toEqual(a.runs.map((r) => r.id))
        expect(yield* jobs).toHaveLength(3)
        for (const [i, r] of a.runs.entries()) yield* finish(r, i === 0 ? "fail" : "pass")
        const result = yield* Runs.sampleResult(
          viewer,
          a.runs.map((r) => r.id)
        )
        expect(result.passRate).toBeCloseTo(2 / 3)
      })
    )
  )
})

describe("dispatch validation and roles", () => {
  it.effect("bad arguments are named: testerModel, samples, trigger, baselineRunId", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const model = yield* Effect.flip(
          Runs.dispatch(editor, { workflowId: wf.id, testerModel: "openai:gpt-5" })
        )
        expect(fieldsOf(model)).toEqual(["testerModel"])
        const args = yield* Effect.flip(
          Runs.dispatch(editor, { workflowId: wf.id, samples: 11, trigger: "scheduled" as never })
        )
        expect(new Set(fieldsOf(args))).toEqual(new Set(["samples", "trigger"]))
        const baseline = yield* Effect.flip(
          Runs.dispatch(editor, { workflowId: wf.id, baselineRunId: "nope" })
        )
        expect(fieldsOf(baseline)).toEqual(["baselineRunId"])
        expect((yield* storedRuns).items).toHaveLength(0)
      })
    )
  )

  it.effect("a viewer cannot dispatch; unknown workflows are workflow_not_found", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        expect((yield* Effect.flip(Runs.dispatch(viewer, { workflowId: wf.id }))).code).toBe("forbidden_role")
        expect((yield* Effect.flip(Runs.dispatch(editor, { workflowId: "nope" }))).code).toBe(
          "workflow_not_found"
        )
        expect(
          (yield* Effect.flip(Runs.dispatch(callerOf("owner", otherOrgId), { workflowId: wf.id }))).code
        ).toBe("workflow_not_found")
        expect((yield* storedRuns).items).toHaveLength(0)
      })
    )
  )
})

describe("reads", () => {
  it.effect("get: run_not_found for unknown ids and other organizations", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const { run } = yield* Runs.dispatch(editor, { workflowId: wf.id })
        expect((yield* Runs.get(viewer, run.id)).id).toBe(run.id)
        expect((yield* Effect.flip(Runs.get(viewer, "nope"))).code).toBe("run_not_found")
        expect((yield* Effect.flip(Runs.get(callerOf("viewer", otherOrgId), run.id))).code).toBe(
          "run_not_found"
        )
      })
    )
  )

  it.effect("search validates limit (default 20, max 100) and ISO before/after, naming the field", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        for (const reason of ["a", "b", "c"]) yield* Runs.dispatch(editor, { workflowId: wf.id, reason })
        const page = yield* Runs.search(viewer, { workflowId: wf.id, status: "pending", limit: 2 })
        expect(page.runs).toHaveLength(2)
        expect(page.nextCursor).not.toBeNull()
        expect((yield* Runs.search(viewer)).runs).toHaveLength(3)
        expect((yield* Runs.search(viewer, { after: "1970-01-01T00:00:01Z" })).runs).toHaveLength(0)
        expect(fieldsOf(yield* Effect.flip(Runs.search(viewer, { limit: 101 })))).toEqual(["limit"])
        expect(fieldsOf(yield* Effect.flip(Runs.search(viewer, { limit: 0 })))).toEqual(["limit"])
        expect(
          fieldsOf(yield* Effect.flip(Runs.search(viewer, { before: "yesterday", after: "2025-13-45" })))
        ).toEqual(["before", "after"])
        expect(
          fieldsOf(
            yield* Effect.flip(Runs.search(viewer, { before: "2025-01-01", after: "2025-02-01T00:00:00Z" }))
          )
        ).toEqual(["after"])
        expect(
          new Set(fieldsOf(yield* Effect.flip(Runs.search(viewer, { status: "done" as never }))))
        ).toEqual(new Set(["status"]))
        // The next page follows the cursor; a string that is not a cursor is refused, not read as page one.
        const next = yield* Runs.search(viewer, { workflowId: wf.id, limit: 2, cursor: page.nextCursor! })
        expect(next.runs).toHaveLength(1)
        expect(next.runs[0]!.runId).not.toBe(page.runs[0]!.runId)
        expect(next.nextCursor).toBeNull()
        for (const cursor of ["zzz", "", Buffer.from('["x","y"]').toString("base64url")]) {
          expect(fieldsOf(yield* Effect.flip(Runs.search(viewer, { cursor })))).toEqual(["cursor"])
        }
      })
    )
  )
})

describe("waitForTerminal", () => {
  it.effect("returns the run once it is terminal", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const { run } = yield* Runs.dispatch(editor, { workflowId: wf.id })
        const waiting = yield* Effect.fork(Runs.waitForTerminal(editor, run.id, 60))
        yield* TestClock.adjust(Duration.seconds(10))
        yield* finish(run, "fail")
        yield* TestClock.adjust(Duration.seconds(2))
        const done = yield* Fiber.join(waiting)
        expect(done.status).toBe("fail")
      })
    )
  )

  it.effect("fails with run_wait_timeout carrying the run id; the run goes on", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const { run } = yield* Runs.dispatch(editor, { workflowId: wf.id })
        const waiting = yield* Effect.fork(Effect.flip(Runs.waitForTerminal(editor, run.id)))
        yield* TestClock.adjust(Duration.seconds(121))
        const error = yield* Fiber.join(waiting)
        expect(error.code).toBe("run_wait_timeout")
        expect(error._tag === "RunWaitTimeout" && error.runId).toBe(run.id)
        expect((yield* Runs.get(viewer, run.id)).status).toBe("pending")
      })
    )
  )

  it.effect("waitSeconds above 600 is a field error", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const { run } = yield* Runs.dispatch(editor, { workflowId: wf.id })
        expect(fieldsOf(yield* Effect.flip(Runs.waitForTerminal(editor, run.id, 601)))).toEqual([
          "waitSeconds"
        ])
      })
    )
  )
})

describe("scheduledFire: one run per fire and model, no overlap", () => {
  it.effect(
    "creates a scheduled run; a repeat of the same fire returns it; the next fire is skipped while it is active",
    () =>
      run(
        Effect.gen(function* () {
          const wf = yield* workflow
          const fireAt = new Date("2025-01-01T09:00:00Z")
          const first = yield* Runs.scheduledFire(wf, "anthropic:claude", fireAt)
          if (first.skipped) throw new Error("unexpected skip")
          expect(first.created).toBe(true)
          expect(first.run).toMatchObject({
            trigger: "scheduled",
            reason: "scheduled:2025-01-01T09:00:00.000Z",
            idempotencyKey: "anthropic:claude",
            fireAt
          })
          const [job] = yield* jobs
          // The second tester model waits for its stagger offset.
          expect(job?.runAfter.getTime()).toBe(fireAt.getTime() + 30_000)
          expect(job?.fireAt).toEqual(fireAt)

          const again = yield* Runs.scheduledFire(wf, "anthropic:claude", fireAt)
          expect(again).toMatchObject({ skipped: false, created: false })

          const next = new Date("2025-01-01T09:15:00Z")
          expect(yield* Runs.scheduledFire(wf, "anthropic:claude", next)).toEqual({
            skipped: true,
            activeRunId: first.run.id
          })
          // Another model is not blocked by it.
          expect((yield* Runs.scheduledFire(wf, "openai:gpt-5-mini", next)).skipped).toBe(false)

          yield* finish(first.run, "pass")
          expect((yield* Runs.scheduledFire(wf, "anthropic:claude", next)).skipped).toBe(false)
        })
      )
  )

  it.effect(
    "a repeat of a fire whose run already ended returns that run, even while a later run is active; nothing is enqueued twice",
    () =>
      run(
        Effect.gen(function* () {
          const wf = yield* workflow
          const fireAt = new Date("2025-01-01T09:00:00Z")
          const first = yield* Runs.scheduledFire(wf, "anthropic:claude", fireAt)
          if (first.skipped) throw new Error("unexpected skip")
          yield* finish(first.run, "pass")
          const later = yield* Runs.scheduledFire(wf, "anthropic:claude", new Date("2025-01-01T09:15:00Z"))
          expect(later).toMatchObject({ skipped: false, created: true })

          const again = yield* Runs.scheduledFire(wf, "anthropic:claude", fireAt)
          expect(again).toMatchObject({ skipped: false, created: false, run: { id: first.run.id } })
          if (!again.skipped) expect(again.run.status).toBe("pass")
          // With no run active, the repeat finds its run through the idempotent insert.
          if (!later.skipped) yield* finish(later.run, "pass")
          expect(yield* Runs.scheduledFire(wf, "anthropic:claude", fireAt)).toMatchObject({
            skipped: false,
            created: false,
            run: { id: first.run.id, status: "pass" }
          })
          // One job per fire: the repeats enqueued none.
          expect((yield* jobs).map((j) => j.targetId).sort()).toEqual(
            [first.run.id, later.skipped ? "" : later.run.id].sort()
          )
        })
      )
  )
})

describe("passRates exclude error runs", () => {
  it.effect("pass / (pass + partial + fail); null when only errors", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const other = (yield* Workflows.create(editor, specInput({ name: "Other" }))).workflow
        const statuses = ["pass", "pass", "fail", "partial", "error", "error"] as const
        for (const [i, status] of statuses.entries()) {
          const { run } = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: `r${i}` })
          yield* finish(run, status)
        }
        const { run: errored } = yield* Runs.dispatch(editor, { workflowId: other.id })
        yield* finish(errored, "error")
        const rates = yield* Runs.passRates(viewer, new Date(0))
        const byId = new Map(rates.map((r) => [r.workflowId, r]))
        expect(byId.get(wf.id)).toMatchObject({ pass: 2, fail: 1, partial: 1, error: 2, passRate: 0.5 })
        expect(byId.get(other.id)?.passRate).toBeNull()
        expect(Option.isNone(Option.fromNullable(byId.get("nope")))).toBe(true)
      })
    )
  )
})

describe("dailyPassRates", () => {
  it.effect("per UTC day, oldest first, error runs excluded, days without runs null", () =>
    run(
      Effect.gen(function* () {
        const day = 86_400_000
        const wf = yield* workflow
        const at = (d: number, statuses: ReadonlyArray<"pass" | "fail" | "error">) =>
          Effect.gen(function* () {
            yield* TestClock.setTime(d * day + 3_600_000)
            for (const [i, status] of statuses.entries()) {
              const { run } = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: `d${d}r${i}` })
              yield* finish(run, status)
            }
          })
        yield* at(9, ["fail"])
        yield* at(10, ["pass", "fail"])
        yield* at(12, ["pass", "error"])
        yield* TestClock.setTime(13 * day + 7_200_000)
        const days = yield* Runs.dailyPassRates(viewer, 4)
        expect(days.map((d) => [d.day.getTime() / day, d.pass, d.fail, d.error, d.passRate])).toEqual([
          [10, 1, 1, 0, 0.5],
          [11, 0, 0, 0, null],
          [12, 1, 0, 1, 1],
          [13, 0, 0, 0, null]
        ])
      })
    )
  )
})

describe("dispatch with allModels: one run per tester model", () => {
  it.effect("each model gets a run whose id adds the model; a repeat returns the same runs", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const a = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "Every model", allModels: true })
        expect(a.created).toBe(true)
        expect(a.runs.map((r) => r.testerModel)).toEqual(["openai:gpt-5-mini", "anthropic:claude"])
        expect(a.runs.map((r) => r.id)).toEqual(
          wf.spec.testerModels.map((testerModel) =>
            RunIds.runId({ workflowId: wf.id, reason: "Every model", testerModel })
          )
        )
        expect(a.run).toEqual(a.runs[0])
        expect(a.sampleGroupId).toBeNull()
        const b = yield* Runs.dispatch(editor, {
          workflowId: wf.id,
          reason: "every   MODEL",
          allModels: true
        })
        expect(b.created).toBe(false)
        expect(b.runs.map((r) => r.id)).toEqual(a.runs.map((r) => r.id))
        expect(yield* jobs).toHaveLength(2)
        // Without allModels the id is the one of SPEC §9.1, with no model in it.
        const single = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "Every model" })
        expect(single.run.id).toBe(RunIds.runId({ workflowId: wf.id, reason: "Every model" }))
        expect(a.runs.map((r) => r.id)).not.toContain(single.run.id)
      })
    )
  )

  it.effect("with samples, each model's samples form a group of their own", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const a = yield* Runs.dispatch(editor, { workflowId: wf.id, allModels: true, samples: 2 })
        expect(a.runs).toHaveLength(4)
        const groups = new Set(a.runs.map((r) => r.sampleGroupId))
        expect(groups.size).toBe(2)
        expect(a.sampleGroupId).toBe(a.runs[0]!.sampleGroupId)
        const claude = a.runs.filter((r) => r.testerModel === "anthropic:claude")
        const group = yield* Runs.sampleGroup(viewer, claude[1]!.id)
        expect(group.runs.map((r) => r.id)).toEqual(claude.map((r) => r.id))
      })
    )
  )

  it.effect("allModels with testerModel is a validation error naming allModels; nothing is stored", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const both = yield* Effect.flip(
          Runs.dispatch(editor, { workflowId: wf.id, allModels: true, testerModel: "anthropic:claude" })
        )
        expect(both.code).toBe("validation_failed")
        expect(fieldsOf(both)).toEqual(["allModels"])
        const wrong = yield* Effect.flip(
          Runs.dispatch(editor, { workflowId: wf.id, allModels: "yes" as never })
        )
        expect(fieldsOf(wrong)).toEqual(["allModels"])
        expect((yield* storedRuns).items).toHaveLength(0)
      })
    )
  )
})

describe("sampleGroup: the multi-sample result of any run of a group", () => {
  it.effect("finds every sample from one of them: pass rate and flaky criteria", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const a = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "flaky?", samples: 3 })
        const criterion = (verdict: "pass" | "fail") => [
          { criterionId: "c1", text: "Looked it up", required: true, verdict, reasoning: "", evidence: [] }
        ]
        for (const [i, r] of a.runs.entries()) {
          const verdict = i === 0 ? "fail" : "pass"
          yield* finish(r, verdict, { criteria: criterion(verdict) })
        }
        const group = yield* Runs.sampleGroup(viewer, a.runs[2]!.id)
        expect(group.sampleGroupId).toBe(a.sampleGroupId)
        expect(group.runs.map((r) => r.id)).toEqual(a.runs.map((r) => r.id))
        expect(group.result.passRate).toBeCloseTo(2 / 3)
        expect(group.result.flaky).toEqual([{ criterionId: "c1", verdicts: ["fail", "pass", "pass"] }])
        expect(group.result.status).toBe("partial")
      })
    )
  )

  it.effect("forceNewRun groups are found too; a run dispatched alone is a group of one", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const forced = yield* Runs.dispatch(editor, { workflowId: wf.id, samples: 2, forceNewRun: true })
        const again = yield* Runs.dispatch(editor, { workflowId: wf.id, samples: 2, forceNewRun: true })
        expect(again.runs.map((r) => r.id)).not.toEqual(forced.runs.map((r) => r.id))
        const group = yield* Runs.sampleGroup(viewer, forced.runs[1]!.id)
        expect(group.runs.map((r) => r.id)).toEqual(forced.runs.map((r) => r.id))
        const alone = yield* Runs.dispatch(editor, { workflowId: wf.id, reason: "alone" })
        const single = yield* Runs.sampleGroup(viewer, alone.run.id)
        expect(single.sampleGroupId).toBeNull()
        expect(single.runs.map((r) => r.id)).toEqual([alone.run.id])
        expect(single.result.status).toBe("pending")
        expect((yield* Effect.flip(Runs.sampleGroup(viewer, "nope"))).code).toBe("run_not_found")
      })
    )
  )
})

describe("replayTarget: what a replay needs, for editors, of terminal runs only", () => {
  it.effect("a terminal run with its server and profile; pending is a conflict; viewers are refused", () =>
    run(
      Effect.gen(function* () {
        const wf = yield* workflow
        const { run: pending } = yield* Runs.dispatch(editor, { workflowId: wf.id })
        expect((yield* Effect.flip(Runs.replayTarget(editor, pending.id))).code).toBe("conflict")
        yield* finish(pending, "pass")
        expect((yield* Effect.flip(Runs.replayTarget(viewer, pending.id))).code).toBe("forbidden_role")
        const target = yield* Runs.replayTarget(editor, pending.id)
        expect(target.run.id).toBe(pending.id)
        expect(target.server.id).toBe(wf.spec.mcpServerId)
        expect(target.profile?.id).toBe(profileId)
        expect((yield* Effect.flip(Runs.replayTarget(editor, "nope"))).code).toBe("run_not_found")
      })
    )
  )
})
