import { Migrations } from "@armature/store-postgres"
import { Command } from "@effect/cli"
import { SqlClient } from "@effect/sql"
import { Console, Effect } from "effect"
import * as Settings from "../../config/settingsFile.js"
import { storeContext } from "../operatorContext.js"

/** `armature migrate`: applies pending migrations (opening the store does) and lists them all. */
export const migrate = Command.make("migrate", { settings: Settings.option }, ({ settings }) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{
      migration_id: number
      name: string
    }>`SELECT migration_id, name FROM ${sql(Migrations.table)} ORDER BY migration_id`
    yield* Console.log(
      `Database is up to date. Migrations applied: ${rows.map((r) => `${String(r.migration_id).padStart(4, "0")}_${r.name}`).join(", ")}`
    )
  }).pipe(Effect.provide(storeContext), Settings.using(settings))
).pipe(Command.withDescription("Apply pending database migrations"))
