/**
 * A plugin secret store: credential values (auth-profile tokens, webhook signing secrets, Slack
 * bot tokens) kept in HashiCorp Vault — or OpenBao — through its KV version 2 engine, instead of
 * encrypted in Armature's database. Armature's records keep only the reference.
 *
 * Each secret is one KV entry `<prefix>/<orgId>/<ref>` holding `{ "value": "…" }`; the reference
 * is a random UUID, written with `cas: 0` so a put never overwrites another secret.
 */
import { randomUUID } from "node:crypto"
import { SecretNotFound, SecretStore, StoreError } from "@armature/core"
import { Config, type ConfigError, Data, Duration, Effect, Layer, Redacted } from "effect"

export interface Options {
  /** Vault's address, e.g. `https://vault.internal:8200`. */
  readonly address: string
  /** A token whose policy allows create, read, delete and list under the prefix (see the README). */
  readonly token: Redacted.Redacted<string>
  /** The KV version 2 mount; `secret` by default. */
  readonly mount?: string
  /** The folder under the mount holding Armature's secrets; `armature` by default. */
  readonly prefix?: string
  /** A Vault Enterprise or HCP Vault namespace, sent as `X-Vault-Namespace`. */
  readonly namespace?: string
  /** Per request; 10 s by default. */
  readonly timeoutMs?: number
}

/** An option the store cannot work with, named by its field. */
export class InvalidVaultOptions extends Data.TaggedError("InvalidVaultOptions")<{
  readonly field: string
  readonly message: string
}> {}

// Only references this store hands out name a Vault path: a crafted one (`../<other org>/…`)
// never reaches the network, because Vault decodes and cleans paths itself.
const refPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const segmentPattern = /^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/
const isPath = (path: string) => path.split("/").every((segment) => segmentPattern.test(segment))

/** The options' problems, checked once when the layer is built. */
const check = (options: Options): Effect.Effect<void, InvalidVaultOptions> => {
  const url = URL.canParse(options.address) ? new URL(options.address) : null
  if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) {
    return new InvalidVaultOptions({
      field: "address",
      message: "must be an http(s) URL, e.g. https://vault:8200"
    })
  }
  for (const field of ["mount", "prefix"] as const) {
    const value = options[field]
    if (value !== undefined && !isPath(value)) {
      return new InvalidVaultOptions({ field, message: "must be path segments of letters, digits, _ . -" })
    }
  }
  if (Redacted.value(options.token).trim() === "") {
    return new InvalidVaultOptions({ field: "token", message: "must not be empty" })
  }
  return Effect.void
}

/** The store over Vault's HTTP API. */
export const make = (options: Options): Effect.Effect<SecretStore["Type"], InvalidVaultOptions> =>
  Effect.as(check(options), build(options))

const build = (options: Options): SecretStore["Type"] => {
  const base = `${options.address.replace(/\/+$/, "")}/v1/${options.mount ?? "secret"}`
  const prefix = options.prefix ?? "armature"
  const timeout = Duration.millis(options.timeoutMs ?? 10_000)
  const headers = {
    "x-vault-token": Redacted.value(options.token),
    ...(options.namespace === undefined ? {} : { "x-vault-namespace": options.namespace })
  }

  /** The folder of one organization; our organization ids are path-safe, a foreign one is refused. */
  const folder = (orgId: string) =>
    segmentPattern.test(orgId)
      ? Effect.succeed(`${prefix}/${orgId}`)
      : Effect.fail(new StoreError({ message: "the organization id cannot name a Vault path" }))

  /** One request; the error names the operation and Vault's status, never a value or the token. */
  const request = (what: string, method: string, path: string, body?: unknown) =>
    Effect.tryPromise({
      try: (signal) =>
        fetch(`${base}/${path}`, {
          method,
          headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal
        }),
      catch: () => new StoreError({ message: `could not reach Vault to ${what}`, unavailable: true })
    }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new StoreError({ message: `Vault did not answer in time to ${what}`, unavailable: true })
      })
    )

  const refused = (what: string, response: Response) =>
    new StoreError({
      message:
        response.status === 403
          ? `Vault refused to ${what} (403): check the token and its policy on ${prefix}/*`
          : `Vault answered ${response.status} to ${what}`,
      // Sealed, standby without forwarding, rate limited: another attempt can succeed.
      unavailable: response.status === 429 || response.status >= 500
    })

  const json = (what: string, response: Response) =>
    Effect.tryPromise({
      try: () => response.json() as Promise<any>,
      catch: () => new StoreError({ message: `Vault's answer to ${what} is not JSON` })
    })

  const read = (orgId: string, ref: string) =>
    Effect.gen(function* () {
      const notFound = new SecretNotFound({ message: "secret not found", ref })
      if (!refPattern.test(ref)) return yield* notFound
      const path = `${yield* folder(orgId)}/${ref}`
      const response = yield* request("read a secret", "GET", `data/${path}`)
      if (response.status === 404) return yield* notFound
      if (!response.ok) return yield* refused("read a secret", response)
      const value = (yield* json("read a secret", response))?.data?.data?.value
      if (typeof value !== "string") {
        return yield* new StoreError({ message: `the Vault entry ${path} has no string "value"` })
      }
      return Redacted.make(value)
    })

  return SecretStore.of({
    put: (orgId, value) =>
      Effect.gen(function* () {
        const ref = randomUUID()
        const path = `${yield* folder(orgId)}/${ref}`
        const body = { options: { cas: 0 }, data: { value: Redacted.value(value) } }
        const response = yield* request("store a secret", "POST", `data/${path}`, body)
        if (!response.ok) return yield* refused("store a secret", response)
        return ref
      }),
    get: read,
    delete: (orgId, ref) =>
      Effect.gen(function* () {
        if (!refPattern.test(ref)) return
        // The metadata path removes every version, not only the latest (a soft delete would keep them).
        const response = yield* request(
          "delete a secret",
          "DELETE",
          `metadata/${yield* folder(orgId)}/${ref}`
        )
        if (!response.ok && response.status !== 404) return yield* refused("delete a secret", response)
      }),
    // Vault cannot search by value, so this reads the organization's secrets: tens of them, and
    // only when a use case checks arguments for a repeated credential.
    matching: (orgId, candidates) =>
      Effect.gen(function* () {
        const wanted = new Set(candidates)
        if (wanted.size === 0) return new Set<string>()
        const response = yield* request("list secrets", "GET", `metadata/${yield* folder(orgId)}?list=true`)
        if (response.status === 404) return new Set<string>()
        if (!response.ok) return yield* refused("list secrets", response)
        const keys: ReadonlyArray<unknown> = (yield* json("list secrets", response))?.data?.keys ?? []
        const refs = keys.filter((k): k is string => typeof k === "string" && refPattern.test(k))
        const values = yield* Effect.forEach(
          refs,
          (ref) =>
            read(orgId, ref).pipe(
              Effect.map(Redacted.value),
              // Deleted between the list and the read: it matches nothing.
              Effect.catchTag("SecretNotFound", () => Effect.succeed(null))
            ),
          { concurrency: 8 }
        )
        return new Set(values.filter((v): v is string => v !== null && wanted.has(v)))
      })
  })
}

// #region layer
/** Provides core's `SecretStore` from explicit options. */
export const layer = (options: Options): Layer.Layer<SecretStore, InvalidVaultOptions> =>
  Layer.effect(SecretStore, make(options))
// #endregion layer

/** `layer` with its options from configuration, under names the application chooses. */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<SecretStore, InvalidVaultOptions | ConfigError.ConfigError> =>
  Layer.effect(SecretStore, Effect.flatMap(Config.unwrap(config), make))
