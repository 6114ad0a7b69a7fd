/**
 * The outbox dispatcher (SPEC §7): claims due messages, delivers them through the `AlertSink`,
 * and retries failures with exponential backoff until they are dead-lettered. Error alerts of
 * one server's targets bound for the same destination are merged into one server incident.
 */
import { Cause, Clock, Effect } from "effect"
import type { AlertMessage, OutboxMessage } from "../domain/Alert.js"
import type { StoreError } from "../Errors.js"
import { AlertSink } from "../ports/AlertSink.js"
import { AlertStore } from "../ports/AlertStore.js"

/** Retry policy of failed deliveries: delays base, 2×base, 4×base… capped at `maxMs`. */
export interface Backoff {
  readonly baseMs: number
  readonly maxMs: number
  /** Attempts after which a message is dead-lettered. */
  readonly maxAttempts: number
}

/** 1 min, 2, 4, … capped at 1 h; dead after 8 attempts. */
export const defaultBackoff: Backoff = { baseMs: 60_000, maxMs: 3_600_000, maxAttempts: 8 }

/** Delay before the next try after failed attempt number `attempt` (1-based). */
export const retryDelayMs = (attempt: number, backoff: Backoff = defaultBackoff): number =>
  Math.min(backoff.baseMs * 2 ** Math.max(attempt - 1, 0), backoff.maxMs)

export interface DispatchOptions {
  /** Defaults to the Clock's time. */
  readonly now?: Date
  readonly limit?: number
  readonly backoff?: Backoff
  /** How long a claim hides messages from other dispatchers while they are being delivered. */
  readonly leaseMs?: number
}

export interface DispatchResult {
  readonly claimed: number
  readonly delivered: number
  readonly retried: number
  readonly dead: number
}

const groupable = (m: OutboxMessage) =>
  m.message.incident !== undefined && m.message.kind === "firing" && m.message.outcome === "error"

/** Stable JSON of a destination, so equal destinations group regardless of key order. */
const destinationKey = (m: OutboxMessage) =>
  JSON.stringify(Object.entries(m.destination).sort(([a], [b]) => (a < b ? -1 : 1)))

/** One batch to deliver: a single message, or several merged into a server incident. */
interface Batch {
  readonly rows: ReadonlyArray<OutboxMessage>
  readonly message: AlertMessage
}

/** Merges the error alerts of one server and destination into one `incident` message. */
export const incidentOf = (rows: ReadonlyArray<OutboxMessage>): AlertMessage => {
  const first = rows[0]!.message
  const incident = first.incident!
  const objects = [...new Set(rows.map((r) => r.message.objectName))]
  const at = rows.reduce((min, r) => (r.message.at.getTime() < min.getTime() ? r.message.at : min), first.at)
  return {
    kind: "incident",
    ruleName: [...new Set(rows.map((r) => r.message.ruleName))].join(", "),
    subject: `[Armature] ${incident.serverName}: server incident — ${objects.length} affected (${objects.join(", ")})`,
    objectName: incident.serverName,
    outcome: "error",
    summary: rows.map((r) => `${r.message.objectName}: ${r.message.summary}`).join("\n"),
    link: first.link,
    at,
    incident
  }
}

/** Splits claimed rows into deliveries, merging groupable rows per (organization, server, destination). */
export const plan = (rows: ReadonlyArray<OutboxMessage>): ReadonlyArray<Batch> => {
  const out: Batch[] = []
  const groups = new Map<string, OutboxMessage[]>()
  for (const row of rows) {
    if (!groupable(row)) {
      out.push({ rows: [row], message: row.message })
      continue
    }
    const key = `${row.orgId}\u0000${row.message.incident!.serverId}\u0000${destinationKey(row)}`
    const group = groups.get(key) ?? []
    group.push(row)
    groups.set(key, group)
  }
  for (const group of groups.values()) {
    out.push(
      group.length === 1
        ? { rows: group, message: group[0]!.message }
        : { rows: group, message: incidentOf(group) }
    )
  }
  return out
}

/** Claims due outbox messages and delivers each once; failures are rescheduled or dead-lettered. */
export const dispatchOutbox = (
  options: DispatchOptions = {}
): Effect.Effect<DispatchResult, StoreError, AlertStore | AlertSink> =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const sink = yield* AlertSink
    const backoff = options.backoff ?? defaultBackoff
    const now = options.now ?? new Date(yield* Clock.currentTimeMillis)
    const leaseUntil = new Date(now.getTime() + (options.leaseMs ?? 5 * 60_000))
    const claimed = yield* store.claimOutbox(now, leaseUntil, options.limit ?? 100)
    let delivered = 0
    let retried = 0
    let dead = 0
    for (const batch of plan(claimed)) {
      const first = batch.rows[0]!
      const result = yield* sink
        .deliver({ id: first.id, orgId: first.orgId, message: batch.message, destination: first.destination })
        .pipe(
          Effect.map(() => null),
          Effect.catchTag("DeliveryFailed", (e) =>
            Effect.succeed({ message: e.message, retryable: e.retryable })
          ),
          // A sink that dies must not stop the other deliveries; its failure is worth a retry.
          Effect.catchAllDefect((defect) =>
            Effect.succeed({
              message: `Unexpected sink failure: ${Cause.pretty(Cause.die(defect)).split("\n")[0]}`,
              retryable: true
            })
          )
        )
      const at = options.now ?? new Date(yield* Clock.currentTimeMillis)
      for (const row of batch.rows) {
        if (result === null) {
          yield* store.markDelivered(row.id, at)
          delivered++
          continue
        }
        const attempt = row.attempts + 1
        if (result.retryable && attempt < backoff.maxAttempts) {
          yield* store.markFailed(
            row.id,
            result.message,
            new Date(now.getTime() + retryDelayMs(attempt, backoff))
          )
          retried++
        } else {
          yield* store.markFailed(row.id, result.message, null)
          dead++
        }
      }
    }
    return { claimed: claimed.length, delivered, retried, dead }
  })
