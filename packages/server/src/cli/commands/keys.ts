import { ApiKeys, Pages, Role, Validation } from "@armature/core"
import { Args, Command, Options } from "@effect/cli"
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { Config, Console, Effect, Option, type Redacted, Schema } from "effect"
import * as Bootstrap from "../../app/Bootstrap.js"
import { DataDirLocked } from "../../app/DataDirLock.js"
import * as ServerConfig from "../../config/ServerConfig.js"
import * as Settings from "../../config/settingsFile.js"
import { storeContext } from "../operatorContext.js"
import * as Remote from "../remoteApi.js"

const withOperator = <A, E, R>(
  f: (caller: Effect.Effect.Success<typeof Bootstrap.operator>) => Effect.Effect<A, E, R>
) => Effect.flatMap(Bootstrap.operator, f).pipe(Effect.provide(storeContext))

const settings = Settings.option
const url = Options.text("url").pipe(
  Options.withFallbackConfig(Config.string("ARMATURE_URL")),
  Options.optional,
  Options.withDescription(
    "a running server's base URL (ARMATURE_URL); default with --key: the local settings' host and port"
  )
)
const key = Options.redacted("key").pipe(
  Options.withFallbackConfig(Config.redacted("ARMATURE_API_KEY")),
  Options.optional,
  Options.withDescription("an admin or owner API key (ARMATURE_API_KEY): manage keys over REST")
)

/** Where a command works: a running server over REST, or the database directly. */
type Target =
  | { readonly _tag: "Rest"; readonly baseUrl: string; readonly key: Redacted.Redacted<string> }
  | { readonly _tag: "Database" }

