import {
  type AlertIncident,
  AlertMessage,
  AlertRule,
  AlertStore,
  AlertTarget,
  OutboxMessage
} from "@armature/core"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import * as Column from "../internal/columns.js"
import {
  date,
  dateOrNull,
  decodeJson,
  fromJson,
  json,
  mapRows,
  orConflict,
  orStoreError
} from "../internal/sql.js"

/** A row of `alert_rules` as the drivers return it. */
const RuleRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  name: Column.text,
  target_type: AlertTarget.fields.type,
  target_id: Column.text,
  destination: Column.json,
  fire_on: Column.json,
  notify_recovery: Column.boolean,
  reminder_minutes: Column.nullable(Column.integer),
  state: AlertRule.fields.state,
  firing_since: Column.nullable(Column.timestamptz),
  last_fired_at: Column.nullable(Column.timestamptz),
  muted_until: Column.nullable(Column.timestamptz),
  created_at: Column.timestamptz
})
type RuleRow = typeof RuleRow.Type

/** A row of `alert_outbox` as the drivers return it. */
const OutboxRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  rule_id: Column.nullable(Column.text),
  destination: Column.json,
  message: Column.json,
  status: OutboxMessage.fields.status,
  attempts: Column.integer,
  next_attempt_at: Column.timestamptz,
  last_error: Column.nullable(Column.text),
  created_at: Column.timestamptz,
  delivered_at: Column.nullable(Column.timestamptz)
})
type OutboxRow = typeof OutboxRow.Type

/** A row of `alert_incidents` as the drivers return it. */
const IncidentRow = Schema.Struct({
  id: Column.text,
  org_id: Column.text,
  server_id: Column.text,
  server_name: Column.text,
  kind: Schema.Literal("server", "drift"),
  opened_at: Column.timestamptz,
  resolved_at: Column.nullable(Column.timestamptz),
  summary: Column.text,
  monitors_down: Column.boolean,
  baseline_version: Column.nullable(Column.integer),
  rule_ids: Column.json,
  notified: Column.json
})
type IncidentRow = typeof IncidentRow.Type

const toRule = (r: RuleRow): AlertRule => ({
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
  mutedUntil: dateOrNull(r.muted_until),
  createdAt: date(r.created_at)
})

const ruleConflicts = { alert_rules_org_name_key: "name", alert_rules_pkey: "id" }

const ruleColumns = (rule: AlertRule): Omit<RuleRow, "id" | "org_id" | "created_at"> => ({
  name: rule.name,
  target_type: rule.target.type,
  target_id: rule.target.id,
  destination: json(rule.destination),
  fire_on: json(rule.on),
  notify_recovery: rule.notifyRecovery,
  reminder_minutes: rule.reminderMinutes,
  state: rule.state,
  firing_since: rule.firingSince,
  last_fired_at: rule.lastFiredAt,
  muted_until: rule.mutedUntil
})

const outboxRow = (m: OutboxMessage): OutboxRow => ({
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
})

// The message carries an instant (`at`), which JSON holds as a string.
const decodeMessage = decodeJson(AlertMessage)

