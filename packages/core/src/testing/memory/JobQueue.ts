import { randomUUID } from "node:crypto"
import { Clock, type Context, Effect } from "effect"
import type { Job, JobQueue, JobState } from "../../ports/JobQueue.js"
import { compareIds, type Db, type Tables } from "./Tables.js"

const fireKey = (job: Pick<Job, "kind" | "targetId" | "model" | "fireAt">) =>
  JSON.stringify([job.kind, job.targetId, job.model, job.fireAt.getTime()])

const isEnded = (state: JobState) => state === "done" || state === "skipped" || state === "dead"

/** The job if `owner` holds its lease. */
const held = (t: Tables, owner: string, jobId: string): Job | undefined => {
  const job = t.jobs.get(jobId)
  return job !== undefined && job.state === "running" && job.leaseOwner === owner ? job : undefined
}

const end = (t: Tables, job: Job, state: JobState, at: Date, lastError = job.lastError): Job => {
  const ended: Job = { ...job, state, leaseOwner: null, leaseExpiresAt: null, lastError }
  t.jobs.set(job.id, ended)
  t.jobEndedAt.set(job.id, at)
  return ended
}

const requeue = (t: Tables, job: Job, runAfter: Date, lastError: string): Job => {
  const queued: Job = { ...job, state: "queued", leaseOwner: null, leaseExpiresAt: null, runAfter, lastError }
  t.jobs.set(job.id, queued)
  return queued
}

/** In-memory `JobQueue`. Attempts are counted when a job is claimed. */
export const makeJobQueue = (db: Db): Context.Tag.Service<JobQueue> => ({
  enqueue: (request, now) =>
    db.run((t) => {
      const key = fireKey(request)
      for (const job of t.jobs.values()) if (fireKey(job) === key) return null
      const job: Job = {
        ...request,
        id: randomUUID(),
        state: "queued",
        attempts: 0,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastError: null,
        createdAt: now
      }
      t.jobs.set(job.id, job)
      return job
    }),
  claim: ({ kinds, leaseMs, limit, now, owner }) =>
    db.run((t) => {
      const ready = Array.from(t.jobs.values())
        .filter((j) => j.state === "queued" && kinds.includes(j.kind) && j.runAfter <= now)
        .sort(
          (a, b) =>
            a.runAfter.getTime() - b.runAfter.getTime() ||
            a.createdAt.getTime() - b.createdAt.getTime() ||
            compareIds(a.id, b.id)
        )
        .slice(0, Math.max(0, limit))
      const leaseExpiresAt = new Date(now.getTime() + leaseMs)
      return ready.map((job) => {
        const claimed: Job = {
          ...job,
          state: "running",
          attempts: job.attempts + 1,
          leaseOwner: owner,
          leaseExpiresAt
        }
        t.jobs.set(job.id, claimed)
        return claimed
      })
    }),
  heartbeat: (owner, jobIds, leaseUntil) =>
    db.run((t) =>
      jobIds.filter((id) => {
        const job = held(t, owner, id)
        if (job !== undefined) t.jobs.set(id, { ...job, leaseExpiresAt: leaseUntil })
        return job !== undefined
      })
    ),
  complete: (owner, jobId, state, now) =>
    db.run((t) => {
      const job = held(t, owner, jobId)
      if (job === undefined) return false
      end(t, job, state, now)
      return true
    }),
  // `fail` has no `now`; a dead job's end time (only used by `prune`) comes from the Clock.
  fail: (owner, jobId, error, retryAt) =>
    Effect.flatMap(Clock.currentTimeMillis, (millis) =>
      db.run((t) => {
        const job = held(t, owner, jobId)
        if (job === undefined) return false
        if (retryAt === null || job.attempts >= job.maxAttempts) end(t, job, "dead", new Date(millis), error)
        else requeue(t, job, retryAt, error)
        return true
      })
    ),
  recoverExpired: (now, limit) =>
    db.run((t) =>
      Array.from(t.jobs.values())
        .filter((j) => j.state === "running" && j.leaseExpiresAt !== null && j.leaseExpiresAt < now)
        .sort(
          (a, b) =>
            (a.leaseExpiresAt?.getTime() ?? 0) - (b.leaseExpiresAt?.getTime() ?? 0) || compareIds(a.id, b.id)
        )
        .slice(0, Math.max(0, limit))
        .map((job) =>
          job.attempts >= job.maxAttempts
            ? end(t, job, "dead", now, "lease expired")
            : requeue(t, job, job.runAfter, "lease expired")
        )
    ),
  get: (jobId) => db.run((t) => t.jobs.get(jobId) ?? null),
  depth: db.run((t) => {
    let queued = 0
    let running = 0
    for (const job of t.jobs.values()) {
      if (job.state === "queued") queued++
      else if (job.state === "running") running++
    }
    return { queued, running }
  }),
  prune: (before, limit) =>
    db.run((t) => {
      const old = Array.from(t.jobs.values())
        .filter((j) => isEnded(j.state) && (t.jobEndedAt.get(j.id)?.getTime() ?? 0) < before.getTime())
        .slice(0, Math.max(0, limit))
      for (const job of old) {
        t.jobs.delete(job.id)
        t.jobEndedAt.delete(job.id)
      }
      return old.length
    })
})