/** Where the server of the local settings listens, or `null` when they pick a random port. */
const localUrl = (config: ServerConfig.ServerConfig): string | null => {
  if (config.port === 0) return null
  const host =
    config.host === "0.0.0.0" || config.host === "" ? "127.0.0.1" : config.host === "::" ? "::1" : config.host
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`
}

/** Whether an Armature server answers `/healthz` at `baseUrl`. */
const answers = (baseUrl: string) =>
  HttpClient.get(`${baseUrl}/healthz`).pipe(
    Effect.map((response) => response.status === 200),
    Effect.scoped,
    Effect.timeout("2 seconds"),
    Effect.orElseSucceed(() => false),
    Effect.provide(FetchHttpClient.layer)
  )

const usage = (field: string, message: string) =>
  new Remote.RemoteFailure({ message: "invalid input", fieldErrors: [{ field, message }], exitCode: 2 })

/**
 * REST when `--key` or `--url` is given; otherwise the database, unless a server of the local
 * settings holds the embedded one: then that is said, rather than waiting on its lock.
 */
const targetOf = (url: Option.Option<string>, key: Option.Option<Redacted.Redacted<string>>) =>
  Effect.gen(function* () {
    if (Option.isSome(url) || Option.isSome(key)) {
      const given = Option.isSome(url) ? url.value : localUrl(yield* ServerConfig.config)
      if (given === null) {
        return yield* usage("--url", "required: the local settings listen on a random port")
      }
      const baseUrl = Remote.baseUrlOf(given)
      if (typeof baseUrl !== "string") return yield* usage("--url", baseUrl.error)
      if (Option.isNone(key)) {
        return yield* usage("--key", "required with --url: an API key of an admin or owner (amt_…)")
      }
      return { _tag: "Rest", baseUrl, key: key.value } as Target
    }
    const config = yield* ServerConfig.config
    const local = localUrl(config)
    if (ServerConfig.isEmbedded(config) && local !== null && (yield* answers(local))) {
      return yield* new Remote.RemoteFailure({
        message: `A server is running at ${local}; pass --key <an admin key> (the owner key printed at first start) to manage keys over REST`,
        exitCode: 2
      })
    }
    return { _tag: "Database" } as Target
  })

/** Runs `rest` with the typed client, or `database` as the deployment's operator. */
const run = <A, E, R>(
  options: {
    readonly settings: Option.Option<string>
    readonly url: Option.Option<string>
    readonly key: Option.Option<Redacted.Redacted<string>>
  },
  rest: (
    client: Effect.Effect.Success<ReturnType<typeof Remote.client>>
  ) => Effect.Effect<void, unknown, never>,
  database: (caller: Effect.Effect.Success<typeof Bootstrap.operator>) => Effect.Effect<A, E, R>
) =>
  Effect.gen(function* () {
    const target = yield* targetOf(options.url, options.key)
    if (target._tag === "Database") {
      // A server whose port could not be probed (a random one) still holds the embedded store.
      return yield* withOperator(database).pipe(
        Effect.catchIf(
          (error): error is DataDirLocked & E => error instanceof DataDirLocked,
          (error) =>
            new Remote.RemoteFailure({
              message: `${error.message} To manage keys while it runs, pass --url <its URL> --key <an admin key>.`
            })
        )
      )
    }
    yield* Effect.flatMap(Remote.client(target.baseUrl, target.key), rest).pipe(
      Remote.reported(target.baseUrl),
      Effect.provide(FetchHttpClient.layer)
    )
  }).pipe(Settings.using(options.settings))

const printCreated = ({ key, token }: { readonly key: ApiKeys.ApiKeyView; readonly token: string }) =>
  Console.log(`Created ${key.role} key "${key.name}" (${key.prefix}). Token, shown once:\n\n  ${token}\n`)

const printList = (keys: ReadonlyArray<ApiKeys.ApiKeyView>) =>
  Effect.gen(function* () {
    if (keys.length === 0) return yield* Console.log("No API keys.")
    for (const k of keys) {
      const used = k.lastUsedAt ? `last used ${k.lastUsedAt.toISOString()}` : "never used"
      yield* Console.log(
        `${k.id}\t${k.prefix}\t${k.role}\t${k.name}\tcreated ${k.createdAt.toISOString()}\t${used}`
      )
    }
  })

const printRevoked = (keyId: string) =>
  Console.log(`Revoked key ${keyId}; it stops working on its next request.`)

const create = Command.make(
  "create",
  {
    settings,
    url,
    key,
    name: Options.text("name").pipe(Options.withDescription("what the key is for, e.g. ci or slack")),
    // Text rather than a choice, so a bad role is the API's field error, named like any other.
    role: Options.text("role").pipe(
      Options.withDefault("editor"),
      Options.withDescription(`the key's role: ${Role.literals.join(", ")} (default editor)`)
    )
  },
  ({ name, role, ...options }) =>
    run(
      options,
      (client) =>
        // The typed client refuses a body its schema does not describe: check the role first,
        // with the words the API would answer.
        Validation.decode(Schema.Struct({ role: Role }))({ role }).pipe(
          Effect.flatMap((valid) => client.team.createKey({ payload: { name, role: valid.role } })),
          Effect.flatMap(printCreated)
        ),
      // Core checks the role (a field error naming `role`), as it does for a request body.
      (caller) => Effect.flatMap(ApiKeys.create(caller, { name, role: role as Role }), printCreated)
    )
).pipe(Command.withDescription("Create an API key and print its token once"))

const list = Command.make("list", { settings, url, key }, (options) =>
  run(
    options,
    (client) =>
      Effect.flatMap(
        Pages.all(({ limit, cursor }) =>
          client.team.listKeys({
            urlParams: { limit: String(limit), ...(cursor === undefined ? {} : { cursor }) }
          })
        ),
        printList
      ),
    (caller) =>
      Effect.flatMap(
        Pages.all((page) => ApiKeys.list(caller, page)),
        printList
      )
  )
).pipe(Command.withDescription("List API keys (never their secrets)"))

const revoke = Command.make(
  "revoke",
  { settings, url, key, keyId: Args.text({ name: "keyId" }) },
  ({ keyId, ...options }) =>
    run(
      options,
      (client) => Effect.zipRight(client.team.revokeKey({ path: { id: keyId } }), printRevoked(keyId)),
      (caller) => Effect.zipRight(ApiKeys.revoke(caller, keyId), printRevoked(keyId))
    )
).pipe(Command.withDescription("Revoke an API key"))

/**
 * `armature keys create|list|revoke`: over REST with `--key` (and `--url`, default the local
 * settings' host and port); without them, as the deployment's operator with direct database
 * access, which a running server of the embedded store refuses (it holds the database).
 */
export const keys = Command.make("keys").pipe(
  Command.withDescription("Manage API keys"),
  Command.withSubcommands([create, list, revoke])
)
