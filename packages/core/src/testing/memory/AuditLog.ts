import { type Context, Either } from "effect"
import type { AuditEntry } from "../../domain/Audit.js"
import type { AuditLog } from "../../ports/AuditLog.js"
import { compareIds, type Db, duplicate, rowsOf } from "./Tables.js"

type Position = Pick<AuditEntry, "at" | "id">

/** Newest first: later time, then greater id. */
const newestFirst = (a: Position, b: Position) => b.at.getTime() - a.at.getTime() || compareIds(b.id, a.id)

/** In-memory `AuditLog`. */
export const makeAuditLog = (db: Db): Context.Tag.Service<AuditLog> => ({
  record: (entry) =>
    db.attempt((t) => {
      if (t.audit.has(entry.id)) return Either.left(duplicate("audit entry", entry.id))
      t.audit.set(entry.id, entry)
      return Either.void
    }),
  prune: (before, limit) =>
    db.run((t) => {
      const old = Array.from(t.audit.values())
        .filter((e) => e.at < before)
        .sort((a, b) => -newestFirst(a, b))
        .slice(0, Math.max(0, limit))
      for (const e of old) t.audit.delete(e.id)
      return old.length
    }),
  list: (orgId, query) =>
    db.run((t) => {
      const after = query.after
      return rowsOf(
        t.audit,
        orgId,
        (e) =>
          (query.action === undefined || e.action === query.action) &&
          (query.keyId === undefined || e.actor.keyId === query.keyId) &&
          (after === undefined || newestFirst(after, e) < 0)
      )
        .sort(newestFirst)
        .slice(0, Math.max(0, Math.floor(query.limit)))
    })
})
