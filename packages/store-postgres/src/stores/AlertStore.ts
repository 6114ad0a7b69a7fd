import { AlertMessage, type AlertRule, AlertStore, type OutboxMessage } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option } from "effect"
import { date, dateOrNull, decodeJson, fromJson, json, mapRows, orStoreError } from "../internal/sql.js"

type Row = Record<string, any>

const toRule = (r: Row): AlertRule => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  target: { type: r.target_type, id: r.target_id },
  destination: fromJson(r.destination),
  on: fromJson(r.fire_on),
  notifyRecovery: r.notify_recovery,
  reminderMinutes: r.reminder_minutes,
  state: r.state,
  firingSince: dateOrNull(r.firing_since),
  lastFiredAt: dateOrNull(r.last_fired_at),
  createdAt: date(r.created_at)
})

const ruleColumns = (rule: AlertRule) => ({
  name: rule.name,
  target_type: rule.target.type,
  target_id: rule.target.id,
  destination: json(rule.destination),
  fire_on: json(rule.on),
  notify_recovery: rule.notifyRecovery,
  reminder_minutes: rule.reminderMinutes,
  state: rule.state,
  firing_since: rule.firingSince,
  last_fired_at: rule.lastFiredAt
})

// The message carries an instant (`at`), which JSON holds as a string.
const decodeMessage = decodeJson(AlertMessage)

const toOutbox = (r: Row): OutboxMessage => ({
  id: r.id,
  orgId: r.org_id,
  ruleId: r.rule_id,
  destination: fromJson(r.destination),
  message: decodeMessage(r.message),
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: date(r.next_attempt_at),
  lastError: r.last_error,
  createdAt: date(r.created_at),
  deliveredAt: dateOrNull(r.delivered_at)
})

// Claimed messages come back in the order they were due.
const byDueTime = (a: Row, b: Row) =>
  date(a.due_at).getTime() - date(b.due_at).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** `AlertStore` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  return AlertStore.of({
    insertRule: (rule) =>
      sql`INSERT INTO alert_rules ${sql.insert({
        id: rule.id,
        org_id: rule.orgId,
        ...ruleColumns(rule),
        created_at: rule.createdAt
      })}`.pipe(Effect.asVoid, orStoreError("insertRule")),
    updateRule: (rule) =>
      sql`UPDATE alert_rules SET ${sql.update(ruleColumns(rule))}
          WHERE org_id = ${rule.orgId} AND id = ${rule.id}`.pipe(Effect.asVoid, orStoreError("updateRule")),
    getRule: (orgId, id) =>
      sql`SELECT * FROM alert_rules WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.flatMap(mapRows(toRule)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getRule")
      ),
    listRules: (orgId, filter) =>
      sql`SELECT * FROM alert_rules WHERE org_id = ${orgId}
          ${
            filter?.target === undefined
              ? sql``
              : sql`AND target_type = ${filter.target.type} AND target_id = ${filter.target.id}`
          }
          ORDER BY created_at, id
          ${filter?.forUpdate ? sql`FOR UPDATE` : sql``}`.pipe(
        Effect.flatMap(mapRows(toRule)),
        orStoreError("listRules")
      ),
    deleteRule: (orgId, id) =>
      sql`DELETE FROM alert_rules WHERE org_id = ${orgId} AND id = ${id} RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("deleteRule")
      ),

    enqueue: (m) =>
      sql`INSERT INTO alert_outbox ${sql.insert({
        id: m.id,
        org_id: m.orgId,
        rule_id: m.ruleId,
        destination: json(m.destination),
        message: json(m.message),
        status: m.status,
        attempts: m.attempts,
        next_attempt_at: m.nextAttemptAt,
        last_error: m.lastError,
        created_at: m.createdAt,
        delivered_at: m.deliveredAt
      })}`.pipe(Effect.asVoid, orStoreError("enqueue")),
    // Dispatchers of every organization share the outbox; pushing `next_attempt_at` to the
    // lease end is the claim, and SKIP LOCKED keeps concurrent claimers apart.
    claimOutbox: (now, leaseUntil, limit) =>
      sql`WITH due AS (
            SELECT id, next_attempt_at FROM alert_outbox
            WHERE status = 'pending' AND next_attempt_at <= ${now}::timestamptz
            ORDER BY next_attempt_at, id LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
          UPDATE alert_outbox o SET next_attempt_at = ${leaseUntil}
          FROM due WHERE o.id = due.id
          RETURNING o.*, due.next_attempt_at AS due_at`.pipe(
        Effect.map((rows) => [...rows].sort(byDueTime)),
        Effect.flatMap(mapRows(toOutbox)),
        orStoreError("claimOutbox")
      ),
    markDelivered: (id, at) =>
      sql`UPDATE alert_outbox SET status = 'delivered', delivered_at = ${at}, attempts = attempts + 1
          WHERE id = ${id} AND status = 'pending'`.pipe(Effect.asVoid, orStoreError("markDelivered")),
    markFailed: (id, error, retryAt) =>
      (retryAt === null
        ? sql`UPDATE alert_outbox SET status = 'dead', attempts = attempts + 1, last_error = ${error}
              WHERE id = ${id} AND status = 'pending'`
        : sql`UPDATE alert_outbox SET attempts = attempts + 1, last_error = ${error},
                next_attempt_at = ${retryAt}
              WHERE id = ${id} AND status = 'pending'`
      ).pipe(Effect.asVoid, orStoreError("markFailed")),
    listOutbox: (orgId, filter) =>
      sql`SELECT * FROM alert_outbox WHERE org_id = ${orgId}
          ${filter?.status === undefined ? sql`` : sql`AND status = ${filter.status}`}
          ORDER BY created_at, id`.pipe(Effect.flatMap(mapRows(toOutbox)), orStoreError("listOutbox"))
  })
})

/** Provides `AlertStore` from a `SqlClient`. */
export const layer = Layer.effect(AlertStore, make)
