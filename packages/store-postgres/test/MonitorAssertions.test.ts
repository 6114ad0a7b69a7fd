/**
 * Monitor assertions in PostgreSQL (migration 0012): the first step's in the `assertions`
 * column, later steps' inside `next_steps`; rows written before assertions existed read back
 * with none.
 */
import { type MonitorAssertion, MonitorStore } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { PgStore } from "../src/index.js"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"
import * as F from "./support/fixtures.js"
import { seedOrg } from "./support/suite.js"

const postgres = await postgresAvailable("MonitorAssertions.test.ts")

const assertions: ReadonlyArray<MonitorAssertion> = [
  { type: "jsonPath", path: "$.status", equals: null },
  { type: "numberInRange", path: "$.total", min: 0, max: 100 },
  { type: "jsonSchema", schema: { type: "object", required: ["id"] } }
]

const suite = (it: Vitest.MethodsNonLive<PgStore.Stores | SqlClient.SqlClient>) => {
  it.effect("stores and reads back the assertions of the monitor and of each step", () =>
    Effect.gen(function* () {
      const { org, server } = yield* seedOrg
      const monitors = yield* MonitorStore
      const monitor = F.monitor(org.id, server.id, {
        assertions,
        nextSteps: [
          { toolName: "list", arguments: {}, assertions: [{ type: "arrayLength", path: "$.xs", min: 1 }] }
        ]
      })
      yield* monitors.insertMonitor(monitor)
      expect(yield* monitors.getMonitor(org.id, monitor.id)).toEqual(Option.some(monitor))
      const changed = { ...monitor, assertions: [{ type: "textContains", text: "ok" }] as const }
      yield* monitors.updateMonitor(changed)
      expect(Option.getOrThrow(yield* monitors.getMonitor(org.id, monitor.id)).assertions).toEqual([
        { type: "textContains", text: "ok" }
      ])
    })
  )

  it.effect(
    "a row from before assertions (no column value, steps without the key) reads back with none",
    () =>
      Effect.gen(function* () {
        const { org, server } = yield* seedOrg
        const monitors = yield* MonitorStore
        const monitor = F.monitor(org.id, server.id, {
          nextSteps: [{ toolName: "list", arguments: { a: 1 }, assertions: [] }]
        })
        yield* monitors.insertMonitor(monitor)
        const sql = yield* SqlClient.SqlClient
        // What 0011 left: the column's default and steps stored without `assertions`.
        yield* sql`UPDATE monitors SET assertions = DEFAULT,
        next_steps = ${JSON.stringify([{ toolName: "list", arguments: { a: 1 } }])}::jsonb
        WHERE id = ${monitor.id}`
        const read = Option.getOrThrow(yield* monitors.getMonitor(org.id, monitor.id))
        expect(read.assertions).toEqual([])
        expect(read.nextSteps).toEqual([{ toolName: "list", arguments: { a: 1 }, assertions: [] }])
      })
  )
}

describe.runIf(postgres)("monitor assertions on PostgreSQL", () => {
  layer(postgresLayer(), { timeout: "60 seconds" })((it) => suite(it))
})

describe("monitor assertions on PGlite", () => {
  layer(pgliteLayer(), { timeout: "60 seconds" })((it) => suite(it))
})
