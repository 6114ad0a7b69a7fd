import { type Context, Either } from "effect"
import type { AuditLog } from "../../ports/AuditLog.js"
import { compareIds, type Db, duplicate, rowsOf } from "./Tables.js"

/** In-memory `AuditLog`. */
export const makeAuditLog = (db: Db): Context.Tag.Service<AuditLog> => ({
  record: (entry) =>
    db.attempt((t) => {
      if (t.audit.has(entry.id)) return Either.left(duplicate("audit entry", entry.id))
      t.audit.set(entry.id, entry)
      return Either.void
    }),
  list: (orgId, options) =>
    db.run((t) =>
      rowsOf(t.audit, orgId)
        .sort((a, b) => b.at.getTime() - a.at.getTime() || compareIds(b.id, a.id))
        .slice(0, Math.max(0, options.limit))
    )
})
