import { Clock, Effect } from "effect"

/** The Clock's current time as a `Date`: what records store (tests move it with `TestClock`). */
export const now: Effect.Effect<Date> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
