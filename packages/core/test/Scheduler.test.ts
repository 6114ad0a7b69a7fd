import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import type { Workflow } from "../src/domain/Workflow.js"
import { RunStore } from "../src/ports/RunStore.js"
import * as Scheduler from "../src/Scheduler.js"
import * as Workflows from "../src/Workflows.js"
import { editor, orgId, runSeeded, specInput } from "./workflowFixtures.js"

const at = (iso: string) => new Date(iso)
const hourly = { cron: "0 * * * *", timezone: "UTC" }

const run = runSeeded

/** Creates an hourly workflow with the TestClock at `createdAt`. */
const createdAt = (iso: string, testerModels = ["openai:gpt-5-mini"]) =>
  Effect.zipRight(
    TestClock.setTime(at(iso).getTime()),
    Effect.map(
      Workflows.create(editor, specInput({ schedule: hourly, testerModels })),
      (saved): Workflow => saved.workflow
    )
  )

describe("dueFires: a new workflow first fires at its first scheduled time after creation", () => {
  it.effect("hourly, created at 10:15: nothing at creation or before 11:00, then the 11:00 fire", () =>
    run(
      Effect.gen(function* () {
        const workflow = yield* createdAt("2026-01-01T10:15:00Z")
        // 10:00 is within one interval of 10:15, but it came before the workflow existed.
        expect(Scheduler.dueFires(workflow, at("2026-01-01T10:15:00Z"))).toEqual([])
        expect(Scheduler.dueFires(workflow, at("2026-01-01T10:59:59Z"))).toEqual([])
        expect(Scheduler.dueFires(workflow, at("2026-01-01T11:00:00Z"))).toEqual([
          { model: "openai:gpt-5-mini", fireAt: at("2026-01-01T11:00:00Z") }
        ])
      })
    )
  )

  it.effect("a known last fire anchors later than creation: the same fire is not due twice", () =>
    run(
      Effect.gen(function* () {
        const workflow = yield* createdAt("2026-01-01T10:15:00Z")
        const last = at("2026-01-01T11:00:00Z")
        expect(Scheduler.dueFires(workflow, at("2026-01-01T11:30:00Z"), last)).toEqual([])
        expect(Scheduler.dueFires(workflow, at("2026-01-01T12:00:00Z"), last)).toHaveLength(1)
        // An older last fire never moves the anchor before creation.
        expect(Scheduler.dueFires(workflow, at("2026-01-01T10:20:00Z"), at("2026-01-01T09:00:00Z"))).toEqual(
          []
        )
      })
    )
  )

  it.effect("a resumed workflow skips the fire it was paused at and fires at the next one", () =>
    run(
      Effect.gen(function* () {
        const created = yield* createdAt("2026-01-01T10:15:00Z")
        yield* TestClock.setTime(at("2026-01-01T10:30:00Z").getTime())
        yield* Workflows.setState(editor, created.id, "paused")
        yield* TestClock.setTime(at("2026-01-01T12:30:00Z").getTime())
        const resumed = yield* Workflows.setState(editor, created.id, "active")
        const tick = yield* Scheduler.makeTick
        // 12:00 is within one interval of 12:30, but the workflow was paused then.
        expect(Scheduler.dueFires(resumed, at("2026-01-01T12:30:00Z"))).toEqual([])
        expect(yield* tick).toEqual({ fired: 0, skipped: 0 })
        yield* TestClock.setTime(at("2026-01-01T13:00:00Z").getTime())
        expect(yield* tick).toEqual({ fired: 1, skipped: 0 })
      })
    )
  )

  it.effect("the scheduler tick creates no run at creation and one per model at 11:00", () =>
    run(
      Effect.gen(function* () {
        yield* createdAt("2026-01-01T10:15:00Z", ["openai:gpt-5-mini", "anthropic:claude"])
        const tick = yield* Scheduler.makeTick
        expect(yield* tick).toEqual({ fired: 0, skipped: 0 })
        yield* TestClock.setTime(at("2026-01-01T11:00:00Z").getTime())
        expect(yield* tick).toEqual({ fired: 2, skipped: 0 })
        const runs = yield* Effect.flatMap(RunStore, (s) => s.searchRuns(orgId, { limit: 10 }))
        expect(runs.items.map((r) => r.trigger)).toEqual(["scheduled", "scheduled"])
      })
    )
  )
})
