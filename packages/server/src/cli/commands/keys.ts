import { ApiKeys, Role } from "@armature/core"
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import * as Bootstrap from "../../app/Bootstrap.js"
import * as Settings from "../../config/settingsFile.js"
import { storeContext } from "../operatorContext.js"

const withOperator = <A, E, R>(
  f: (caller: Effect.Effect.Success<typeof Bootstrap.operator>) => Effect.Effect<A, E, R>
) => Effect.flatMap(Bootstrap.operator, f).pipe(Effect.provide(storeContext))

const settings = Settings.option

const create = Command.make(
  "create",
  {
    settings,
    name: Options.text("name").pipe(Options.withDescription("what the key is for, e.g. ci or slack")),
    role: Options.choice("role", Role.literals).pipe(
      Options.withDefault("editor" as const),
      Options.withDescription("the key's role (default editor)")
    )
  },
  ({ name, role, settings }) =>
    withOperator((caller) =>
      Effect.gen(function* () {
        const { key, token } = yield* ApiKeys.create(caller, { name, role })
        yield* Console.log(
          `Created ${key.role} key "${key.name}" (${key.prefix}). Token, shown once:\n\n  ${token}\n`
        )
      })
    ).pipe(Settings.using(settings))
).pipe(Command.withDescription("Create an API key and print its token once"))

const list = Command.make("list", { settings }, ({ settings }) =>
  withOperator((caller) =>
    Effect.gen(function* () {
      const keys = yield* ApiKeys.list(caller)
      if (keys.length === 0) return yield* Console.log("No API keys.")
      for (const k of keys) {
        const used = k.lastUsedAt ? `last used ${k.lastUsedAt.toISOString()}` : "never used"
        yield* Console.log(
          `${k.id}\t${k.prefix}\t${k.role}\t${k.name}\tcreated ${k.createdAt.toISOString()}\t${used}`
        )
      }
    })
  ).pipe(Settings.using(settings))
).pipe(Command.withDescription("List API keys (never their secrets)"))

const revoke = Command.make(
  "revoke",
  { settings, keyId: Args.text({ name: "keyId" }) },
  ({ settings, keyId }) =>
    withOperator((caller) =>
      Effect.gen(function* () {
        yield* ApiKeys.revoke(caller, keyId)
        yield* Console.log(`Revoked key ${keyId}; it stops working on its next request.`)
      })
    ).pipe(Settings.using(settings))
).pipe(Command.withDescription("Revoke an API key"))

/** `armature keys create|list|revoke`, as the deployment's operator (direct database access). */
export const keys = Command.make("keys").pipe(
  Command.withDescription("Manage API keys"),
  Command.withSubcommands([create, list, revoke])
)
