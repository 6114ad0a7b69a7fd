import { Scheduler } from "@armature/core"
import { Duration, Effect, Layer, Schedule } from "effect"
import { Metrics } from "./Metrics.js"

/**
 * Runs the scheduler tick every few seconds in the background. Every replica may tick: fires are
 * deduplicated by their idempotent run ids, so this needs no leader election. A failed tick is
 * logged and the next one tries again.
 */
export const layer = (every: Duration.DurationInput = Duration.seconds(5)) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const metrics = yield* Metrics
      const tick = yield* Scheduler.makeTick
      const once = tick.pipe(
        Effect.tap((r) =>
          Effect.sync(() => {
            if (r.fired > 0) metrics.fires.inc({ result: "fired" }, r.fired)
            if (r.skipped > 0) metrics.fires.inc({ result: "skipped" }, r.skipped)
          })
        ),
        Effect.catchAllCause((cause) => Effect.logWarning("scheduler tick failed", cause))
      )
      yield* Effect.forkScoped(Effect.repeat(once, Schedule.spaced(every)))
    })
  )
