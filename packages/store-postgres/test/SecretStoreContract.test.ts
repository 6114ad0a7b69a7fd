/**
 * The `SecretStore` contract of `@armature/core/testing` against `PgSecretStore` on its own (one
 * random key), on real PostgreSQL and on embedded PGlite; organizations through the same database.
 */
import { Fixtures, SecretStoreContract } from "@armature/core/testing"
import { describe } from "@effect/vitest"
import { Layer } from "effect"
import { PgSecretStore } from "../src/index.js"
import { pgliteLayer, postgresAvailable, postgresLayer, testKeys } from "./support/databases.js"

const postgres = await postgresAvailable("SecretStoreContract.test.ts")

/** `PgSecretStore.layer` over `database`, whose other ports stay available (its `SecretStore` is replaced). */
const secretStoreOn = (database: typeof pgliteLayer) =>
  PgSecretStore.layer({ keys: testKeys() }).pipe(Layer.orDie, Layer.provideMerge(database()))

describe.runIf(postgres)("PostgreSQL", () => {
  SecretStoreContract.secretStoreContract("PgSecretStore", secretStoreOn(postgresLayer), {
    newOrg: Fixtures.newOrg
  })
})

SecretStoreContract.secretStoreContract("PgSecretStore on PGlite", secretStoreOn(pgliteLayer), {
  newOrg: Fixtures.newOrg
})
