/**
 * Resolves an auth profile's secret (and `secret:<ref>` env values of stdio servers) through the
 * SecretStore, right before connecting: nothing secret is held longer than a session needs it.
 */
import { type AuthProfile, type McpServer, type SecretStore, ServerUnreachable } from "@armature/core"
import { Effect, Redacted } from "effect"
import type { TokenCache } from "./oauth.js"
import type { Credentials } from "./transport.js"

const misconfigured = (message: string) => new ServerUnreachable({ message, reason: "auth_rejected" })

const secretOf = (store: SecretStore["Type"], orgId: string, profile: AuthProfile) =>
  profile.secretRef === null
    ? Effect.fail(misconfigured(`Auth profile "${profile.name}" has no secret`))
    : store.get(orgId, profile.secretRef).pipe(
        Effect.map(Redacted.value),
        Effect.mapError(() => misconfigured(`The secret of auth profile "${profile.name}" cannot be read`))
      )

/** What to send for a profile (`null` = no authentication). */
export const resolveCredentials = (
  store: SecretStore["Type"],
  cache: TokenCache,
  profile: AuthProfile | null
): Effect.Effect<Credentials, ServerUnreachable> =>
  Effect.gen(function* () {
    if (profile === null || profile.kind === "none") return { kind: "none" } as const
    const secret = yield* secretOf(store, profile.orgId, profile)
    switch (profile.kind) {
      case "bearer":
        // Users enter the token without the prefix; tolerate one pasted with it.
        return {
          kind: "headers",
          headers: { authorization: `Bearer ${secret.replace(/^Bearer\s+/i, "")}` }
        } as const
      case "api_key_header":
        if (profile.headerName === null)
          return yield* misconfigured("api_key_header profile without a header name")
        return { kind: "headers", headers: { [profile.headerName]: secret } } as const
      case "oauth_client_credentials":
        if (profile.tokenUrl === null || profile.clientId === null) {
          return yield* misconfigured("oauth_client_credentials profile without tokenUrl or clientId")
        }
        return {
          kind: "oauth",
          cache,
          request: {
            tokenUrl: profile.tokenUrl,
            clientId: profile.clientId,
            clientSecret: secret,
            scopes: profile.scopes
          }
        } as const
    }
  })

/** The stdio environment with `secret:<ref>` values replaced by the secrets. */
export const resolveEnv = (
  store: SecretStore["Type"],
  server: McpServer
): Effect.Effect<Record<string, string>, ServerUnreachable> =>
  Effect.forEach(
    Object.entries(server.env),
    ([name, value]) =>
      value.startsWith("secret:")
        ? store.get(server.orgId, value.slice("secret:".length)).pipe(
            Effect.map((v) => [name, Redacted.value(v)] as const),
            Effect.mapError(() => misconfigured(`The secret of environment variable ${name} cannot be read`))
          )
        : Effect.succeed([name, value] as const),
    { concurrency: "unbounded" }
  ).pipe(Effect.map(Object.fromEntries))
