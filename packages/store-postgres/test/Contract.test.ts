/** The storage contract of `@armature/core/testing`, on real PostgreSQL and on embedded PGlite. */
import { StoreContract } from "@armature/core/testing"
import { describe } from "@effect/vitest"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"

const postgres = await postgresAvailable("Contract.test.ts")

describe.runIf(postgres)("PostgreSQL", () => {
  StoreContract.storeContract("PgStore.layer", postgresLayer())
})

StoreContract.storeContract("PgStore.layerPglite", pgliteLayer())
