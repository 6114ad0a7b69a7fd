/**
 * `Runs.complete` on the real database (SPEC §7, DESIGN "Data flow of a scheduled run"): a run's
 * terminal state and its alert outbox rows are written in one transaction. The outbox insert is
 * made to fail inside PostgreSQL itself (a trigger), after the run's UPDATE has already run.
 */
import { AlertStore, type Ids, IdsLayer, RunStore, Runs } from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { SqlClient } from "@effect/sql"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"
import * as F from "./support/fixtures.js"
import { seedOrg } from "./support/suite.js"

const postgres = await postgresAvailable("RunCompletion.test.ts")

/** Makes every insert into the outbox fail until the scope closes. */
const outboxDown = Effect.acquireRelease(
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE OR REPLACE FUNCTION armature_test_outbox_down() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox unavailable'; END $$`
    yield* sql`CREATE TRIGGER armature_test_outbox_down BEFORE INSERT ON alert_outbox
      FOR EACH ROW EXECUTE FUNCTION armature_test_outbox_down()`
  }).pipe(Effect.orDie),
  () =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql`DROP TRIGGER IF EXISTS armature_test_outbox_down ON alert_outbox`.pipe(Effect.orDie)
    )
)

/** A workflow with an alert rule on it and a run of it in flight, plus that run's failed end. */
const runInFlight = Effect.gen(function* () {
  const { org, workflow } = yield* seedOrg
  const rule = Fixtures.alertRule(org.id, { target: { type: "workflow", id: workflow.id } })
  yield* Effect.flatMap(AlertStore, (s) => s.insertRule(rule))
  const running = F.run(workflow, F.t0, { status: "running", finishedAt: null, durationMs: null }, 0)
  yield* Effect.flatMap(RunStore, (s) => s.insertRun(running))
  const failed = F.run(workflow, F.t0, {
    id: running.id,
    status: "fail",
    criteria: [
      {
        criterionId: "c1",
        text: "The order exists",
        required: true,
        verdict: "fail",
        reasoning: "get_order answered not_found",
        evidence: []
      }
    ]
  })
  return { orgId: org.id, rule, running, failed }
})

const suite = (it: Vitest.MethodsNonLive<Layer.Layer.Success<ReturnType<typeof pgliteLayer>> | Ids>) => {
  it.effect("when the outbox insert fails, nothing is written: the run stays in flight, no rule fires", () =>
    Effect.gen(function* () {
      const { orgId, rule, running, failed } = yield* runInFlight
      const error = yield* Effect.scoped(Effect.zipRight(outboxDown, Effect.flip(Runs.complete(failed))))
      expect(error._tag).toBe("StoreError")

      const stored = Option.getOrThrow(yield* Effect.flatMap(RunStore, (s) => s.getRun(orgId, running.id)))
      expect(stored.status).toBe("running")
      expect(stored.finishedAt).toBeNull()
      const alerts = yield* AlertStore
      expect(yield* alerts.listOutbox(orgId)).toEqual([])
      // The rule's transition to firing was rolled back too, so the retry fires it again.
      expect(Option.getOrThrow(yield* alerts.getRule(orgId, rule.id)).firingSince).toBeNull()
    })
  )

  it.effect("on success the terminal run, the outbox row and the firing rule are all visible", () =>
    Effect.gen(function* () {
      const { orgId, rule, running, failed } = yield* runInFlight
      expect(yield* Runs.complete(failed)).toEqual({ completed: true, alerts: 1 })

      const stored = Option.getOrThrow(yield* Effect.flatMap(RunStore, (s) => s.getRun(orgId, running.id)))
      expect(stored.status).toBe("fail")
      const alerts = yield* AlertStore
      const outbox = yield* alerts.listOutbox(orgId)
      expect(outbox).toHaveLength(1)
      expect(outbox[0]).toMatchObject({
        ruleId: rule.id,
        status: "pending",
        message: { kind: "firing", outcome: "fail", link: `/runs/${running.id}` }
      })
      expect(outbox[0]?.message.summary).toContain("get_order answered not_found")
      expect(Option.getOrThrow(yield* alerts.getRule(orgId, rule.id)).firingSince).toEqual(failed.finishedAt)

      // Terminal runs are immutable: completing again writes nothing and alerts nobody.
      expect(yield* Runs.complete({ ...failed, status: "error" })).toEqual({ completed: false, alerts: 0 })
      expect(yield* alerts.listOutbox(orgId)).toHaveLength(1)
    })
  )
}

describe.runIf(postgres)("Runs.complete on PostgreSQL", () => {
  layer(Layer.merge(postgresLayer(), IdsLayer.layer), { timeout: "60 seconds" })((it) => {
    suite(it)

    it.effect("runs of one workflow failing at once fire its rule once, not once each", () =>
      Effect.gen(function* () {
        const { org, workflow } = yield* seedOrg
        const rule = Fixtures.alertRule(org.id, { target: { type: "workflow", id: workflow.id } })
        yield* Effect.flatMap(AlertStore, (s) => s.insertRule(rule))
        const ends = []
        for (let i = 0; i < 6; i++) {
          const running = F.run(workflow, F.t0, { status: "running", finishedAt: null, durationMs: null }, 0)
          yield* Effect.flatMap(RunStore, (s) => s.insertRun(running))
          ends.push(F.run(workflow, F.t0, { id: running.id, status: "fail" }, 0))
        }
        // Each completion is its own transaction on its own pooled connection.
        yield* Effect.all(
          ends.map((run) => Runs.complete(run)),
          { concurrency: "unbounded" }
        )
        const outbox = yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(org.id))
        expect(outbox.filter((m) => m.message.kind === "firing")).toHaveLength(1)
      })
    )
  })
})

describe("Runs.complete on PGlite", () => {
  layer(Layer.merge(pgliteLayer(), IdsLayer.layer), { timeout: "60 seconds" })((it) => suite(it))
})
