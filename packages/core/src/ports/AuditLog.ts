import { Context, type Effect } from "effect"
import type { AuditEntry } from "../domain/Audit.js"
import type { StoreError } from "../Errors.js"

/** Who did what, through which interface, with which intent. */
export class AuditLog extends Context.Tag("@armature/core/AuditLog")<
  AuditLog,
  {
    readonly record: (entry: AuditEntry) => Effect.Effect<void, StoreError>
    /** Newest first. */
    readonly list: (
      orgId: string,
      options: { readonly limit: number }
    ) => Effect.Effect<ReadonlyArray<AuditEntry>, StoreError>
  }
>() {}
