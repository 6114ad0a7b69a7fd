/**
 * The outbox dispatcher (SPEC §7): claims due messages, delivers each through the `AlertSink`,
 * and retries failures with exponential backoff until they are dead-lettered. Grouping a server
 * incident's alerts is the engine's job (`alertEngine.ts`) when it writes them, so every claimed
 * row is one delivery.
 */
import { Cause, Clock, Effect, Random } from "effect"
import type { StoreError } from "../Errors.js"
import { AlertSink } from "../ports/AlertSink.js"
import { AlertStore } from "../ports/AlertStore.js"

/** Retry policy of failed deliveries: delays base, 2×base, 4×base… capped at `maxMs`. */
export interface Backoff {
  readonly baseMs: number
  readonly maxMs: number
  /** Attempts after which a message is dead-lettered. */
  readonly maxAttempts: number
  /**
   * Each delay is spread uniformly over ±`jitter` of itself (0.2 = ±20 %), so the messages that
   * failed together while a destination was down do not all come back in the same second.
   */
  readonly jitter?: number
}

/** 1 min, 2, 4, … capped at 1 h, ±20 %; dead after 8 attempts. */
export const defaultBackoff: Backoff = { baseMs: 60_000, maxMs: 3_600_000, maxAttempts: 8, jitter: 0.2 }

/** Nominal delay (before jitter) before the next try after failed attempt number `attempt` (1-based). */
export const retryDelayMs = (attempt: number, backoff: Backoff = defaultBackoff): number =>
  Math.min(backoff.baseMs * 2 ** Math.max(attempt - 1, 0), backoff.maxMs)

/** `retryDelayMs` spread by the backoff's jitter, from the Effect `Random` service. */
const jitteredDelayMs = (attempt: number, backoff: Backoff) =>
  Effect.map(Random.next, (r) => {
    const jitter = Math.min(Math.max(backoff.jitter ?? 0, 0), 1)
    return Math.round(retryDelayMs(attempt, backoff) * (1 - jitter + 2 * jitter * r))
  })

export interface DispatchOptions {
  /** Defaults to the Clock's time. */
  readonly now?: Date
  readonly limit?: number
  readonly backoff?: Backoff
  /** How long a claim hides messages from other dispatchers while they are being delivered. */
  readonly leaseMs?: number
  /** Destinations delivered to at the same time; 8 by default. */
  readonly concurrency?: number
}

export interface DispatchResult {
  readonly claimed: number
  readonly delivered: number
  readonly retried: number
  readonly dead: number
}

/** What one delivery came to. */
type Outcome = "delivered" | "retried" | "dead"

/**
 * Claims due outbox messages and delivers each once; failures are rescheduled (with jittered
 * exponential backoff) or dead-lettered. Messages to one destination go in order, one at a time;
 * different destinations are delivered concurrently (up to `concurrency`), so a destination that
 * is slow or timing out holds up only its own messages.
 */
export const dispatchOutbox = (
  options: DispatchOptions = {}
): Effect.Effect<DispatchResult, StoreError, AlertStore | AlertSink> =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const sink = yield* AlertSink
    const backoff = options.backoff ?? defaultBackoff
    const clock =
      options.now === undefined
        ? Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
        : Effect.succeed(options.now)
    const now = yield* clock
    const leaseUntil = new Date(now.getTime() + (options.leaseMs ?? 5 * 60_000))
    const claimed = yield* store.claimOutbox(now, leaseUntil, options.limit ?? 100)

    const deliverOne = (row: (typeof claimed)[number]): Effect.Effect<Outcome, StoreError> =>
      Effect.gen(function* () {
        const failure = yield* sink
          .deliver({ id: row.id, orgId: row.orgId, message: row.message, destination: row.destination })
          .pipe(
            Effect.as(null),
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
        const at = yield* clock
        if (failure === null) {
          yield* store.markDelivered(row.id, at)
          return "delivered"
        }
        const attempt = row.attempts + 1
        if (failure.retryable && attempt < backoff.maxAttempts) {
          const delay = yield* jitteredDelayMs(attempt, backoff)
          yield* store.markFailed(row.id, failure.message, new Date(at.getTime() + delay))
          return "retried"
        }
        yield* store.markFailed(row.id, failure.message, null)
        return "dead"
      })

    const byDestination = new Map<string, Array<(typeof claimed)[number]>>()
    for (const row of claimed) {
      const key = JSON.stringify(row.destination)
      byDestination.set(key, [...(byDestination.get(key) ?? []), row])
    }
    const outcomes = yield* Effect.forEach(
      byDestination.values(),
      (rows) => Effect.forEach(rows, deliverOne),
      { concurrency: options.concurrency ?? 8 }
    )
    const count = (o: Outcome) => outcomes.flat().filter((x) => x === o).length
    return {
      claimed: claimed.length,
      delivered: count("delivered"),
      retried: count("retried"),
      dead: count("dead")
    }
  })
