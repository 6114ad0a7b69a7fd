import { describe, layer } from "@effect/vitest"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"
import { roundTrips } from "./support/suite.js"

const postgres = await postgresAvailable("PgStore.test.ts")

describe.runIf(postgres)("PgStore on PostgreSQL", () => {
  layer(postgresLayer(), { timeout: "60 seconds" })((it) => roundTrips(it))
})

describe("PgStore on PGlite", () => {
  layer(pgliteLayer(), { timeout: "60 seconds" })((it) => roundTrips(it))
})
