/**
 * What the monitor-engine benches share: monitors of the bench target created through the REST
 * API (paused), then laid out by SQL so that their fires are spread evenly over one interval from
 * a chosen instant (the offered load is then exactly monitors ÷ interval per second), and the
 * reading of a run: from `monitor_checks` (served, lateness = started_at − scheduled_at) and from
 * the target's own counts (duplicate executions, lost fires).
 */
import { Effect } from "effect"
import { withSql } from "./database.js"
import type { restClient } from "./http.js"
import { pct } from "./stats.js"

/** A bench monitor: its id, and its name, which is also its `monitor` argument at the target. */
export interface BenchMonitor {
  readonly id: string
  readonly name: string
}

/** Registers the target at `url` (no auth); its id. */
export const registerTarget = async (rest: ReturnType<typeof restClient>, url: string) => {
  const { server } = await rest("POST", "/mcp-servers", {
    name: "bench-target",
    baseUrl: url,
    authProfiles: [{ name: "none", kind: "none" }]
  })
  return server.id as string
}

/**
 * `count` paused monitors of `ping` on the target, `parallel` requests at a time. No retries:
 * each fire is exactly one call at the target, so calls − checks counts duplicate executions.
 */
export const createMonitors = async (
  rest: ReturnType<typeof restClient>,
  serverId: string,
  count: number,
  intervalSeconds: number,
  parallel = 8
): Promise<ReadonlyArray<BenchMonitor>> => {
  const out: BenchMonitor[] = new Array(count)
  let next = 0
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < count; i = next++) {
        const name = `m-${String(i).padStart(6, "0")}`
        const created = await rest("POST", "/monitors", {
          name,
          mcpServerId: serverId,
          toolName: "ping",
          arguments: { monitor: name },
          intervalSeconds,
          retries: 0,
          state: "paused"
        })
        out[i] = { id: created.id, name }
      }
    })
  )
  return out
}

/** One schedule: which monitors fire, how often, and each one's first due time (epoch ms). */
export interface Schedule {
  readonly monitors: ReadonlyArray<BenchMonitor>
  readonly intervalMs: number
  readonly firstDue: ReadonlyMap<string, number>
  readonly startAt: number
}

/**
 * Pauses every monitor, then activates `monitors` with their first fires spread evenly over
 * one interval from `startAt`: the offered load is `monitors.length / interval` from then on.
 */
export const schedule = async (
  databaseUrl: string,
  monitors: ReadonlyArray<BenchMonitor>,
  intervalSeconds: number,
  startAt: number
): Promise<Schedule> => {
  const intervalMs = intervalSeconds * 1000
  const firstDue = new Map(
    monitors.map((m, i) => [m.name, startAt + Math.floor((i * intervalMs) / monitors.length)] as const)
  )
  await withSql(databaseUrl, (sql) =>
    sql.withTransaction(
      sql`UPDATE monitors SET state = 'paused' WHERE state = 'active'`.pipe(
        Effect.zipRight(
          sql`UPDATE monitors m SET state = 'active', next_check_at = s.due
              FROM unnest(${monitors.map((m) => m.id)}::text[],
                          ${monitors.map((m) => new Date(firstDue.get(m.name)!).toISOString())}::timestamptz[])
                AS s(id, due)
              WHERE m.id = s.id`
        )
      )
    )
  )
  return { monitors, intervalMs, firstDue, startAt }
}

/** Pauses every monitor: nothing is claimed any more (checks in flight still finish). */
export const pauseAll = (databaseUrl: string) =>
  withSql(databaseUrl, (sql) => sql`UPDATE monitors SET state = 'paused' WHERE state = 'active'`)

/** What one run of a schedule showed. */
export interface FireReport {
  readonly seconds: number
  readonly offered: number
  /** Checks started per second in the run (rows). */
  readonly served: number
  readonly latenessP50Ms: number
  readonly latenessP99Ms: number
  /** Per `windowSeconds` window: checks/s started and p99 lateness. */
  readonly windows: ReadonlyArray<{ readonly served: number; readonly p99Ms: number }>
  /** Calls at the target of the schedule's monitors in the run. */
  readonly targetCalls: number
  /** Σ per monitor of (calls at the target − checks recorded), calls and checks of the run. */
  readonly duplicates: number
  /** Due slots with two or more calls at the target in the slot's interval. */
  readonly doubleSlots: number
  /** Fires due with a full interval left in the run that got no call at the target within it. */
  readonly lost: number
  /** Fires due with a full interval left in the run. */
  readonly dueFires: number
}

/**
 * Reads a run of `s` that lasted until `endAt` (epoch ms), once every check in flight finished:
 * the rows of checks scheduled from `s.startAt` and the target's `calls`. Served and lateness
 * count checks started from `from` (after a warm-up; `s.startAt` by default); duplicates and lost
 * fires the whole run.
 */
export const readRun = async (
  databaseUrl: string,
  s: Schedule,
  endAt: number,
  calls: Record<string, ReadonlyArray<number>>,
  windowSeconds = 10,
  from = s.startAt
): Promise<FireReport> => {
  const rows = await withSql(
    databaseUrl,
    (sql) => sql<{ monitor_id: string; scheduled: number; started: number }>`
      SELECT monitor_id,
             (extract(epoch FROM scheduled_at) * 1000)::float8 AS scheduled,
             (extract(epoch FROM started_at) * 1000)::float8 AS started
      FROM monitor_checks
      WHERE scheduled_at >= ${new Date(s.startAt)}::timestamptz AND monitor_id = ANY(${s.monitors.map((m) => m.id)}::text[])`
  )
  const seconds = (endAt - from) / 1000
  const inRun = rows.filter((r) => r.started >= from && r.started < endAt)
  const lateness = inRun.map((r) => r.started - r.scheduled)
  const windows: Array<{ served: number; p99Ms: number }> = []
  for (let w = from; w + windowSeconds * 1000 <= endAt + 1; w += windowSeconds * 1000) {
    const inWindow = inRun.filter((r) => r.started >= w && r.started < w + windowSeconds * 1000)
    windows.push({
      served: inWindow.length / windowSeconds,
      p99Ms: pct(
        inWindow.map((r) => r.started - r.scheduled),
        0.99
      )
    })
  }
  const rowsByMonitor = new Map<string, number>()
  for (const r of rows) rowsByMonitor.set(r.monitor_id, (rowsByMonitor.get(r.monitor_id) ?? 0) + 1)
  let targetCalls = 0
  let duplicates = 0
  let doubleSlots = 0
  let lost = 0
  let dueFires = 0
  for (const m of s.monitors) {
    const first = s.firstDue.get(m.name)!
    const mine = (calls[m.name] ?? []).filter((t) => t >= s.startAt)
    targetCalls += mine.filter((t) => t < endAt).length
    duplicates += Math.max(0, mine.length - (rowsByMonitor.get(m.id) ?? 0))
    const perSlot = new Map<number, number>()
    for (const t of mine) {
      const slot = Math.floor((t - first) / s.intervalMs)
      perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1)
    }
    for (const n of perSlot.values()) if (n > 1) doubleSlots++
    for (let due = first, k = 0; due + s.intervalMs <= endAt; due += s.intervalMs, k++) {
      dueFires++
      if (!perSlot.has(k)) lost++
    }
  }
  return {
    seconds,
    offered: s.monitors.length / (s.intervalMs / 1000),
    served: inRun.length / seconds,
    latenessP50Ms: pct(lateness, 0.5),
    latenessP99Ms: pct(lateness, 0.99),
    windows,
    targetCalls,
    duplicates,
    doubleSlots,
    lost,
    dueFires
  }
}
