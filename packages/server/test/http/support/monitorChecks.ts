/** One monitor check executed and recorded as the worker does it, for tests of the API (which has no worker). */
import { type Caller, type MonitorCheck as Check, Monitors, ServerStore } from "@armature/core"
import { MonitorCheck } from "@armature/runner"
import { Effect, Option } from "effect"
import type { ApiServer } from "./apiServer.js"

/**
 * Executes one check of the monitor as stored, with its server's latest catalog (so tools'
 * output schemas are checked, as the worker's are), and records it.
 */
export const runCheck = (
  api: ApiServer,
  caller: Caller,
  monitorId: string,
  scheduledAt: Date
): Promise<Check> =>
  api.run(
    Effect.gen(function* () {
      const monitor = yield* Monitors.get(caller, monitorId)
      const servers = yield* ServerStore
      const server = Option.getOrThrow(yield* servers.getServer(caller.orgId, monitor.mcpServerId))
      const profile =
        monitor.authProfileId === null
          ? null
          : Option.getOrNull(yield* servers.getAuthProfile(caller.orgId, monitor.authProfileId))
      const catalog = Option.getOrNull(yield* servers.latestCatalog(caller.orgId, server.id))
      const check = yield* MonitorCheck.execute({
        monitor,
        server,
        profile,
        scheduledAt,
        tools: catalog?.tools ?? []
      })
      yield* Monitors.recordCheck(check)
      return check
    })
  )
