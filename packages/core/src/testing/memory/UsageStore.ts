import type { Context } from "effect"
import type { UsageStore } from "../../ports/UsageStore.js"
import { type Db, rowsOf } from "./Tables.js"

/** In-memory `UsageStore`: counts over the same tables as the other stores. */
export const makeUsageStore = (db: Db): Context.Tag.Service<UsageStore> => ({
  usage: (orgId, runsSince) =>
    db.run((t) => ({
      servers: rowsOf(t.servers, orgId).length,
      workflows: rowsOf(t.workflows, orgId, (w) => w.state !== "archived").length,
      monitors: rowsOf(t.monitors, orgId, (m) => m.state !== "archived").length,
      runs: rowsOf(t.runs, orgId, (r) => r.createdAt.getTime() >= runsSince.getTime()).length,
      members: rowsOf(t.members, orgId).length
    }))
})
