import { type Context, Option } from "effect"
import { isTerminal, type Run, toRunSummary } from "../../domain/Run.js"
import {
  decodeRunCursor,
  encodeRunCursor,
  type PassCounts,
  type RunCursor,
  type RunStore,
  recentToolCall,
  type ToolCallRecord
} from "../../ports/RunStore.js"
import { compareIds, type Db, rowOf, rowsOf } from "./Tables.js"

/** When a run sorts: its start, or its creation while it has not started (`sort_at` in SQL). */
const sortAt = (run: Run): number => (run.startedAt ?? run.createdAt).getTime()

/** Newest first; the id breaks ties so keyset pages never skip or repeat a run. */
const newestFirst = (a: Run, b: Run): number => sortAt(b) - sortAt(a) || compareIds(b.id, a.id)

/** Strictly after the cursor in newest-first order. */
const afterCursor = (run: Run, cursor: RunCursor): boolean =>
  sortAt(run) < cursor.sortAt.getTime() ||
  (sortAt(run) === cursor.sortAt.getTime() && compareIds(run.id, cursor.id) < 0)

/** In-memory `RunStore`. */
export const makeRunStore = (db: Db): Context.Tag.Service<RunStore> => ({
  insertRun: (run) =>
    db.run((t) => {
      const existing = t.runs.get(run.id)
      if (existing !== undefined) return { run: existing, created: false }
      t.runs.set(run.id, run)
      return { run, created: true }
    }),
  updateRun: (run) =>
    db.run((t) => {
      const existing = rowOf(t.runs, run.orgId, run.id)
      if (existing === undefined || isTerminal(existing.status)) return false
      t.runs.set(run.id, run)
      return true
    }),
  getRun: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.runs, orgId, id))),
  searchRuns: (orgId, filter) =>
    db.run((t) => {
      const cursor = filter.cursor === undefined ? undefined : decodeRunCursor(filter.cursor)
      const search = filter.search?.toLowerCase()
      const matches = rowsOf(
        t.runs,
        orgId,
        (r) =>
          (filter.workflowId === undefined || r.workflowId === filter.workflowId) &&
          (filter.mcpServerId === undefined || r.mcpServerId === filter.mcpServerId) &&
          (filter.status === undefined || r.status === filter.status) &&
          (filter.before === undefined || sortAt(r) < filter.before.getTime()) &&
          (filter.after === undefined || sortAt(r) >= filter.after.getTime()) &&
          (search === undefined ||
            r.workflowName.toLowerCase().includes(search) ||
            (r.reason ?? "").toLowerCase().includes(search) ||
            r.id.toLowerCase().includes(search)) &&
          (cursor === undefined || afterCursor(r, cursor))
      ).sort(newestFirst)
      const limit = Math.max(0, filter.limit)
      const page = matches.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map(toRunSummary),
        nextCursor:
          matches.length > limit && last !== undefined
            ? encodeRunCursor({ sortAt: new Date(sortAt(last)), id: last.id })
            : null
      }
    }),
  findActiveRun: (orgId, workflowId, testerModel) =>
    db.run((t) => {
      const active = rowsOf(
        t.runs,
        orgId,
        (r) => r.workflowId === workflowId && r.testerModel === testerModel && !isTerminal(r.status)
      ).sort(newestFirst)
      return Option.map(Option.fromNullable(active[0]), toRunSummary)
    }),
  recentToolCalls: (orgId, mcpServerId, limit) =>
    db.run((t) =>
      rowsOf(t.runs, orgId, (r) => r.mcpServerId === mcpServerId && isTerminal(r.status))
        .sort(newestFirst)
        .slice(0, limit)
        .flatMap((run) =>
          run.toolCalls.map(
            (call): ToolCallRecord => ({
              runId: run.id,
              workflowId: run.workflowId,
              runStartedAt: run.startedAt,
              call: recentToolCall(call)
            })
          )
        )
    ),
  dailyPassCounts: (orgId, since) =>
    db.run((t) => {
      const days = new Map<
        number,
        { day: Date; pass: number; partial: number; fail: number; error: number }
      >()
      for (const run of rowsOf(t.runs, orgId, (r) => isTerminal(r.status) && sortAt(r) >= since.getTime())) {
        const start = Math.floor(sortAt(run) / 86_400_000) * 86_400_000
        const counts = days.get(start) ?? { day: new Date(start), pass: 0, partial: 0, fail: 0, error: 0 }
        if (
          run.status === "pass" ||
          run.status === "partial" ||
          run.status === "fail" ||
          run.status === "error"
        ) {
          counts[run.status]++
        }
        days.set(start, counts)
      }
      return [...days.values()].sort((a, b) => a.day.getTime() - b.day.getTime())
    }),
  passCounts: (orgId, since) =>
    db.run((t) => {
      const counts = new Map<string, { -readonly [K in keyof PassCounts]: PassCounts[K] }>()
      // Oldest first, so the last run seen for a workflow is its most recent one.
      const runs = rowsOf(t.runs, orgId, (r) => isTerminal(r.status) && sortAt(r) >= since.getTime())
        .sort(newestFirst)
        .reverse()
      for (const run of runs) {
        const c = counts.get(run.workflowId) ?? {
          workflowId: run.workflowId,
          pass: 0,
          partial: 0,
          fail: 0,
          error: 0,
          lastRunAt: null,
          lastStatus: null
        }
        if (
          run.status === "pass" ||
          run.status === "partial" ||
          run.status === "fail" ||
          run.status === "error"
        ) {
          c[run.status]++
        }
        c.lastRunAt = run.startedAt ?? run.createdAt
        c.lastStatus = run.status
        counts.set(run.workflowId, c)
      }
      return Array.from(counts.values()).sort((a, b) => compareIds(a.workflowId, b.workflowId))
    }),
  listStale: (before, limit) =>
    db.run((t) =>
      Array.from(t.runs.values())
        .filter((r) => !isTerminal(r.status) && sortAt(r) < before.getTime())
        .sort(newestFirst)
        .reverse()
        .slice(0, limit)
    ),
  pruneRuns: (before, limit) =>
    db.run((t) => {
      const old = Array.from(t.runs.values())
        .filter(
          (r) => isTerminal(r.status) && r.finishedAt !== null && r.finishedAt.getTime() < before.getTime()
        )
        .sort((a, b) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0))
        .slice(0, Math.max(0, limit))
      for (const run of old) t.runs.delete(run.id)
      return old.length
    })
})
