/**
 * The deployment's outbound address policy as core's `AddressGuard` port, so every adapter that
 * connects where a user pointed it (MCP servers here, alert webhooks in `@armature/alerts`)
 * refuses the same addresses: link-local and metadata always, loopback and private ranges unless
 * allowed.
 */
import { AddressGuard, ServerUnreachable } from "@armature/core"
import { Config, type ConfigError, Effect, Layer } from "effect"
import * as Ssrf from "./internal/ssrf.js"

export { AddressGuard } from "@armature/core"

/** Which non-public destinations may be contacted; both default to off. */
export interface Options {
  readonly allowLoopback?: boolean
  readonly allowPrivateNetworks?: boolean
}

/** The guard: resolves the URL's host and checks every address it resolves to. */
export const make = (options: Options = {}): AddressGuard["Type"] => {
  const policy = {
    allowLoopback: options.allowLoopback ?? false,
    allowPrivateNetworks: options.allowPrivateNetworks ?? false
  }
  return {
    check: (url) =>
      Effect.try({
        try: () => new URL(url),
        catch: () => new ServerUnreachable({ message: "Invalid URL", reason: "transport" })
      }).pipe(Effect.flatMap((parsed) => Ssrf.check(parsed, policy)))
  }
}

export const layer = (options: Options = {}): Layer.Layer<AddressGuard> =>
  Layer.succeed(AddressGuard, make(options))

/** `layer` with its options from configuration (a `Config.Wrap` of `Options`). */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<AddressGuard, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
