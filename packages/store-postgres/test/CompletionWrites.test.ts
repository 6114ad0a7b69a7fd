/**
 * The writes a run's completion makes, as `Runs.complete` makes them inside its transaction:
 * `updateRun` replacing or clearing the run's tool calls, and `updateRule` saving a rule's state
 * without a savepoint while its name stays — a rename still runs in one, so that its `Conflict`
 * leaves the caller's transaction usable.
 */
import { AlertStore, Conflict, RunStore, Transactor } from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"
import * as F from "./support/fixtures.js"
import { seedOrg } from "./support/suite.js"

const postgres = await postgresAvailable("CompletionWrites.test.ts")

const suite = (it: Vitest.MethodsNonLive<Layer.Layer.Success<ReturnType<typeof pgliteLayer>>>) => {
  it.effect("updateRun replaces a run's tool calls, and clears them when it has none", () =>
    Effect.gen(function* () {
      const { org, workflow } = yield* seedOrg
      const runs = yield* RunStore
      const running = F.run(workflow, F.t0, { status: "running", finishedAt: null, durationMs: null }, 3)
      yield* runs.insertRun(running)
      const stored = () => Effect.map(runs.getRun(org.id, running.id), Option.getOrThrow)
      expect((yield* stored()).toolCalls).toHaveLength(3)

      expect(yield* runs.updateRun({ ...running, toolCalls: [] })).toBe(true)
      expect((yield* stored()).toolCalls).toEqual([])

      const passed = F.run(workflow, F.t0, { id: running.id }, 5)
      expect(yield* runs.updateRun(passed)).toBe(true)
      expect(yield* stored()).toEqual(passed)
      // Terminal: neither the run nor its calls change any more.
      expect(yield* runs.updateRun({ ...passed, status: "fail", toolCalls: [] })).toBe(false)
      expect(yield* stored()).toEqual(passed)
    })
  )

  it.effect("updateRule in a transaction: state saved; a rename Conflict leaves the transaction going", () =>
    Effect.gen(function* () {
      const { org } = yield* seedOrg
      const alerts = yield* AlertStore
      const first = Fixtures.alertRule(org.id, { name: "Checkout down" })
      const second = Fixtures.alertRule(org.id, { name: "Payments down" })
      yield* alerts.insertRule(first)
      yield* alerts.insertRule(second)
      const firing = { ...second, firingSince: F.t0, lastFiredAt: F.t0 }
      const conflict = yield* Effect.flatMap(Transactor, (tx) =>
        tx.withTransaction(
          Effect.gen(function* () {
            yield* alerts.updateRule(firing)
            const error = yield* Effect.flip(alerts.updateRule({ ...firing, name: "checkout DOWN" }))
            // The transaction goes on after the Conflict: this write commits with the first.
            yield* alerts.updateRule({ ...first, state: "paused" })
            return error
          })
        )
      )
      expect(conflict).toBeInstanceOf(Conflict)
      expect(Option.getOrThrow(yield* alerts.getRule(org.id, second.id))).toEqual(firing)
      expect(Option.getOrThrow(yield* alerts.getRule(org.id, first.id)).state).toBe("paused")
      // A rule that was renamed is saved whole, its state with it.
      const renamed = { ...firing, name: "Payments failing", firingSince: null }
      yield* alerts.updateRule(renamed)
      expect(Option.getOrThrow(yield* alerts.getRule(org.id, second.id))).toEqual(renamed)
    })
  )
}

describe.runIf(postgres)("completion writes on PostgreSQL", () => {
  layer(postgresLayer(), { timeout: "60 seconds" })((it) => suite(it))
})

describe("completion writes on PGlite", () => {
  layer(pgliteLayer(), { timeout: "60 seconds" })((it) => suite(it))
})
