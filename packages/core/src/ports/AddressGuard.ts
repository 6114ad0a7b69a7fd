import { Context, type Effect } from "effect"
import type { ServerUnreachable } from "../Errors.js"

/**
 * The deployment's outbound address policy (SPEC §2): whether a URL may be contacted. Every
 * adapter that connects where a user told it to (MCP servers, alert webhooks) asks it first, so
 * one policy covers them all. Fails with reason `ssrf_blocked` for a refused address, `dns` for
 * a name that does not resolve.
 */
export class AddressGuard extends Context.Tag("@armature/core/AddressGuard")<
  AddressGuard,
  { readonly check: (url: string) => Effect.Effect<void, ServerUnreachable> }
>() {}
