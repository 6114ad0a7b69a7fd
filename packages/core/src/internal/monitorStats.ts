/** Latency percentiles and the stats windows of monitors (SPEC §5). */

/** Nearest-rank percentile of ascending `sorted` values. */
const nearestRank = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(Math.max(Math.ceil((p / 100) * sorted.length), 1), sorted.length) - 1]!

/** p50/p95/p99 by the nearest-rank method; `null`s for no values. */
export const percentiles = (
  values: ReadonlyArray<number>
): { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null } => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return { p50: null, p95: null, p99: null }
  return { p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95), p99: nearestRank(sorted, 99) }
}

export const windows = [
  { window: "1h", ms: 3_600_000 },
  { window: "24h", ms: 86_400_000 },
  { window: "7d", ms: 7 * 86_400_000 }
] as const

/** One bucket of a monitor's latency series. */
export interface Bucket {
  readonly start: Date
  readonly checks: number
  /** Checks that failed or errored. */
  readonly failed: number
  readonly p50: number | null
  readonly p95: number | null
}

/**
 * Samples from `from` to `to` in `count` equal buckets, oldest first. Latency counts only checks
 * that got an answer, as in the stats.
 */
export const bucketed = (
  samples: ReadonlyArray<Sample>,
  from: number,
  to: number,
  count: number
): ReadonlyArray<Bucket> => {
  const width = (to - from) / count
  const groups = Array.from({ length: count }, () => [] as Array<(typeof samples)[number]>)
  for (const s of samples) {
    const i = Math.floor((s.startedAt.getTime() - from) / width)
    if (i >= 0 && i < count) groups[i]!.push(s)
  }
  return groups.map((group, i) => {
    const { p50, p95 } = percentiles(group.filter((s) => s.outcome !== "error").map((s) => s.latencyMs))
    return {
      start: new Date(from + i * width),
      checks: group.length,
      failed: group.filter((s) => s.outcome === "fail" || s.outcome === "error").length,
      p50,
      p95
    }
  })
}

/** A check as the stats count it. */
type Sample = { readonly outcome: string; readonly latencyMs: number; readonly startedAt: Date }

/**
 * Success rate (pass + degraded over all checks) and latency percentiles of `samples` over each
 * window ending at `at`; latency counts only checks that got an answer.
 */
export const statsOf = (samples: ReadonlyArray<Sample>, at: number) =>
  windows.map((w) => {
    const inWindow = samples.filter((s) => s.startedAt.getTime() >= at - w.ms)
    const ok = inWindow.filter((s) => s.outcome === "pass" || s.outcome === "degraded").length
    return {
      window: w.window,
      checks: inWindow.length,
      successRate: inWindow.length === 0 ? null : ok / inWindow.length,
      ...percentiles(inWindow.filter((s) => s.outcome !== "error").map((s) => s.latencyMs))
    }
  })

/** The widest stats window, in ms: one read of it serves every window. */
export const widestMs = Math.max(...windows.map((w) => w.ms))
