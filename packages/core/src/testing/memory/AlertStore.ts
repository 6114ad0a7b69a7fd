import { type Context, Effect, Either, Option } from "effect"
import type { AlertRule, OutboxMessage } from "../../domain/Alert.js"
import type { Conflict, StoreError } from "../../Errors.js"
import type { AlertStore } from "../../ports/AlertStore.js"
import { byCreation, compareIds, conflict, type Db, duplicate, nameTaken, rowOf, rowsOf } from "./Tables.js"

/** When a firing rule's next reminder is due; null when it gets none. */
const reminderDue = (rule: AlertRule): number | null =>
  rule.state !== "enabled" || rule.firingSince === null || rule.reminderMinutes === null
    ? null
    : (rule.lastFiredAt ?? rule.firingSince).getTime() + rule.reminderMinutes * 60_000

/** A pending error firing no attempt has touched (the engine holds these back for grouping). */
const held = (m: OutboxMessage, heldSince: Date) =>
  m.status === "pending" &&
  m.attempts === 0 &&
  m.message.kind === "firing" &&
  m.message.outcome === "error" &&
  m.createdAt.getTime() > heldSince.getTime()

const newestFirst = (a: OutboxMessage, b: OutboxMessage) => -byCreation(a, b)

const updateRule = (db: Db) => (rule: AlertRule) =>
  db.attempt<void, Conflict>((t) => {
    if (rowOf(t.alertRules, rule.orgId, rule.id) === undefined) return Either.void
    if (nameTaken(t.alertRules, rule, rule.name, (r) => r.name)) {
      return Either.left(conflict("name", `an alert rule named "${rule.name}" exists`))
    }
    t.alertRules.set(rule.id, rule)
    return Either.void
  })

const enqueue = (db: Db) => (message: OutboxMessage) =>
  db.attempt((t) => {
    if (t.outbox.has(message.id)) return Either.left(duplicate("outbox message", message.id))
    t.outbox.set(message.id, message)
    return Either.void
  })

