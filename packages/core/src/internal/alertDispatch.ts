/**
 * The outbox dispatcher (SPEC §7): claims due messages, delivers each through the `AlertSink`,
 * and retries failures with exponential backoff until they are dead-lettered. Grouping a server
 * incident's alerts is the engine's job (`alertEngine.ts`) when it writes them, so every claimed
 * row is one delivery.
 */
import { Cause, Clock, Effect } from "effect"
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
    for (const row of claimed) {
      const result = yield* sink
        .deliver({ id: row.id, orgId: row.orgId, message: row.message, destination: row.destination })
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
      if (result === null) {
        yield* store.markDelivered(row.id, options.now ?? new Date(yield* Clock.currentTimeMillis))
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
    return { claimed: claimed.length, delivered, retried, dead }
  })
