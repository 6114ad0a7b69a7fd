import { randomBytes } from "node:crypto"
import { PgSecretStore } from "@armature/store-postgres"
import { FileSystem, Path } from "@effect/platform"
import { Data, Effect, Either, Option, Redacted } from "effect"
import { isEmbedded, type ServerConfig } from "./ServerConfig.js"

/** `DATABASE_URL` is set and `ARMATURE_SECRET_KEY` is not. */
export class SecretKeyRequired extends Data.TaggedError("SecretKeyRequired")<{
  /** A key file found in the data dir, which PostgreSQL deployments never use. */
  readonly ignoredKeyFile: string | undefined
}> {
  override get message() {
    // One sentence a line: it is read at a terminal or in a platform's log.
    const lines = [
      "ARMATURE_SECRET_KEY is required with DATABASE_URL: it encrypts the credentials stored in the database, and every process of the deployment must use the same one.",
      "Generate one with `openssl rand -base64 32`, keep it somewhere safe, and set it in the environment (or the --settings file)."
    ]
    if (this.ignoredKeyFile !== undefined) {
      lines.push(
        `${this.ignoredKeyFile} is not used with PostgreSQL: if this database's secrets were encrypted with it, set ARMATURE_SECRET_KEY to its content.`
      )
    }
    return lines.join("\n")
  }
}

const keyFileName = "secret.key"

// Parse errors name where the key came from, never what it holds.
const parse = (text: string, source: string) =>
  Either.mapLeft(
    PgSecretStore.parseKey(text),
    (e) => new PgSecretStore.InvalidSecretKey({ message: `${source}: ${e.message}` })
  )

/**
 * The embedded store's key, generated on first start and kept beside the data (mode 0600) so a
 * restart can still decrypt what the first start stored. The caller holds the data dir's lock,
 * so two processes starting on a new data dir cannot each generate one.
 */
const embeddedKey = (dataDir: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(dataDir, keyFileName)
    if (yield* fs.exists(file)) return { text: yield* fs.readFileString(file), source: file }
    yield* fs.makeDirectory(dataDir, { recursive: true })
    const text = randomBytes(32).toString("base64")
    yield* fs.writeFileString(file, `${text}\n`, { mode: 0o600, flag: "wx" })
    return { text, source: file }
  })

/**
 * The keys of the secret store, current first: `ARMATURE_SECRET_KEY` — required with
 * `DATABASE_URL`, where a key file in the data dir is never used in its place; in embedded mode
 * the data dir's generated key when it is not set — then `ARMATURE_SECRET_KEYS_PREVIOUS`
 * (comma-separated, decrypt only, for rotation).
 */
export const resolveSecretKeys = (config: ServerConfig) =>
  Effect.gen(function* () {
    const current = yield* Option.match(config.secretKey, {
      onSome: (key) => Effect.succeed({ text: Redacted.value(key), source: "ARMATURE_SECRET_KEY" }),
      onNone: () =>
        isEmbedded(config)
          ? embeddedKey(config.dataDir)
          : Effect.gen(function* () {
              const path = yield* Path.Path
              const file = path.resolve(config.dataDir, keyFileName)
              const found = yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.exists(file)).pipe(
                Effect.orElseSucceed(() => false)
              )
              return yield* new SecretKeyRequired({ ignoredKeyFile: found ? file : undefined })
            })
    })
    const previous = Option.match(config.secretKeysPrevious ?? Option.none(), {
      onNone: () => [],
      onSome: (keys) =>
        Redacted.value(keys)
          .split(",")
          .filter((part) => part.trim() !== "")
    })
    return yield* Either.all([
      parse(current.text, current.source),
      ...previous.map((text, i) =>
        parse(text, `ARMATURE_SECRET_KEYS_PREVIOUS (key ${i + 1} of ${previous.length})`)
      )
    ])
  })
