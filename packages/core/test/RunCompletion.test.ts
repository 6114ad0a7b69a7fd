import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, TestClock } from "effect"
import type { Run } from "../src/domain/Run.js"
import { StoreError } from "../src/Errors.js"
import { AlertStore } from "../src/ports/AlertStore.js"
import { Ids } from "../src/ports/Ids.js"
import { RunStore } from "../src/ports/RunStore.js"
import * as Runs from "../src/Runs.js"
import * as Scheduler from "../src/Scheduler.js"
import { Fixtures } from "../src/testing/index.js"
import * as Workflows from "../src/Workflows.js"
import { editor, orgId, runSeeded, serverId, specInput } from "./workflowFixtures.js"

const run = runSeeded

/** A dispatched run of a workflow that has an alert rule, and a failed end of that run. */
const dispatched = Effect.gen(function* () {
  const { workflow } = yield* Workflows.create(editor, specInput())
  const rule = Fixtures.alertRule(orgId, { target: { type: "workflow", id: workflow.id } })
  yield* Effect.flatMap(AlertStore, (s) => s.insertRule(rule))
  const { run: pending } = yield* Runs.dispatch(editor, { workflowId: workflow.id })
  const at = new Date(pending.createdAt.getTime() + 1000)
  const ended = (status: Run["status"], patch: Partial<Run> = {}): Run => ({
    ...pending,
    status,
    startedAt: pending.createdAt,
    finishedAt: at,
    durationMs: 1000,
    ...patch
  })
  return { pending, rule, ended }
})

const stored = (id: string) =>
  Effect.map(
    Effect.flatMap(RunStore, (s) => s.getRun(orgId, id)),
    Option.getOrThrow
  )

