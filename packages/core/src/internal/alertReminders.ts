/**
 * Reminders on a timer (SPEC §7 "optional reminders while it stays failing"): a target that
 * fails and then goes quiet — a monitor paused mid-failure, a server whose probes stopped, a drift
 * nobody reverts — still gets its reminders, not only when its next failing outcome arrives.
 *
 * Any number of replicas may call `sendReminders` at once: each reminder is a compare-and-set of
 * the rule's `lastFiredAt` (`AlertStore.markReminded`) in the transaction that enqueues it, so
 * exactly one replica wins a due reminder and the others enqueue nothing.
 *
 * A muted rule's due reminder is won and recorded like any other but enqueues nothing: it stays
 * on schedule for after the mute, and does not stay due, to be listed again on every call.
 */
import { Effect, Option } from "effect"
import type { AlertRule, OutboxMessage } from "../domain/Alert.js"
import type { StoreError } from "../Errors.js"
import type { AlertIncident, AlertStore } from "../ports/AlertStore.js"
import type { Ids } from "../ports/Ids.js"
import { MonitorStore } from "../ports/MonitorStore.js"
import { Transactor } from "../ports/Transactor.js"
import { incidentsOf } from "./alertEngine.js"
import * as Incidents from "./alertIncidents.js"
import { AlertingConfig, engineStore, enqueue, resolveLink } from "./alertMessages.js"
import * as Rules from "./alertRules.js"
import { now } from "./clock.js"
import { isMuted } from "./mutes.js"

export interface ReminderOptions {
  /** Defaults to the Clock's time. */
  readonly now?: Date
  /** Rules handled per call (the longest overdue first); defaults to 100. */
  readonly limit?: number
}

/** Whether a rule's next reminder is due at `at`. */
const isDue = (rule: AlertRule, at: Date) =>
  rule.state === "enabled" &&
  rule.firingSince !== null &&
  rule.reminderMinutes !== null &&
  (rule.lastFiredAt ?? rule.firingSince).getTime() + rule.reminderMinutes * 60_000 <= at.getTime()

/**
 * One reminder per destination for the due rules of a server incident that share `rule`'s
 * destination, under the server's lock so it cannot cross the incident's end.
 */
const remindIncident = (rule: AlertRule, incident: AlertIncident, at: Date) =>
  Effect.gen(function* () {
    const store = yield* engineStore
    const config = yield* AlertingConfig
    yield* store.lockServer(rule.orgId, incident.serverId)
    const open = yield* store.listIncidents(rule.orgId, { serverId: incident.serverId, open: true })
    const current = open.find((i) => i.id === incident.id)
    if (current === undefined) return []
    const key = Incidents.destinationKey(rule.destination)
    const group = (yield* store.listRules(rule.orgId, { ids: current.ruleIds, forUpdate: true })).filter(
      (r) => Incidents.destinationKey(r.destination) === key && isDue(r, at)
    )
    const won: AlertRule[] = []
    for (const r of group) {
      if ((yield* store.markReminded(r.orgId, r.id, r.lastFiredAt, at)) && !isMuted(r, at)) won.push(r)
    }
    if (won.length === 0) return []
    const message = Incidents.incidentReminder({
      ruleNames: won.map((r) => r.name),
      server: { id: current.serverId, name: current.serverName },
      link: resolveLink(config.dashboardUrl, `/mcp-servers/${current.serverId}`),
      at,
      openedAt: current.openedAt,
      cause: current.summary
    })
    return [yield* enqueue(won[0]!, message)]
  })

/** The reminder of a rule firing on its own (or for a drift), worded like its last firing. */
const remindRule = (rule: AlertRule, drift: AlertIncident | undefined, at: Date) =>
  Effect.gen(function* () {
    const store = yield* engineStore
    const config = yield* AlertingConfig
    if (!(yield* store.markReminded(rule.orgId, rule.id, rule.lastFiredAt, at))) return []
    if (isMuted(rule, at)) return []
    // A muted monitor alerts nobody, its reminders included ("Mute 1 h" on a monitor's alert).
    if (rule.target.type === "monitor") {
      const monitor = yield* Effect.flatMap(MonitorStore, (s) => s.getMonitor(rule.orgId, rule.target.id))
      if (Option.isSome(monitor) && isMuted(monitor.value, at)) return []
    }
    if (drift !== undefined) {
      const server = { id: drift.serverId, name: drift.serverName }
      // A drift incident is opened by a breaking or a suspicious drift: remind of the one that fired.
      const fired = Option.getOrNull(yield* store.lastFiring(rule.orgId, rule.id))?.message.outcome
      const message = Rules.message("reminder", rule, {
        objectName: server.name,
        outcome: fired === "drift_suspicious" ? "drift_suspicious" : "drift_breaking",
        summary: drift.summary,
        link: resolveLink(config.dashboardUrl, `/mcp-servers/${server.id}`),
        at,
        target: { type: "mcp_server", ...server },
        server,
        firingSince: rule.firingSince
      })
      return [yield* enqueue(rule, message)]
    }
    // The rule's state says since when it fails; its last message says what and where.
    const last = Option.getOrNull(yield* store.lastFiring(rule.orgId, rule.id))?.message
    const message = Rules.message("reminder", rule, {
      objectName: last?.objectName ?? `${rule.target.type} ${rule.target.id}`,
      outcome: last?.outcome ?? "failing",
      summary: last?.summary ?? "Still failing.",
      link: last?.link ?? null,
      at,
      ...(last?.target === undefined ? {} : { target: last.target }),
      server: last?.server ?? null,
      toolName: last?.toolName,
      firingSince: rule.firingSince
    })
    return [yield* enqueue(rule, message)]
  })

/**
 * Enqueues the reminders that are due: for every enabled firing rule with `reminderMinutes`
 * whose last message is at least that old, across organizations. Rules a server incident holds
 * are reminded through it, one message per destination. Each rule is handled in its own
 * transaction. Returns the enqueued rows; call it on a timer (every minute is plenty).
 */
export const sendReminders = (
  options: ReminderOptions = {}
): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | MonitorStore | Ids | Transactor> =>
  Effect.gen(function* () {
    const store = yield* engineStore
    const tx = yield* Transactor
    const at = options.now ?? (yield* now)
    const out: OutboxMessage[] = []
    for (const rule of yield* store.listDueReminders(at, options.limit ?? 100)) {
      const sent = yield* tx.withTransaction(
        Effect.gen(function* () {
          const incidents = yield* incidentsOf(store, rule)
          const server = incidents.find((i) => i.kind === "server")
          return server !== undefined
            ? yield* remindIncident(rule, server, at)
            : yield* remindRule(
                rule,
                incidents.find((i) => i.kind === "drift"),
                at
              )
        })
      )
      out.push(...sent)
    }
    return out
  })
