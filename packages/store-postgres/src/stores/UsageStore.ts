import { UsageStore } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { orStoreError } from "../internal/sql.js"

/** `UsageStore` over any PostgreSQL `SqlClient`: every count of a plan's limits in one statement. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return UsageStore.of({
    usage: (orgId, runsSince) =>
      sql<{ servers: number; workflows: number; monitors: number; runs: number; members: number }>`
        SELECT
          (SELECT count(*) FROM mcp_servers WHERE org_id = ${orgId})::int AS servers,
          (SELECT count(*) FROM workflows WHERE org_id = ${orgId} AND state <> 'archived')::int AS workflows,
          (SELECT count(*) FROM monitors WHERE org_id = ${orgId} AND state <> 'archived')::int AS monitors,
          (SELECT count(*) FROM runs WHERE org_id = ${orgId} AND created_at >= ${runsSince})::int AS runs,
          (SELECT count(*) FROM members WHERE org_id = ${orgId})::int AS members`.pipe(
        Effect.map(([row]) => ({
          servers: Number(row!.servers),
          workflows: Number(row!.workflows),
          monitors: Number(row!.monitors),
          runs: Number(row!.runs),
          members: Number(row!.members)
        })),
        orStoreError("usage")
      )
  })
})

/** Provides `UsageStore` from a `SqlClient`. */
export const layer = Layer.effect(UsageStore, make)