describe("complete: the terminal run and its alert outbox rows commit together", () => {
  it.effect("stores the run and enqueues the alert of its failure, linking to the run", () =>
    run(
      Effect.gen(function* () {
        const { pending, rule, ended } = yield* dispatched
        const failed = ended("error", { error: { code: "server_unreachable", message: "ECONNREFUSED" } })
        expect(yield* Runs.complete(failed)).toEqual({ completed: true, alerts: 1 })
        expect(yield* stored(pending.id)).toEqual(failed)
        const [message] = yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))
        expect(message).toMatchObject({
          ruleId: rule.id,
          message: {
            kind: "firing",
            outcome: "error",
            summary: "server_unreachable: ECONNREFUSED",
            link: `/runs/${pending.id}`,
            target: { type: "workflow", id: pending.workflowId, name: pending.workflowName },
            server: { id: serverId, name: "Orders" }
          }
        })
        // An `error` is held back for the incident window, so a server incident can take it in.
        expect(message!.nextAttemptAt.getTime() - message!.createdAt.getTime()).toBe(60_000)
      })
    )
  )

  it.effect("when the outbox insert fails, the run is not terminal and the rule does not fire", () =>
    run(
      Effect.gen(function* () {
        const { pending, rule, ended } = yield* dispatched
        const alerts = yield* AlertStore
        // An outbox row with the id the alert will get: the in-memory insert fails on the duplicate key.
        yield* alerts.enqueue(Fixtures.outboxMessage("other-org", { id: "taken" }))
        const exit = yield* Runs.complete(ended("fail")).pipe(
          Effect.provideService(Ids, { uuid: Effect.succeed("taken"), token: () => Effect.succeed("t") }),
          Effect.exit
        )
        expect(Exit.isFailure(exit)).toBe(true)
        expect(yield* stored(pending.id)).toEqual(pending)
        expect(yield* alerts.listOutbox(orgId)).toEqual([])
        expect(Option.getOrThrow(yield* alerts.getRule(orgId, rule.id)).firingSince).toBeNull()
      })
    )
  )

  it.effect("a run of a paused workflow is stored and alerts nobody (SPEC §7)", () =>
    run(
      Effect.gen(function* () {
        const { pending, rule, ended } = yield* dispatched
        yield* Workflows.setState(editor, pending.workflowId, "paused")
        expect(yield* Runs.complete(ended("fail"))).toEqual({ completed: true, alerts: 0 })
        expect((yield* stored(pending.id)).status).toBe("fail")
        expect(yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))).toEqual([])
        expect(
          Option.getOrThrow(yield* Effect.flatMap(AlertStore, (s) => s.getRule(orgId, rule.id))).firingSince
        ).toBeNull()
      })
    )
  )

  it.effect("a run that is already terminal is left alone and alerts nobody (a retried job)", () =>
    run(
      Effect.gen(function* () {
        const { pending, ended } = yield* dispatched
        yield* Runs.complete(ended("pass"))
        expect(yield* Runs.complete(ended("fail"))).toEqual({ completed: false, alerts: 0 })
        expect((yield* stored(pending.id)).status).toBe("pass")
        expect(yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))).toEqual([])
      })
    )
  )

  it.effect("a paused workflow fires no scheduled run, so its rules send nothing", () =>
    run(
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse("2026-01-01T10:05:00Z"))
        const { workflow } = yield* Workflows.create(
          editor,
          specInput({ schedule: { cron: "*/15 * * * *", timezone: "UTC" } })
        )
        yield* Effect.flatMap(AlertStore, (s) =>
          s.insertRule(Fixtures.alertRule(orgId, { target: { type: "workflow", id: workflow.id } }))
        )
        yield* Workflows.setState(editor, workflow.id, "paused")
        const tick = yield* Scheduler.makeTick
        for (const at of ["2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z", "2026-01-01T11:00:00Z"]) {
          yield* TestClock.setTime(Date.parse(at))
          expect((yield* tick).fired).toBe(0)
        }
        expect(yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))).toEqual([])
      })
    )
  )

  it.effect("`alongside` commits with the run: when it fails, neither the run nor its alert is stored", () =>
    run(
      Effect.gen(function* () {
        const { pending, rule, ended } = yield* dispatched
        const alerts = yield* AlertStore
        const exit = yield* Effect.exit(
          Runs.complete(ended("fail"), {
            alongside: Effect.fail(new StoreError({ message: "the job's end failed" }))
          })
        )
        expect(Exit.isFailure(exit)).toBe(true)
        expect(yield* stored(pending.id)).toEqual(pending)
        expect(yield* alerts.listOutbox(orgId)).toEqual([])
        expect(Option.getOrThrow(yield* alerts.getRule(orgId, rule.id)).firingSince).toBeNull()

        let ran = 0
        const alongside = Effect.sync(() => ran++)
        expect(yield* Runs.complete(ended("fail"), { alongside })).toEqual({ completed: true, alerts: 1 })
        // Also when the run was already terminal: the caller's part does not depend on the outcome.
        expect(yield* Runs.complete(ended("pass"), { alongside })).toEqual({ completed: false, alerts: 0 })
        expect(ran).toBe(2)
      })
    )
  )

  it.effect("a server the caller passes is the one the alert names, not read again", () =>
    run(
      Effect.gen(function* () {
        const { ended } = yield* dispatched
        const failed = ended("error", { error: { code: "server_unreachable", message: "ECONNREFUSED" } })
        yield* Runs.complete(failed, { server: { id: serverId, name: "Orders as the run saw it" } })
        const [message] = yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))
        expect(message?.message.server).toEqual({ id: serverId, name: "Orders as the run saw it" })
        expect(message!.nextAttemptAt.getTime() - message!.createdAt.getTime()).toBe(60_000)
      })
    )
  )

  it.effect("a server passed as `null` (gone when the run started) is not read: no server, no hold", () =>
    run(
      Effect.gen(function* () {
        const { ended } = yield* dispatched
        yield* Runs.complete(ended("error", { error: { code: "internal_error", message: "x" } }), {
          server: null
        })
        const [message] = yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(orgId))
        expect(message?.message.server ?? null).toBeNull()
        // Without a server no incident can take the firing in: it is not held back.
        expect(message!.nextAttemptAt.getTime()).toBe(message!.createdAt.getTime())
      })
    )
  )

  it.effect("only terminal runs can be completed", () =>
    run(
      Effect.gen(function* () {
        const { ended } = yield* dispatched
        const exit = yield* Effect.exit(Runs.complete(ended("running")))
        expect(Exit.isFailure(exit) && exit.cause._tag === "Die").toBe(true)
      })
    )
  )
})

describe("failureSummary", () => {
  it.effect("names the failing required criteria with the judge's reasoning and failed assertions", () =>
    run(
      Effect.gen(function* () {
        const { ended } = yield* dispatched
        const summary = Runs.failureSummary(
          ended("partial", {
            criteria: [
              {
                criterionId: "c1",
                text: "Found it",
                required: true,
                verdict: "pass",
                reasoning: "ok",
                evidence: []
              },
              {
                criterionId: "c2",
                text: "Said status",
                required: true,
                verdict: "fail",
                reasoning: "no",
                evidence: []
              },
              {
                criterionId: "c3",
                text: "Polite",
                required: false,
                verdict: "fail",
                reasoning: "rude",
                evidence: []
              }
            ],
            assertions: [
              {
                index: 0,
                type: "tool_called",
                required: true,
                passed: false,
                message: "get_order was not called",
                evidence: []
              }
            ]
          })
        )
        expect(summary).toBe("Said status — fail: no\ntool_called: get_order was not called")
      })
    )
  )
})
