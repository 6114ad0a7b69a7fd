/** Simple stand-ins for the core ports the webhook sink asks: an address guard and a secret store. */
import { AddressGuard, SecretNotFound, SecretStore, ServerUnreachable } from "@armature/core"
import { Effect, Layer, Redacted } from "effect"

/**
 * Refuses `blocked.test` and `169.254.169.254` (ssrf_blocked), fails `nxdomain.test` (dns), lets
 * everything else through — loopback included, where the recorders listen.
 */
export const guardLayer: Layer.Layer<AddressGuard> = Layer.succeed(AddressGuard, {
  check: (url) => {
    const host = new URL(url).hostname
    if (host === "blocked.test" || host === "169.254.169.254") {
      return Effect.fail(
        new ServerUnreachable({
          message: `${host} is a link-local or metadata address`,
          reason: "ssrf_blocked"
        })
      )
    }
    if (host === "nxdomain.test") {
      return Effect.fail(new ServerUnreachable({ message: `${host} does not resolve`, reason: "dns" }))
    }
    return Effect.void
  }
})

/** Secrets by reference for any organization (the sink contract uses a fresh organization per test). */
export const anyOrgSecrets = (values: Record<string, string>): Layer.Layer<SecretStore> =>
  Layer.succeed(SecretStore, {
    put: () => Effect.die("not used"),
    get: (_orgId, ref) =>
      ref in values
        ? Effect.succeed(Redacted.make(values[ref]!))
        : Effect.fail(new SecretNotFound({ message: "no such secret", ref })),
    delete: () => Effect.void,
    matching: () => Effect.succeed(new Set())
  })
