import type { RecentToolCall } from "@armature/core"
import { LRUCache } from "lru-cache"

/**
 * Terminal runs' `RecentToolCall`s as parsed, by `recentCallsKey`, in one store's process.
 * A terminal run's calls never change (`updateRun` leaves a terminal run alone), so they are
 * parsed once: the coverage report reads its server's newest 50 runs, ~1,000 calls, on every
 * request, and parsing them was two thirds of its CPU (reads-at-scale bench). Bounded by calls,
 * not runs, since a run may hold hundreds: 20,000 is a few MB.
 */
export type RecentCallsCache = LRUCache<string, ReadonlyArray<RecentToolCall>>

export const recentCallsCache = (maxCalls = 20_000): RecentCallsCache =>
  new LRUCache({ maxSize: maxCalls, sizeCalculation: (calls) => Math.max(1, calls.length) })

/**
 * A run by organization, id and start: a run's id is derived from its workflow, reason and
 * idempotency key, so a run pruned by retention can come back under the same id with other calls.
 */
export const recentCallsKey = (orgId: string, runId: string, startedAt: Date | null) =>
  `${orgId}/${runId}/${startedAt?.getTime() ?? ""}`
