import { randomBytes, randomUUID } from "node:crypto"
import { Context, Effect, Layer } from "effect"

/** Source of ids and random tokens, so tests can make them deterministic. */
export class Ids extends Context.Tag("@armature/core/Ids")<
  Ids,
  {
    /** A random (v4) UUID for a new record. */
    readonly uuid: Effect.Effect<string>
    /** `bytes` random bytes as base64url, for secrets and tokens. */
    readonly token: (bytes: number) => Effect.Effect<string>
  }
>() {}

/** Cryptographically random ids. */
export const layer = Layer.succeed(Ids, {
  uuid: Effect.sync(() => randomUUID()),
  token: (bytes) => Effect.sync(() => randomBytes(bytes).toString("base64url"))
})

/** Sequential, predictable ids for tests: `00000000-0000-4000-8000-000000000001`, … */
export const layerSequential = Layer.sync(Ids, () => {
  let n = 0
  const next = () => (++n).toString(16).padStart(12, "0")
  return {
    uuid: Effect.sync(() => `00000000-0000-4000-8000-${next()}`),
    token: (bytes) => Effect.sync(() => `tok${next()}`.padEnd(Math.ceil((bytes * 4) / 3), "x"))
  }
})
