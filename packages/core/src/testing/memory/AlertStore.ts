import { type Context, Either, Option } from "effect"
import type { AlertStore } from "../../ports/AlertStore.js"
import { byCreation, compareIds, type Db, duplicate, rowOf, rowsOf } from "./Tables.js"

/** In-memory `AlertStore`. */
export const makeAlertStore = (db: Db): Context.Tag.Service<AlertStore> => ({
  insertRule: (rule) =>
    db.attempt((t) => {
      if (t.alertRules.has(rule.id)) return Either.left(duplicate("alert rule", rule.id))
      t.alertRules.set(rule.id, rule)
      return Either.void
    }),
  updateRule: (rule) =>
    db.run((t) => {
      if (rowOf(t.alertRules, rule.orgId, rule.id) !== undefined) t.alertRules.set(rule.id, rule)
    }),
  getRule: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.alertRules, orgId, id))),
  listRules: (orgId, filter) =>
    db.run((t) =>
      rowsOf(
        t.alertRules,
        orgId,
        (r) =>
          filter?.target === undefined ||
          (r.target.type === filter.target.type && r.target.id === filter.target.id)
      ).sort(byCreation)
    ),
  deleteRule: (orgId, id) =>
    db.run((t) => rowOf(t.alertRules, orgId, id) !== undefined && t.alertRules.delete(id)),

  enqueue: (message) =>
    db.attempt((t) => {
      if (t.outbox.has(message.id)) return Either.left(duplicate("outbox message", message.id))
      t.outbox.set(message.id, message)
      return Either.void
    }),
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
    )
})
