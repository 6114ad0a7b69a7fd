import { type AuditEntry, AuditLog } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { date, mapRows, orStoreError } from "../internal/sql.js"

type Row = Record<string, any>

const toEntry = (r: Row): AuditEntry => ({
  id: r.id,
  orgId: r.org_id,
  at: date(r.at),
  actor: { keyId: r.key_id, memberId: r.member_id, role: r.role },
  action: r.action,
  targetId: r.target_id,
  intent: r.intent,
  outcome: r.outcome
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
        outcome: e.outcome
      })}`.pipe(Effect.asVoid, orStoreError("record")),
    list: (orgId, options) =>
      sql`SELECT * FROM audit_log WHERE org_id = ${orgId} ORDER BY at DESC, id DESC
          LIMIT ${options.limit}`.pipe(Effect.flatMap(mapRows(toEntry)), orStoreError("list"))
  })
})

/** Provides `AuditLog` from a `SqlClient`. */
export const layer = Layer.effect(AuditLog, make)
