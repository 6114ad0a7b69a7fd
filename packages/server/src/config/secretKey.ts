import { randomBytes } from "node:crypto"
import { FileSystem, Path } from "@effect/platform"
import { Effect, Option, Redacted } from "effect"
import type { ServerConfig } from "./ServerConfig.js"

/**
 * The key that encrypts stored credentials. Configured explicitly in production; in embedded
 * mode it is generated on first start and kept beside the data (mode 0600), so a restart can
 * still decrypt what the first start stored.
 */
export const resolveSecretKey = (config: ServerConfig) =>
  Effect.gen(function* () {
    if (Option.isSome(config.secretKey)) return config.secretKey.value
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(config.dataDir, "secret.key")
    if (yield* fs.exists(file)) return Redacted.make((yield* fs.readFileString(file)).trim())
    yield* fs.makeDirectory(config.dataDir, { recursive: true })
    const key = randomBytes(32).toString("base64")
    yield* fs.writeFileString(file, `${key}\n`, { mode: 0o600 })
    return Redacted.make(key)
  })
