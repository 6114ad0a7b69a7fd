/**
 * The monitor side of the worker: claims due monitors (`MonitorStore.claimDue` moves their next
 * due time in the same statement, so replicas never share a fire), executes each check on the
 * session pool with bounded concurrency and records it through `Monitors.recordCheck`. The
 * server's latest catalog comes along (cached with the server), for output-schema validation.
 */
import {
  type AuthProfile,
  type MonitorCheck as Check,
  Ids,
  type McpServer,
  type Monitor,
  MonitorStore,
  Monitors,
  Plans,
  ServerStore,
  type Tool
} from "@armature/core"
import { Clock, Duration, Effect, FiberSet, Option, Queue, Ref } from "effect"
import * as MonitorCheck from "../MonitorCheck.js"

export interface LoopOptions {
  readonly concurrency: number
  readonly pollMs: number
}

/** Server records change rarely; a check must not cost two store reads. */
const targetTtlMs = 5000

/**
 * Starts the loop in the current scope; it claims nothing once `stopping` is set, and closing the
 * scope interrupts the checks still in flight (a fire claimed is checked at most once).
 */
export const start = (options: LoopOptions, stopping: Ref.Ref<boolean>) =>
  Effect.gen(function* () {
    const monitors = yield* MonitorStore
    const servers = yield* ServerStore
    const checks = yield* FiberSet.make<void, never>()
    const wake = yield* Queue.sliding<void>(1)
    const cache = new Map<
      string,
      {
        at: number
        value: { server: McpServer; profile: AuthProfile | null; tools: ReadonlyArray<Tool> } | null
      }
    >()

    const targetOf = (monitor: Monitor) =>
      Effect.gen(function* () {
        const key = `${monitor.orgId}:${monitor.mcpServerId}:${monitor.authProfileId ?? ""}`
        const now = yield* Clock.currentTimeMillis
        const hit = cache.get(key)
        if (hit && now - hit.at < targetTtlMs) return hit.value
        const server = Option.getOrNull(yield* servers.getServer(monitor.orgId, monitor.mcpServerId))
        const profile =
          monitor.authProfileId === null
            ? null
            : Option.getOrNull(yield* servers.getAuthProfile(monitor.orgId, monitor.authProfileId))
        const catalog =
          server === null ? null : Option.getOrNull(yield* servers.latestCatalog(monitor.orgId, server.id))
        const value = server === null ? null : { server, profile, tools: catalog?.tools ?? [] }
        cache.set(key, { at: now, value })
        return value
      })

    // A read-only workspace (lapsed subscription, `Plans`) pauses its monitors: a claimed fire is
    // dropped unchecked, and checks resume with the subscription. Never without plan enforcement.
    const paused = new Map<string, { at: number; value: boolean }>()
    const isPaused = (orgId: string) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const hit = paused.get(orgId)
        if (hit && now - hit.at < targetTtlMs) return hit.value
        const value = yield* Plans.schedulesPaused(orgId).pipe(Effect.orElseSucceed(() => false))
        paused.set(orgId, { at: now, value })
        return value
      })

    const checkOne = (monitor: Monitor, dueAt: Date) =>
      Effect.gen(function* () {
        if (yield* isPaused(monitor.orgId)) return
        const target = yield* targetOf(monitor)
        if (target === null) {
          yield* Monitors.recordCheck(yield* missingServer(monitor, dueAt))
          return
        }
        const check = yield* MonitorCheck.execute({ monitor, ...target, scheduledAt: dueAt })
        yield* Monitors.recordCheck(check, { server: target.server })
      }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("monitor check not recorded", cause)),
        Effect.ensuring(Queue.offer(wake, undefined))
      )

    // Claims are batched: a completed check wakes the loop only while every slot was taken (it
    // waits for one to free); otherwise nothing more is due until time passes, and claiming after
    // each completion would cost one more statement per check. While fires keep coming (the last
    // claim found some) it polls every `busyPollMs`, so lateness stays well under `pollMs`; an idle
    // loop polls every `pollMs`.
    const busyPollMs = Math.min(options.pollMs, 100)
    yield* Effect.gen(function* () {
      let pause = options.pollMs
      while (true) {
        const free = options.concurrency - (yield* FiberSet.size(checks))
        if (free <= 0) {
          yield* Queue.take(wake).pipe(Effect.timeout(Duration.millis(options.pollMs)), Effect.ignore)
          continue
        }
        if (!(yield* Ref.get(stopping))) {
          const due = yield* monitors
            .claimDue(new Date(yield* Clock.currentTimeMillis), free)
            .pipe(Effect.orElseSucceed(() => []))
          for (const { monitor, dueAt } of due) yield* FiberSet.run(checks, checkOne(monitor, dueAt))
          // A full batch means more may be due already: claim again as soon as a slot frees.
          if (due.length === free) continue
          pause = due.length > 0 ? busyPollMs : options.pollMs
        }
        // Completions meanwhile are no reason to claim: drop their wake-ups.
        yield* Queue.takeAll(wake)
        yield* Effect.sleep(Duration.millis(pause))
      }
    }).pipe(Effect.forkScoped)

    /** Completes once no check is in flight. */
    return { idle: FiberSet.awaitEmpty(checks) }
  })

/** The check recorded when the monitor's server or profile was deleted under it. */
const missingServer = (monitor: Monitor, dueAt: Date): Effect.Effect<Check, never, Ids> =>
  Effect.gen(function* () {
    const started = new Date(yield* Clock.currentTimeMillis)
    return {
      id: yield* Effect.flatMap(Ids, (ids) => ids.uuid),
      orgId: monitor.orgId,
      monitorId: monitor.id,
      scheduledAt: dueAt,
      startedAt: started,
      outcome: "error",
      latencyMs: 0,
      error: "The monitor's MCP server or auth profile no longer exists",
      resultExcerpt: null,
      attempts: 0
    }
  })
