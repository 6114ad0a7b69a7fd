import { Context, type Effect } from "effect"
import type { AuditEntry } from "../domain/Audit.js"
import type { StoreError } from "../Errors.js"

/** Which entries a page holds; filters combine. */
export interface AuditQuery {
  readonly action?: string
  readonly keyId?: string
  /** Only entries strictly after this one in newest-first order: the next page. */
  readonly after?: { readonly at: Date; readonly id: string }
  readonly limit: number
}

/** Who did what, through which interface, with which intent. */
export class AuditLog extends Context.Tag("@armature/core/AuditLog")<
  AuditLog,
  {
    readonly record: (entry: AuditEntry) => Effect.Effect<void, StoreError>
    /** Newest first (by time, then id). */
    readonly list: (orgId: string, query: AuditQuery) => Effect.Effect<ReadonlyArray<AuditEntry>, StoreError>
    /** Deletes up to `limit` entries older than `before` (oldest first); how many it deleted. */
    readonly prune: (before: Date, limit: number) => Effect.Effect<number, StoreError>
  }
>() {}
