import type { RecentToolCall } from "@armature/core"
import { LRUCache } from "lru-cache"

/**
 * Terminal runs' `RecentToolCall`s as parsed, by `recentCallsKey`, in one store's process.
 * A terminal run's calls never change (`updateRun` leaves a terminal run alone, and no migration
 * rewrites stored calls; one that did would have to be deployed with every process restarted),
 * so they are parsed once: the coverage report reads its server's newest 50 runs, ~1,000 calls,
 * on every request, and parsing them was two thirds of its CPU (reads-at-scale bench).
 * Bounded by the calls' JSON length, since arguments and errors have no size limit: 8 MB of
 * JSON is ~90 servers' windows of 50 runs of 20 small calls. Every caller gets the same
 * objects, read-only by their types.
 */
export type RecentCallsCache = LRUCache<string, ReadonlyArray<RecentToolCall>>

/** Each entry is `set` with its size: the length of the JSON text it was parsed from. */
export const recentCallsCache = (maxJsonLength = 8_000_000): RecentCallsCache =>
  new LRUCache({ maxSize: maxJsonLength })

/**
 * A run by organization, id and start: a run's id is derived from its workflow, reason and
 * idempotency key, so a run pruned by retention can come back under the same id with other calls.
 */
export const recentCallsKey = (orgId: string, runId: string, startedAt: Date | null) =>
  `${orgId}\u0000${runId}\u0000${startedAt?.getTime() ?? ""}`
