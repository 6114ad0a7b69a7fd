import { type AuditEntry, AuditLog, Role } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import * as Column from "../internal/columns.js"
import { date, fromJson, jsonNullable, mapRows, orStoreError } from "../internal/sql.js"

/** A row of `audit_log` as the drivers return it (`arguments` and `duration_ms` are NULL before 0011). */
const EntryRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  at: Column.timestamptz,
  key_id: Column.nullable(Column.text),
  member_id: Column.nullable(Column.text),
  role: Role,
  action: Column.text,
  target_id: Column.nullable(Column.text),
  intent: Column.nullable(Column.text),
  outcome: Column.text,
  arguments: Column.json,
  duration_ms: Column.nullable(Column.integer)
})
type EntryRow = typeof EntryRow.Type

const toEntry = (r: EntryRow): AuditEntry => ({
  id: r.id,
  orgId: r.org_id,
  at: date(r.at),
  actor: { keyId: r.key_id, memberId: r.member_id, role: r.role },
  action: r.action,
  targetId: r.target_id,
  intent: r.intent,
  outcome: r.outcome,
  arguments: r.arguments === null ? null : fromJson(r.arguments),
  durationMs: r.duration_ms
})

/** `AuditLog` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  return AuditLog.of({
    record: (e) =>
      sql`INSERT INTO audit_log ${sql.insert({
        id: e.id,
        org_id: e.orgId,
        at: e.at,
        key_id: e.actor.keyId,
        member_id: e.actor.memberId,
        role: e.actor.role,
        action: e.action,
        target_id: e.targetId,
        intent: e.intent,
        outcome: e.outcome,
        arguments: jsonNullable(e.arguments),
        duration_ms: e.durationMs === null ? null : Math.round(e.durationMs)
      } satisfies EntryRow)}`.pipe(Effect.asVoid, orStoreError("record")),
    prune: (before, limit) =>
      sql<{ n: number }>`WITH gone AS (
            DELETE FROM audit_log WHERE id = ANY (ARRAY(
              SELECT id FROM audit_log WHERE at < ${before}::timestamptz ORDER BY at LIMIT ${limit}))
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
        Effect.map((rows) => rows[0]?.n ?? 0),
        orStoreError("prune")
      ),
    // Pages walk the (org_id, at, id) index backwards.
    list: (orgId, query) => {
      const conditions = [
        sql`org_id = ${orgId}`,
        ...(query.action === undefined ? [] : [sql`action = ${query.action}`]),
        ...(query.keyId === undefined ? [] : [sql`key_id = ${query.keyId}`]),
        ...(query.after === undefined
          ? []
          : [sql`(at, id) < (${query.after.at}::timestamptz, ${query.after.id})`])
      ]
      return sql<EntryRow>`SELECT * FROM audit_log WHERE ${sql.and(conditions)}
          ORDER BY at DESC, id DESC LIMIT ${Math.max(0, Math.floor(query.limit))}`.pipe(
        Effect.flatMap(mapRows(toEntry)),
        orStoreError("list")
      )
    }
  })
})

/** Provides `AuditLog` from a `SqlClient`. */
export const layer = Layer.effect(AuditLog, make)