/** In-memory `AlertStore`. */
export const makeAlertStore = (db: Db): Context.Tag.Service<AlertStore> => ({
  insertRule: (rule) =>
    db.attempt<void, StoreError | Conflict>((t) => {
      if (t.alertRules.has(rule.id)) return Either.left(duplicate("alert rule", rule.id))
      if (nameTaken(t.alertRules, rule, rule.name, (r) => r.name)) {
        return Either.left(conflict("name", `an alert rule named "${rule.name}" exists`))
      }
      t.alertRules.set(rule.id, rule)
      return Either.void
    }),
  updateRule: updateRule(db),
  getRule: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.alertRules, orgId, id))),
  listRules: (orgId, filter) =>
    db.run((t) =>
      rowsOf(
        t.alertRules,
        orgId,
        (r) =>
          (filter?.target === undefined ||
            (r.target.type === filter.target.type && r.target.id === filter.target.id)) &&
          (filter?.ids === undefined || filter.ids.includes(r.id))
      ).sort(byCreation)
    ),
  lockRulesUnlessIncident: (orgId, target, serverId) =>
    db.run((t) =>
      rowsOf(
        t.alertIncidents,
        orgId,
        (i) => i.serverId === serverId && i.kind === "server" && i.resolvedAt === null
      ).length > 0
        ? null
        : rowsOf(t.alertRules, orgId, (r) => r.target.type === target.type && r.target.id === target.id).sort(
            byCreation
          )
    ),
  deleteRule: (orgId, id) =>
    db.run((t) => rowOf(t.alertRules, orgId, id) !== undefined && t.alertRules.delete(id)),
  listDueReminders: (now, limit) =>
    db.run((t) =>
      Array.from(t.alertRules.values())
        .map((rule) => ({ rule, due: reminderDue(rule) }))
        .filter((r): r is { rule: AlertRule; due: number } => r.due !== null && r.due <= now.getTime())
        .sort((a, b) => a.due - b.due || compareIds(a.rule.id, b.rule.id))
        .slice(0, Math.max(0, limit))
        .map((r) => r.rule)
    ),
  markReminded: (orgId, id, expected, at) =>
    db.run((t) => {
      const rule = rowOf(t.alertRules, orgId, id)
      if (rule === undefined || rule.state !== "enabled" || rule.firingSince === null) return false
      if ((rule.lastFiredAt?.getTime() ?? null) !== (expected?.getTime() ?? null)) return false
      t.alertRules.set(id, { ...rule, lastFiredAt: at })
      return true
    }),

  // Transactions of the in-memory store are serializable already: there is nothing more to lock.
  lockServer: () => Effect.void,
  listIncidents: (orgId, filter) =>
    db.run((t) =>
      rowsOf(
        t.alertIncidents,
        orgId,
        (i) =>
          (filter?.serverId === undefined || i.serverId === filter.serverId) &&
          (filter?.ruleId === undefined || i.ruleIds.includes(filter.ruleId)) &&
          (filter?.open === undefined || (i.resolvedAt === null) === filter.open)
      ).sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime() || compareIds(a.id, b.id))
    ),
  insertIncident: (incident) =>
    db.attempt((t) => {
      if (t.alertIncidents.has(incident.id)) return Either.left(duplicate("alert incident", incident.id))
      const open = rowsOf(
        t.alertIncidents,
        incident.orgId,
        (i) => i.serverId === incident.serverId && i.kind === incident.kind && i.resolvedAt === null
      )
      if (incident.resolvedAt === null && open.length > 0) {
        return Either.left(duplicate(`open ${incident.kind} incident of server`, incident.serverId))
      }
      t.alertIncidents.set(incident.id, incident)
      return Either.void
    }),
  updateIncident: (incident) =>
    db.run((t) => {
      if (rowOf(t.alertIncidents, incident.orgId, incident.id) !== undefined) {
        t.alertIncidents.set(incident.id, incident)
      }
    }),

  enqueue: enqueue(db),
  // Both or neither, as the PostgreSQL adapter's one statement.
  updateRuleAndEnqueue: (rule, message) =>
    db.transaction(Effect.zipRight(updateRule(db)(rule), enqueue(db)(message))),
  withdrawHeld: (orgId, filter, heldSince) =>
    db.run((t) => {
      const taken = rowsOf(
        t.outbox,
        orgId,
        (m) =>
          held(m, heldSince) &&
          (filter.serverId === undefined || m.message.server?.id === filter.serverId) &&
          (filter.ruleId === undefined || m.ruleId === filter.ruleId)
      ).sort(byCreation)
      for (const m of taken) t.outbox.delete(m.id)
      return taken
    }),
  lastFiring: (orgId, ruleId) =>
    db.run((t) =>
      Option.fromNullable(
        rowsOf(
          t.outbox,
          orgId,
          (m) => m.ruleId === ruleId && (m.message.kind === "firing" || m.message.kind === "reminder")
        ).sort(newestFirst)[0]
      )
    ),
  claimOutbox: (now, leaseUntil, limit) =>
    db.run((t) => {
      const due = Array.from(t.outbox.values())
        .filter((m) => m.status === "pending" && m.nextAttemptAt <= now)
        .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || compareIds(a.id, b.id))
        .slice(0, Math.max(0, limit))
      return due.map((message) => {
        const claimed = { ...message, nextAttemptAt: leaseUntil }
        t.outbox.set(message.id, claimed)
        return claimed
      })
    }),
  markDelivered: (id, at) =>
    db.run((t) => {
      const message = t.outbox.get(id)
      if (message !== undefined && message.status === "pending") {
        t.outbox.set(id, { ...message, status: "delivered", attempts: message.attempts + 1, deliveredAt: at })
      }
    }),
  markFailed: (id, error, retryAt) =>
    db.run((t) => {
      const message = t.outbox.get(id)
      if (message === undefined || message.status !== "pending") return
      t.outbox.set(id, {
        ...message,
        attempts: message.attempts + 1,
        lastError: error,
        ...(retryAt === null ? { status: "dead" as const } : { nextAttemptAt: retryAt })
      })
    }),
  listOutbox: (orgId, filter) =>
    db.run((t) =>
      rowsOf(t.outbox, orgId, (m) => filter?.status === undefined || m.status === filter.status).sort(
        byCreation
      )
    ),
  pruneOutbox: (before, limit) =>
    db.run((t) => {
      const old = Array.from(t.outbox.values())
        .filter((m) => m.status !== "pending" && m.createdAt < before)
        .sort(byCreation)
        .slice(0, Math.max(0, limit))
      for (const m of old) t.outbox.delete(m.id)
      return old.length
    }),
  pageOutbox: (orgId, query) =>
    db.run((t) => {
      const retrying = (m: OutboxMessage) => m.attempts > 0 && m.lastError !== null
      const after = query.after
      return rowsOf(
        t.outbox,
        orgId,
        (m) =>
          (query.status === undefined || m.status === query.status) &&
          (query.retrying === undefined || retrying(m) === query.retrying) &&
          (query.ruleId === undefined || m.ruleId === query.ruleId) &&
          (after === undefined || byCreation<{ readonly createdAt: Date; readonly id: string }>(m, after) < 0)
      )
        .sort(newestFirst)
        .slice(0, query.limit)
    })
})
