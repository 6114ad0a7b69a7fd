import { Context, type Effect } from "effect"
import type { StoreError } from "../Errors.js"

/** What an organization holds and has used, as plan limits count it (`Plans`). */
export interface Usage {
  /** Registered MCP servers. */
  readonly servers: number
  /** Workflows that are not archived (an archived workflow frees its slot). */
  readonly workflows: number
  /** Monitors that are not archived (an archived monitor frees its slot). */
  readonly monitors: number
  /** Runs created since the `since` instant given (the start of the month). */
  readonly runs: number
  readonly members: number
}

/**
 * Counts for plan limits, in one call so an adapter can answer with one statement. Separate
 * from the list methods of the other stores: limits need counts, not pages.
 */
export class UsageStore extends Context.Tag("@armature/core/UsageStore")<
  UsageStore,
  {
    readonly usage: (orgId: string, runsSince: Date) => Effect.Effect<Usage, StoreError>
  }
>() {}
