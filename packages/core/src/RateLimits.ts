/**
 * The per-key request limit (SPEC §9.2 `rate_limited`): one budget per API key, shared by every
 * interface that takes the key — REST and the MCP API ask the same `KeyRateLimit`, so a client
 * cannot double its budget by switching protocol. A token bucket from `@effect/experimental`'s
 * `RateLimiter`: bursts up to the limit, then one request per `window / limit`.
 *
 * The bucket lives where the limiter's store lives: `layerMemory` counts in this process (per
 * replica); `layer` over another `RateLimiterStore` (the library's Redis store) shares it between
 * replicas. Callers without a key — the operator, the system — are never limited.
 */
// The module itself, not the package index, which would load its platform-bound modules too.
import * as RateLimiter from "@effect/experimental/RateLimiter"
import { Config, type ConfigError, Context, Duration, Effect, Layer } from "effect"
import type { Caller } from "./domain/Audit.js"
import { RateLimited } from "./Errors.js"

export interface Options {
  /** Requests per key and window; 0 turns the limit off. */
  readonly limit: number
  /** The window the limit is counted over (default 1 minute). */
  readonly window?: Duration.DurationInput
}

export const defaults = { limit: 600, window: Duration.minutes(1) } as const

/**
 * Takes one request from the caller's budget; fails with `rate_limited` (and the seconds to wait)
 * when it is spent. Unlimited unless a layer of this module is provided, so an embedder that
 * wants no limit need not provide anything.
 */
export class KeyRateLimit extends Context.Reference<KeyRateLimit>()("@armature/core/KeyRateLimit", {
  defaultValue: () => unlimited
}) {}

interface Service {
  readonly take: (caller: Caller) => Effect.Effect<void, RateLimited>
}

const unlimited: Service = { take: () => Effect.void }

/** Takes one request of `caller`'s budget from the limit in context. */
export const take = (caller: Caller): Effect.Effect<void, RateLimited> =>
  Effect.flatMap(KeyRateLimit, (limit) => limit.take(caller))

/** The limit over the `RateLimiter` in context (and so over its store). */
export const layer = (options: Options): Layer.Layer<KeyRateLimit, never, RateLimiter.RateLimiter> =>
  Layer.effect(
    KeyRateLimit,
    Effect.map(RateLimiter.RateLimiter, (limiter): Service => {
      if (options.limit <= 0) return unlimited
      const window = Duration.decode(options.window ?? defaults.window)
      const per = `${options.limit} per ${Duration.format(window)}`
      return {
        take: (caller) => {
          const keyId = caller.actor.keyId
          if (keyId === null || caller.operator === true) return Effect.void
          return limiter
            .consume({
              algorithm: "token-bucket",
              onExceeded: "fail",
              window,
              limit: options.limit,
              key: `armature:key:${keyId}`
            })
            .pipe(
              Effect.asVoid,
              Effect.catchTag("RateLimiterError", (error) => {
                if (error.reason === "Exceeded") {
                  const seconds = Math.max(1, Math.ceil(Duration.toSeconds(error.retryAfter)))
                  return Effect.fail(
                    new RateLimited({
                      message: `Too many requests with this API key (at most ${per}); retry in ${seconds} s.`,
                      retryAfterSeconds: seconds
                    })
                  )
                }
                // A limiter whose store is down must not take the API down with it.
                return Effect.logWarning("The request rate limiter failed; the request is let through", error)
              })
            )
        }
      }
    })
  )

/** The limit counted in this process: each replica keeps its own buckets. */
export const layerMemory = (options: Options): Layer.Layer<KeyRateLimit> =>
  layer(options).pipe(Layer.provide(RateLimiter.layer), Layer.provide(RateLimiter.layerStoreMemory))

/** `layerMemory` with its options from configuration (a `Config.Wrap` of `Options`). */
export const layerMemoryConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<KeyRateLimit, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layerMemory))
