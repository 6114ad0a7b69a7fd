import { Alerting } from "@armature/core"
import { Duration, Effect, Layer, Schedule } from "effect"
import { ServerConfigTag } from "../config/ServerConfig.js"
import { Metrics } from "./Metrics.js"

/** Messages claimed per round; a full round is followed at once by the next. */
const batch = 50

/**
 * Delivers the alert outbox (SPEC §7) in every replica. Claims are `SKIP LOCKED` with a lease,
 * so replicas never deliver the same claim twice; a message whose delivery outlives the lease
 * (a replica killed mid-send) is claimed again later — at least once, under the same message id.
 * A failed round is logged and the next one tries again. Reminders are sent once a minute.
 */
export const layer = Layer.scopedDiscard(
  Effect.gen(function* () {
    const config = (yield* ServerConfigTag).alerts
    const metrics = yield* Metrics
    const backoff = {
      baseMs: Duration.toMillis(config?.retryBase ?? Duration.seconds(30)),
      maxMs: 3_600_000,
      maxAttempts: config?.maxAttempts ?? 10,
      jitter: 0.2
    }
    const poll = config?.pollInterval ?? Duration.seconds(1)
    const round = Alerting.dispatchOutbox({ backoff, limit: batch, leaseMs: 5 * 60_000 }).pipe(
      Effect.tap((r) =>
        Effect.sync(() => {
          if (r.delivered > 0) metrics.alerts.inc({ result: "delivered" }, r.delivered)
          if (r.retried > 0) metrics.alerts.inc({ result: "retried" }, r.retried)
          if (r.dead > 0) metrics.alerts.inc({ result: "dead" }, r.dead)
        })
      ),
      Effect.map((r) => r.claimed >= batch),
      Effect.catchAllCause((cause) => Effect.as(Effect.logWarning("alert dispatch failed", cause), false))
    )
    const loop = Effect.forever(Effect.flatMap(round, (full) => (full ? Effect.void : Effect.sleep(poll))))
    yield* Effect.forkScoped(loop)
    // Reminders of incidents still firing come from the clock, not only from the next outcome;
    // each is a compare-and-set on the rule, so replicas ticking together send it once.
    const reminders = Alerting.sendReminders().pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("alert reminders failed", cause))
    )
    yield* Effect.forkScoped(Effect.repeat(reminders, Schedule.spaced(Duration.minutes(1))))
  })
)