const toOutbox = (r: OutboxRow): OutboxMessage => ({
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

const toIncident = (r: IncidentRow): AlertIncident => ({
  id: r.id,
  orgId: r.org_id,
  serverId: r.server_id,
  serverName: r.server_name,
  kind: r.kind,
  openedAt: date(r.opened_at),
  resolvedAt: dateOrNull(r.resolved_at),
  summary: r.summary,
  monitorsDown: r.monitors_down,
  baselineVersion: r.baseline_version,
  ruleIds: fromJson(r.rule_ids),
  notified: fromJson(r.notified)
})

const incidentColumns = (
  i: AlertIncident
): Pick<
  IncidentRow,
  "server_name" | "resolved_at" | "summary" | "monitors_down" | "baseline_version" | "rule_ids" | "notified"
> => ({
  server_name: i.serverName,
  resolved_at: i.resolvedAt,
  summary: i.summary,
  monitors_down: i.monitorsDown,
  baseline_version: i.baselineVersion,
  rule_ids: json(i.ruleIds),
  notified: json(i.notified)
})

/**
 * The class key of the transaction-scoped advisory locks that serialize alerting per server
 * ("ALRT"); the server is the second key. Two-key locks never collide with the migrator's
 * single-key lock.
 */
const serverLockClass = 0x414c5254

const byCreation = (a: OutboxRow, b: OutboxRow) =>
  date(a.created_at).getTime() - date(b.created_at).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** A claimed message with the time it was due (`claimOutbox`). */
type DueOutboxRow = OutboxRow & { readonly due_at: Date }

// Claimed messages come back in the order they were due.
const byDueTime = (a: DueOutboxRow, b: DueOutboxRow) =>
  date(a.due_at).getTime() - date(b.due_at).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** `AlertStore` over any PostgreSQL `SqlClient`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // A statement that may fail with Conflict runs in a savepoint inside a caller's transaction,
  // so the caller can handle the Conflict and go on (a failed statement aborts a transaction).
  const atomic = sql.withTransaction
  // A rule's whole row, a new name included (the slow path of `updateRule` and `updateRuleAndEnqueue`).
  const saveRule = (rule: AlertRule) =>
    sql`UPDATE alert_rules SET ${sql.update(ruleColumns(rule))}
        WHERE org_id = ${rule.orgId} AND id = ${rule.id}`.pipe(atomic, Effect.asVoid)
  const insertOutbox = (m: OutboxMessage) =>
    sql`INSERT INTO alert_outbox ${sql.insert(outboxRow(m))}`.pipe(Effect.asVoid)

  return AlertStore.of({
    insertRule: (rule) =>
      sql`INSERT INTO alert_rules ${sql.insert({
        id: rule.id,
        org_id: rule.orgId,
        ...ruleColumns(rule),
        created_at: rule.createdAt
      } satisfies RuleRow)}`.pipe(atomic, Effect.asVoid, orConflict("insertRule", ruleConflicts)),
    // The rule engine saves only a rule's state, in the transaction of the run or check that moved
    // it: while the name stays, no unique key can be violated, so that update needs no savepoint
    // (two round trips fewer per alert). A new name (or a rule gone) takes the savepoint path.
    updateRule: (rule) => {
      const { name, ...state } = ruleColumns(rule)
      return sql`UPDATE alert_rules SET ${sql.update(state)}
          WHERE org_id = ${rule.orgId} AND id = ${rule.id} AND name = ${name}
          RETURNING id`.pipe(
        Effect.flatMap((rows) => (rows.length > 0 ? Effect.void : saveRule(rule))),
        orConflict("updateRule", ruleConflicts)
      )
    },
    getRule: (orgId, id) =>
      sql<RuleRow>`SELECT * FROM alert_rules WHERE org_id = ${orgId} AND id = ${id}`.pipe(
        Effect.flatMap(mapRows(toRule)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("getRule")
      ),
    listRules: (orgId, filter) =>
      sql<RuleRow>`SELECT * FROM alert_rules WHERE org_id = ${orgId}
          ${
            filter?.target === undefined
              ? sql``
              : sql`AND target_type = ${filter.target.type} AND target_id = ${filter.target.id}`
          }
          ${filter?.ids === undefined ? sql`` : filter.ids.length === 0 ? sql`AND false` : sql`AND id IN ${sql.in(filter.ids)}`}
          ORDER BY created_at, id
          ${filter?.forUpdate ? sql`FOR UPDATE` : sql``}`.pipe(
        Effect.flatMap(mapRows(toRule)),
        orStoreError("listRules")
      ),
    // One statement: whether the server has an open incident, and the target's rules locked only
    // when it has none — the lock then comes without the server's lock, as it did after a read.
    lockRulesUnlessIncident: (orgId, target, serverId) =>
      sql<Partial<RuleRow> & { readonly incident: boolean }>`SELECT i.open AS incident, r.*
          FROM (SELECT EXISTS (SELECT 1 FROM alert_incidents
              WHERE org_id = ${orgId} AND server_id = ${serverId} AND kind = 'server' AND resolved_at IS NULL
            ) AS open) i
          LEFT JOIN LATERAL (SELECT * FROM alert_rules
              WHERE org_id = ${orgId} AND target_type = ${target.type} AND target_id = ${target.id}
                AND NOT i.open
              ORDER BY created_at, id FOR UPDATE) r ON true
          ORDER BY r.created_at, r.id`.pipe(
        Effect.flatMap((rows) =>
          rows[0]?.incident !== false
            ? Effect.succeed(null)
            : mapRows(toRule)(
                rows.filter((r): r is RuleRow & { incident: boolean } => typeof r.id === "string")
              )
        ),
        orStoreError("lockRulesUnlessIncident")
      ),
    deleteRule: (orgId, id) =>
      sql`DELETE FROM alert_rules WHERE org_id = ${orgId} AND id = ${id} RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("deleteRule")
      ),
    listDueReminders: (now, limit) =>
      sql<RuleRow>`SELECT * FROM alert_rules
          WHERE state = 'enabled' AND firing_since IS NOT NULL AND reminder_minutes IS NOT NULL
            AND COALESCE(last_fired_at, firing_since) + reminder_minutes * interval '1 minute' <= ${now}::timestamptz
          ORDER BY COALESCE(last_fired_at, firing_since) + reminder_minutes * interval '1 minute', id
          LIMIT ${limit}`.pipe(Effect.flatMap(mapRows(toRule)), orStoreError("listDueReminders")),
    // One statement: of replicas racing for the same reminder, the row lock lets one update it and
    // the others then see a different `last_fired_at` and update nothing.
    markReminded: (orgId, id, expected, at) =>
      sql`UPDATE alert_rules SET last_fired_at = ${at}
          WHERE org_id = ${orgId} AND id = ${id} AND state = 'enabled' AND firing_since IS NOT NULL
            AND last_fired_at IS NOT DISTINCT FROM ${expected}::timestamptz
          RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orStoreError("markReminded")
      ),

    lockServer: (orgId, serverId) =>
      sql`SELECT pg_advisory_xact_lock(${serverLockClass}, hashtext(${orgId}::text || ':' || ${serverId}::text))`.pipe(
        Effect.asVoid,
        orStoreError("lockServer")
      ),
    listIncidents: (orgId, filter) =>
      sql<IncidentRow>`SELECT * FROM alert_incidents WHERE org_id = ${orgId}
          ${filter?.serverId === undefined ? sql`` : sql`AND server_id = ${filter.serverId}`}
          ${filter?.ruleId === undefined ? sql`` : sql`AND rule_ids @> ${json([filter.ruleId])}::jsonb`}
          ${
            filter?.open === undefined
              ? sql``
              : filter.open
                ? sql`AND resolved_at IS NULL`
                : sql`AND resolved_at IS NOT NULL`
          }
          ORDER BY opened_at, id`.pipe(Effect.flatMap(mapRows(toIncident)), orStoreError("listIncidents")),
    insertIncident: (incident) =>
      sql`INSERT INTO alert_incidents ${sql.insert({
        id: incident.id,
        org_id: incident.orgId,
        server_id: incident.serverId,
        kind: incident.kind,
        opened_at: incident.openedAt,
        ...incidentColumns(incident)
      } satisfies IncidentRow)}`.pipe(Effect.asVoid, orStoreError("insertIncident")),
    updateIncident: (incident) =>
      sql`UPDATE alert_incidents SET ${sql.update(incidentColumns(incident))}
          WHERE org_id = ${incident.orgId} AND id = ${incident.id}`.pipe(
        Effect.asVoid,
        orStoreError("updateIncident")
      ),

    enqueue: (m) => insertOutbox(m).pipe(orStoreError("enqueue")),
    // One statement while the name stays (as `updateRule`'s fast path): the row goes in only with
    // the rule's update. Otherwise both calls, the update in its savepoint, so that its Conflict
    // leaves the caller's transaction usable and enqueues nothing.
    updateRuleAndEnqueue: (rule, m) => {
      const { name, ...state } = ruleColumns(rule)
      const row = outboxRow(m)
      return sql`WITH updated AS (
            UPDATE alert_rules SET ${sql.update(state)}
            WHERE org_id = ${rule.orgId} AND id = ${rule.id} AND name = ${name}
            RETURNING id)
          INSERT INTO alert_outbox (id, org_id, rule_id, destination, message, status, attempts,
            next_attempt_at, last_error, created_at, delivered_at)
          SELECT ${row.id}, ${row.org_id}, ${row.rule_id}, ${row.destination}::jsonb, ${row.message}::jsonb,
            ${row.status}, ${row.attempts}::int, ${row.next_attempt_at}::timestamptz, ${row.last_error},
            ${row.created_at}::timestamptz, ${row.delivered_at}::timestamptz
          FROM updated
          RETURNING id`.pipe(
        Effect.flatMap((rows) =>
          rows.length > 0 ? Effect.void : Effect.zipRight(saveRule(rule), insertOutbox(m))
        ),
        orConflict("updateRuleAndEnqueue", ruleConflicts)
      )
    },
    // Held messages are not due yet, so no dispatcher has claimed them: deleting them races with nothing.
    withdrawHeld: (orgId, filter, heldSince) =>
      sql<OutboxRow>`DELETE FROM alert_outbox
          WHERE org_id = ${orgId} AND status = 'pending' AND attempts = 0
            AND message->>'kind' = 'firing' AND message->>'outcome' = 'error'
            AND created_at > ${heldSince}::timestamptz
            ${filter.serverId === undefined ? sql`` : sql`AND message->'server'->>'id' = ${filter.serverId}`}
            ${filter.ruleId === undefined ? sql`` : sql`AND rule_id = ${filter.ruleId}`}
          RETURNING *`.pipe(
        Effect.map((rows) => [...rows].sort(byCreation)),
        Effect.flatMap(mapRows(toOutbox)),
        orStoreError("withdrawHeld")
      ),
    lastFiring: (orgId, ruleId) =>
      sql<OutboxRow>`SELECT * FROM alert_outbox
          WHERE org_id = ${orgId} AND rule_id = ${ruleId} AND message->>'kind' IN ('firing', 'reminder')
          ORDER BY created_at DESC, id DESC LIMIT 1`.pipe(
        Effect.flatMap(mapRows(toOutbox)),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orStoreError("lastFiring")
      ),
    // Dispatchers of every organization share the outbox; pushing `next_attempt_at` to the
    // lease end is the claim, and SKIP LOCKED keeps concurrent claimers apart.
    claimOutbox: (now, leaseUntil, limit) =>
      sql<DueOutboxRow>`WITH due AS (
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
      sql<OutboxRow>`SELECT * FROM alert_outbox WHERE org_id = ${orgId}
          ${filter?.status === undefined ? sql`` : sql`AND status = ${filter.status}`}
          ORDER BY created_at, id`.pipe(Effect.flatMap(mapRows(toOutbox)), orStoreError("listOutbox")),

    pruneOutbox: (before, limit) =>
      sql<{ n: number }>`WITH gone AS (
            DELETE FROM alert_outbox WHERE id = ANY (ARRAY(
              SELECT id FROM alert_outbox
              WHERE status IN ('delivered', 'dead') AND created_at < ${before}::timestamptz
              LIMIT ${limit}))
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
        Effect.map((rows) => rows[0]?.n ?? 0),
        orStoreError("pruneOutbox")
      ),

    pageOutbox: (orgId, query) => {
      const retried = sql`(attempts > 0 AND last_error IS NOT NULL)`
      const conditions = [
        sql`org_id = ${orgId}`,
        ...(query.status === undefined ? [] : [sql`status = ${query.status}`]),
        ...(query.retrying === undefined ? [] : [query.retrying ? retried : sql`NOT ${retried}`]),
        ...(query.ruleId === undefined ? [] : [sql`rule_id = ${query.ruleId}`]),
        ...(query.after === undefined
          ? []
          : [sql`(created_at, id) < (${query.after.createdAt}::timestamptz, ${query.after.id})`])
      ]
      return sql<OutboxRow>`SELECT * FROM alert_outbox WHERE ${sql.and(conditions)}
          ORDER BY created_at DESC, id DESC LIMIT ${Math.max(0, Math.floor(query.limit))}`.pipe(
        Effect.flatMap(mapRows(toOutbox)),
        orStoreError("pageOutbox")
      )
    }
  })
})

/** Provides `AlertStore` from a `SqlClient`. */
export const layer = Layer.effect(AlertStore, make)
