/**
 * Failed API-key checks per client address, in fixed windows: past `limit` failures within
 * `window`, further failures are answered with 429 `rate_limited` until the window ends. Only
 * failures count, and a valid key is always accepted, so clients sharing an address (behind one
 * proxy) are not locked out by a neighbour guessing keys.
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"

export interface Options {
  /** Failures allowed per address and window (default 10). */
  readonly limit?: number
  /** Length of a window (default 1 minute). */
  readonly window?: Duration.DurationInput
}

export const defaults = { limit: 10, window: Duration.minutes(1) } as const

/** Addresses remembered at most; beyond that, ended windows go first, then the oldest. */
const maxAddresses = 10_000

export class AuthFailureLimiter extends Context.Tag("@armature/server/AuthFailureLimiter")<
  AuthFailureLimiter,
  {
    /** Counts a failure of `address`; the seconds it must wait when it is over the limit, else 0. */
    readonly fail: (address: string) => Effect.Effect<number>
  }
>() {}

/** A limiter with its own counters. */
export const make = (options: Options = {}) =>
  Effect.sync(() => {
    const limit = options.limit ?? defaults.limit
    const windowMs = Duration.toMillis(options.window ?? defaults.window)
    const windows = new Map<string, { start: number; failures: number }>()
    const evict = (now: number) => {
      for (const [address, w] of windows) if (now - w.start >= windowMs) windows.delete(address)
      for (const address of windows.keys()) {
        if (windows.size < maxAddresses) break
        windows.delete(address)
      }
    }
    return AuthFailureLimiter.of({
      fail: (address) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          let w = windows.get(address)
          if (w === undefined || now - w.start >= windowMs) {
            windows.delete(address)
            if (windows.size >= maxAddresses) evict(now)
            w = { start: now, failures: 0 }
            windows.set(address, w)
          }
          w.failures++
          return w.failures > limit ? Math.max(1, Math.ceil((w.start + windowMs - now) / 1000)) : 0
        })
    })
  })

/** Provides a limiter; share one layer between everything that checks keys. */
export const layer = (options: Options = {}) => Layer.effect(AuthFailureLimiter, make(options))
