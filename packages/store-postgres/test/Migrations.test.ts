import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { OrgStore } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { Migrations, PgStore } from "../src/index.js"
import { freshDatabaseUrl, postgresAvailable, testKeys } from "./support/databases.js"
import * as F from "./support/fixtures.js"

const postgres = await postgresAvailable("Migrations.test.ts")

describe("Migrations", () => {
  it.live.runIf(postgres)("replicas starting together on an empty database apply each migration once", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = Redacted.make(yield* Effect.orDie(freshDatabaseUrl))
        const replica = () =>
          Effect.provide(
            Migrations.run,
            PgStore.layer({ url, migrate: false, maxConnections: 1, secretKeys: testKeys() }).pipe(
              Layer.orDie
            )
          )
        const applied = yield* Effect.all([replica(), replica(), replica()], { concurrency: "unbounded" })
        expect(applied.flat().map(([id, name]) => `${String(id).padStart(4, "0")}_${name}`)).toEqual(
          Object.keys(Migrations.migrations)
        )
        expect(yield* replica()).toEqual([])
        const index = yield* Effect.provide(
          Effect.flatMap(
            SqlClient.SqlClient,
            (sql) => sql`SELECT indexname FROM pg_indexes WHERE indexname = 'runs_search_trgm_idx'`
          ),
          PgStore.layer({ url, migrate: false, maxConnections: 1, secretKeys: testKeys() }).pipe(Layer.orDie)
        )
        expect(index.length).toBe(1)
      })
    )
  )

  it.live("an embedded data directory is migrated on start and keeps its data across restarts", () =>
    Effect.gen(function* () {
      const dataDir = mkdtempSync(join(tmpdir(), "armature-pglite-"))
      const org = F.organization()
      try {
        yield* Effect.provide(
          Effect.flatMap(OrgStore, (s) => s.createOrganization(org)),
          PgStore.layerPglite({ dataDir, secretKeys: testKeys() }).pipe(Layer.orDie)
        )
        const [found, applied] = yield* Effect.provide(
          Effect.all([
            Effect.flatMap(OrgStore, (s) => s.getOrganization(org.id)),
            Effect.flatMap(
              SqlClient.SqlClient,
              (sql) => sql`SELECT migration_id FROM ${sql(Migrations.table)}`
            )
          ]),
          PgStore.layerPglite({ dataDir, secretKeys: testKeys() }).pipe(Layer.orDie)
        )
        expect(found).toEqual(Option.some(org))
        expect(applied.length).toBe(Object.keys(Migrations.migrations).length)
        // The trigram extension loads in PGlite too, so run search has its index there as well.
        const index = yield* Effect.provide(
          Effect.flatMap(
            SqlClient.SqlClient,
            (sql) => sql`SELECT indexname FROM pg_indexes WHERE indexname = 'runs_search_trgm_idx'`
          ),
          PgStore.layerPglite({ dataDir, secretKeys: testKeys() }).pipe(Layer.orDie)
        )
        expect(index.length).toBe(1)
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    })
  )
})
