import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  AlertStore,
  MonitorStore,
  OrgStore,
  RunStore,
  recentToolCall,
  ServerStore,
  WorkflowStore
} from "@armature/core"
import { Fixtures } from "@armature/core/testing"
import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { Migrations, PgStore } from "../src/index.js"
import { runRow } from "../src/internal/runRows.js"
import { freshDatabaseUrl, postgresAvailable, testKeys } from "./support/databases.js"
import * as F from "./support/fixtures.js"
import { seedOrg } from "./support/suite.js"

const postgres = await postgresAvailable("Migrations.test.ts")

/** Run search's indexes: the two of 0022, and the one of 0002 it drops. */
const searchIndexes = ["runs_org_name_sort_idx", "runs_search_other_trgm_idx", "runs_search_trgm_idx"]

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
            (sql) => sql`SELECT indexname FROM pg_indexes WHERE indexname IN ${sql.in(searchIndexes)}`
          ),
          PgStore.layer({ url, migrate: false, maxConnections: 1, secretKeys: testKeys() }).pipe(Layer.orDie)
        )
        expect(index.map((i) => i.indexname).sort()).toEqual(searchIndexes.slice(0, 2))
      })
    )
  )

  it.live.runIf(postgres)("0003 moves the tool calls of existing runs into one document per run", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = Redacted.make(yield* Effect.orDie(freshDatabaseUrl))
        const store = PgStore.layer({ url, migrate: false, maxConnections: 1, secretKeys: testKeys() })
        const org = F.organization()
        const srv = F.server(org.id)
        const { workflow } = F.workflow(org.id, F.spec(srv.id))
        const run = F.run(workflow, F.t0)
        const running = F.run(workflow, F.t0, { status: "running", finishedAt: null, durationMs: null }, 0)
        // The schema and rows as 0002 left them: one row per call.
        yield* Effect.provide(
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            const { "0001_initial": initial, "0002_search_index": search } = Migrations.migrations
            yield* Migrator.make({})({
              loader: Migrator.fromRecord({ "0001_initial": initial!, "0002_search_index": search! }),
              table: Migrations.table
            })
            yield* (yield* OrgStore).createOrganization(org)
            for (const r of [run, running]) yield* sql`INSERT INTO runs ${sql.insert(runRow(r))}`
            yield* sql`INSERT INTO tool_calls ${sql.insert(
              run.toolCalls.map((call, seq) => ({
                run_id: run.id,
                seq,
                org_id: run.orgId,
                server_id: run.mcpServerId,
                call_id: call.id,
                phase: call.phase,
                step: call.step,
                name: call.name,
                arguments: JSON.stringify(call.arguments ?? null),
                content: JSON.stringify(call.content),
                structured_content:
                  call.structuredContent === undefined ? null : JSON.stringify(call.structuredContent),
                is_error: call.isError,
                refused: call.refused,
                error: call.error,
                started_at: call.startedAt,
                duration_ms: call.durationMs
              }))
            )}`
          }),
          store.pipe(Layer.orDie)
        )
        const [applied, stored, calls, gone] = yield* Effect.provide(
          Effect.gen(function* () {
            const applied = yield* Migrations.run
            const runs = yield* RunStore
            return [
              applied,
              [yield* runs.getRun(org.id, run.id), yield* runs.getRun(org.id, running.id)],
              yield* runs.recentToolCalls(org.id, run.mcpServerId, 10),
              yield* (yield* SqlClient.SqlClient)`SELECT to_regclass('tool_calls')::text AS old`
            ] as const
          }),
          store.pipe(Layer.orDie)
        )
        // 0003 and whatever came after it; nothing before it runs again.
        expect(applied.map(([id]) => id)[0]).toBe(3)
        expect(stored).toEqual([Option.some(run), Option.some(running)])
        expect(calls.map((c) => c.call)).toEqual(run.toolCalls.map(recentToolCall))
        expect(gone).toEqual([{ old: null }])
      })
    )
  )

  it.live.runIf(postgres)("0005 renames blank and duplicate names instead of dropping rows", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = Redacted.make(yield* Effect.orDie(freshDatabaseUrl))
        const store = PgStore.layer({ url, migrate: false, maxConnections: 1, secretKeys: testKeys() })
        const org = F.organization()
        // Created in this order, so "the oldest keeps its name" is well defined.
        const t = (i: number) => new Date(F.t0.getTime() + i * 1000)
        const shop = F.server(org.id, { name: "Shop", createdAt: t(0) })
        const servers = [
          shop,
          F.server(org.id, { name: " shop  ", createdAt: t(1) }),
          F.server(org.id, { name: "   ", createdAt: t(2) })
        ]
        const flows = ["Flow", "FLOW"].map((name, i) => {
          const w = F.workflow(org.id, F.spec(shop.id, { name }))
          return { ...w, workflow: { ...w.workflow, createdAt: t(i) } }
        })
        const monitors = [0, 1, 2].map((i) => F.monitor(org.id, shop.id, { name: "Ping", createdAt: t(i) }))
        // As 0004 left the schema: names unique by exact text (servers, workflows) or not at all.
        yield* Effect.provide(
          Effect.gen(function* () {
            const before = Object.fromEntries(
              Object.entries(Migrations.migrations).filter(([id]) => id < "0005")
            )
            yield* Migrator.make({})({ loader: Migrator.fromRecord(before), table: Migrations.table })
            yield* (yield* OrgStore).createOrganization(org)
            for (const s of servers) yield* (yield* ServerStore).insertServer(s)
            for (const w of flows) yield* (yield* WorkflowStore).insertWorkflow(w.workflow, w.version)
            // The monitors table as 0004 left it (later migrations add columns the store writes).
            const sql = yield* SqlClient.SqlClient
            for (const m of monitors) {
              yield* sql`INSERT INTO monitors ${sql.insert({
                id: m.id,
                org_id: m.orgId,
                name: m.name,
                mcp_server_id: m.mcpServerId,
                tool_name: m.toolName,
                arguments: JSON.stringify(m.arguments),
                next_steps: "[]",
                interval_seconds: m.intervalSeconds,
                timeout_ms: m.timeoutMs,
                retries: m.retries,
                state: m.state,
                muted: m.muted,
                next_check_at: m.nextCheckAt,
                created_at: m.createdAt,
                updated_at: m.updatedAt
              })}`
            }
          }),
          store.pipe(Layer.orDie)
        )
        const [applied, serverNames, flowNames, monitorNames] = yield* Effect.provide(
          Effect.gen(function* () {
            const applied = yield* Migrations.run
            const sql = yield* SqlClient.SqlClient
            // The name column (what the index covers) and the current spec's name agree.
            const workflows = yield* sql<{ name: string; spec_name: string }>`SELECT name,
                spec->>'name' AS spec_name FROM workflows ORDER BY created_at, id`
            return [
              applied.map(([id]) => id),
              (yield* (yield* ServerStore).listServers(org.id)).map((s) => s.name),
              workflows.map((w) => [w.name, w.spec_name]),
              (yield* (yield* MonitorStore).listMonitors(org.id)).map((m) => m.name)
            ] as const
          }),
          store.pipe(Layer.orDie)
        )
        expect(applied[0]).toBe(5)
        expect(serverNames).toEqual(["Shop", "shop (2)", `unnamed ${servers[2]!.id.slice(0, 8)}`])
        expect(flowNames).toEqual([
          ["Flow", "Flow"],
          ["FLOW (2)", "FLOW (2)"]
        ])
        expect(monitorNames).toEqual(["Ping", "Ping (2)", "Ping (3)"])
      })
    )
  )

  it.live.runIf(postgres)(
    "0022 without pg_trgm adds the name index, and search still finds every field",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = Redacted.make(yield* Effect.orDie(freshDatabaseUrl))
          const store = PgStore.layer({ url, migrate: false, maxConnections: 1, secretKeys: testKeys() })
          const { applied, index, runs, found } = yield* Effect.provide(
            Effect.gen(function* () {
              const sql = yield* SqlClient.SqlClient
              const before = Object.fromEntries(
                Object.entries(Migrations.migrations).filter(([id]) => id < "0022")
              )
              yield* Migrator.make({})({ loader: Migrator.fromRecord(before), table: Migrations.table })
              // As a server without the extension is left by 0002: no trigram index at all.
              yield* sql`DROP EXTENSION pg_trgm CASCADE`
              const applied = yield* Migrations.run
              const { org, workflow } = yield* seedOrg
              const runs = [
                F.run(workflow, F.t0, { workflowName: "Old name", reason: "deploy 41" }, 0),
                F.run(workflow, F.plus(F.t0, 1000), { workflowName: "New name", reason: null }, 0)
              ] as const
              yield* PgStore.importRuns(runs)
              const store = yield* RunStore
              const found: Record<string, ReadonlyArray<string>> = {}
              for (const search of ["old", "DEPLOY 4", runs[1].id.slice(3, 11), "name"]) {
                found[search] = (yield* store.searchRuns(org.id, { limit: 10, search })).items.map(
                  (i) => i.runId
                )
              }
              const index = yield* sql<{ indexname: string }>`SELECT indexname FROM pg_indexes
                WHERE indexname IN ${sql.in(searchIndexes)}`
              return { applied, index, runs, found }
            }),
            store.pipe(Layer.orDie)
          )
          expect(applied.map(([id]) => id)).toEqual([22])
          expect(index.map((i) => i.indexname)).toEqual(["runs_org_name_sort_idx"])
          const [older, newer] = runs
          expect(found).toEqual({
            old: [older.id],
            "DEPLOY 4": [older.id],
            [newer.id.slice(3, 11)]: [newer.id],
            name: [newer.id, older.id]
          })
        })
      )
  )

  it.live.runIf(postgres)("0010 renames alert rules whose names collide instead of dropping them", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = Redacted.make(yield* Effect.orDie(freshDatabaseUrl))
        const store = PgStore.layer({ url, migrate: false, maxConnections: 1, secretKeys: testKeys() })
        const org = F.organization()
        const t = (i: number) => new Date(F.t0.getTime() + i * 1000)
        const rules = ["Pager", " pager ", "PAGER", "   "].map((name, i) =>
          Fixtures.alertRule(org.id, { name, createdAt: t(i) })
        )
        // As 0009 left the schema: rule names not unique at all.
        yield* Effect.provide(
          Effect.gen(function* () {
            const before = Object.fromEntries(
              Object.entries(Migrations.migrations).filter(([id]) => id < "0010")
            )
            yield* Migrator.make({})({ loader: Migrator.fromRecord(before), table: Migrations.table })
            yield* (yield* OrgStore).createOrganization(org)
            // The alert_rules table as 0009 left it (later migrations add columns the store writes).
            const sql = yield* SqlClient.SqlClient
            for (const r of rules) {
              yield* sql`INSERT INTO alert_rules ${sql.insert({
                id: r.id,
                org_id: r.orgId,
                name: r.name,
                target_type: r.target.type,
                target_id: r.target.id,
                destination: JSON.stringify(r.destination),
                fire_on: JSON.stringify(r.on),
                notify_recovery: r.notifyRecovery,
                reminder_minutes: r.reminderMinutes,
                state: r.state,
                firing_since: r.firingSince,
                last_fired_at: r.lastFiredAt,
                created_at: r.createdAt
              })}`
            }
          }),
          store.pipe(Layer.orDie)
        )
        const names = yield* Effect.provide(
          Effect.gen(function* () {
            yield* Migrations.run
            return (yield* (yield* AlertStore).listRules(org.id))
              .slice()
              .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
              .map((r) => r.name)
          }),
          store.pipe(Layer.orDie)
        )
        expect(names).toEqual(["Pager", "pager (2)", "PAGER (3)", `unnamed ${rules[3]!.id.slice(0, 8)}`])
      })
    )
  )

  it.live(
    "an embedded data directory is migrated on start and keeps its data across restarts",
    () =>
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
          // The trigram extension loads in PGlite too, so run search has its indexes there as well.
          const index = yield* Effect.provide(
            Effect.flatMap(
              SqlClient.SqlClient,
              (sql) => sql`SELECT indexname FROM pg_indexes WHERE indexname IN ${sql.in(searchIndexes)}`
            ),
            PgStore.layerPglite({ dataDir, secretKeys: testKeys() }).pipe(Layer.orDie)
          )
          expect(index.map((i) => i.indexname).sort()).toEqual(searchIndexes.slice(0, 2))
        } finally {
          rmSync(dataDir, { recursive: true, force: true })
        }
      }),
    // Three starts of PGlite in a fresh directory (initdb once): slow on a busy machine.
    90_000
  )

  it.live("a data directory that cannot be created fails naming it", () =>
    Effect.gen(function* () {
      const parent = mkdtempSync(join(tmpdir(), "armature-pglite-"))
      // A regular file where the directory's parent should be.
      writeFileSync(join(parent, "file"), "")
      const dataDir = join(parent, "file", "pg")
      try {
        const error = yield* Effect.flip(
          Effect.provide(Effect.void, PgStore.layerPglite({ dataDir, secretKeys: testKeys() }))
        )
        expect(error._tag).toBe("SqlError")
        expect(error.message).toContain(dataDir)
      } finally {
        rmSync(parent, { recursive: true, force: true })
      }
    })
  )
})
