import { type PgSecretStore, SecretRotation } from "@armature/store-postgres"
import { Command, Options } from "@effect/cli"
import { Console, Data, Effect, Layer } from "effect"
import * as Store from "../../app/Store.js"
import * as ServerConfig from "../../config/ServerConfig.js"
import { resolveSecretKeys } from "../../config/secretKey.js"
import * as Settings from "../../config/settingsFile.js"

/** The rotation left secrets under an older key: the old key must stay configured. */
export class RotationIncomplete extends Data.TaggedError("RotationIncomplete")<{
  readonly message: string
}> {}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

const batchSize = Options.integer("batch-size").pipe(
  Options.withDefault(100),
  Options.withDescription("secrets read and rewritten per statement (default 100)")
)

/** The store (migrated on open, locked on the embedded one) and the configuration its keys come from. */
const context = Store.layer.pipe(Layer.provideMerge(ServerConfig.layer))

/**
 * `armature secrets rotate`: re-encrypts every organization's secrets under `ARMATURE_SECRET_KEY`
 * with the keys of `ARMATURE_SECRET_KEYS_PREVIOUS`. Runs beside `serve` on PostgreSQL; fails,
 * naming how many, while any secret is left under another key.
 */
const rotate = Command.make("rotate", { settings: Settings.option, batchSize }, ({ settings, batchSize }) =>
  Effect.gen(function* () {
    // The same keys the store opened with (the embedded store's generated one included).
    const keys: ReadonlyArray<PgSecretStore.Key> = yield* Effect.flatMap(
      ServerConfig.ServerConfigTag,
      resolveSecretKeys
    )
    const summary = yield* SecretRotation.run({ keys, batchSize })
    const unreadable = summary.unreadable.length
    yield* Console.log(
      `Re-encrypted ${summary.reencrypted}, already current ${summary.alreadyCurrent}, unreadable ${unreadable} (current key ${summary.keyId}).`
    )
    for (const u of summary.unreadable) {
      yield* Console.log(`  unreadable: secret ${u.ref} of organization ${u.orgId}, under key ${u.keyId}`)
    }
    if (summary.changedMeanwhile > 0) {
      yield* Console.log(
        `${plural(summary.changedMeanwhile, "secret")} changed or deleted by another process meanwhile (left as that process wrote them).`
      )
    }
    if (unreadable > 0) {
      return yield* new RotationIncomplete({
        message: `${plural(unreadable, "secret")} could not be decrypted with any configured key and ${unreadable === 1 ? "was" : "were"} left as stored. Add the key ${unreadable === 1 ? "it was" : "they were"} written with to ARMATURE_SECRET_KEYS_PREVIOUS and run again, or replace ${unreadable === 1 ? "it" : "them"} (a profile's new secret, by \`armature apply\` or the REST API). Keep the previous keys until then.`
      })
    }
    if (summary.remaining > 0) {
      return yield* new RotationIncomplete({
        message: `${plural(summary.remaining, "secret")} ${summary.remaining === 1 ? "was" : "were"} written under an older key during the rotation: a process still encrypts with it. Restart every replica with the new ARMATURE_SECRET_KEY, then run again.`
      })
    }
    yield* Console.log(
      "Every secret is under the current key: the keys in ARMATURE_SECRET_KEYS_PREVIOUS can be removed."
    )
  }).pipe(Effect.provide(context), Settings.using(settings))
).pipe(
  Command.withDescription(
    "Re-encrypt every stored secret under ARMATURE_SECRET_KEY, so the previous keys can be dropped"
  )
)

/** `armature secrets rotate`, as the deployment's operator (direct database access). */
export const secrets = Command.make("secrets").pipe(
  Command.withDescription("Manage the encryption of stored secrets"),
  Command.withSubcommands([rotate])
)
