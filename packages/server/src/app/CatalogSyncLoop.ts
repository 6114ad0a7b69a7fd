import { OrgStore, Plans, ServerStore, Servers } from "@armature/core"
import { Config, Duration, Effect, Layer, Random, Schedule } from "effect"

/**
 * Re-probes every registered server on a schedule (SPEC §2: default hourly), so catalog drift is
 * found even when nobody asks. A server that cannot be reached is marked so by `sync` itself;
 * here that is only logged. Replicas each run the loop: `sync` stores a new catalog version
 * only when the hash changed, so the cost of several replicas is extra probes, not duplicates.
 */
const pass = Effect.gen(function* () {
  const orgs = yield* Effect.flatMap(OrgStore, (s) => s.listOrganizations)
  for (const org of orgs) {
    // A read-only workspace (lapsed subscription) pauses its scheduled work, syncs included.
    if (yield* Plans.schedulesPaused(org.id)) continue
    const caller = { orgId: org.id, actor: { keyId: null, memberId: null, role: "admin" as const } }
    const servers = yield* Effect.flatMap(ServerStore, (s) => s.listServers(org.id))
    for (const server of servers) {
      yield* Servers.sync(caller, server.id).pipe(
        Effect.catchAll((error) => Effect.logInfo(`catalog sync of ${server.name}: ${error.message}`))
      )
    }
  }
})

export const layer = Layer.scopedDiscard(
  Effect.gen(function* () {
    const every = yield* Config.duration("ARMATURE_CATALOG_SYNC_INTERVAL").pipe(
      Config.withDefault(Duration.hours(1))
    )
    // A random first delay spreads the passes of replicas started together.
    const jitter = yield* Random.nextIntBetween(0, Math.max(1, Math.floor(Duration.toMillis(every) / 4)))
    yield* Effect.forkScoped(
      Effect.sleep(Duration.sum(every, Duration.millis(jitter))).pipe(
        Effect.zipRight(
          Effect.repeat(
            pass.pipe(Effect.catchAllCause((cause) => Effect.logWarning("catalog sync pass failed", cause))),
            Schedule.spaced(every)
          )
        )
      )
    )
  })
)
