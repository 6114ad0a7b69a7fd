import { isTerminal, JobQueue, MonitorStore, RunStore } from "@armature/core"
import { Context, Effect, Layer } from "effect"
import * as Prom from "prom-client"

/**
 * Prometheus metrics of one server process. Each process (and each test) gets its own registry,
 * so two servers in one process do not share counters.
 */
export class Metrics extends Context.Tag("@armature/server/Metrics")<
  Metrics,
  {
    readonly registry: Prom.Registry
    readonly checks: Prom.Counter<"outcome">
    readonly checkLateness: Prom.Histogram
    readonly runs: Prom.Counter<"status">
    readonly fires: Prom.Counter<"result">
    readonly alerts: Prom.Counter<"result">
  }
>() {
  static readonly layer = Layer.sync(Metrics, () => {
    const registry = new Prom.Registry()
    Prom.collectDefaultMetrics({ register: registry, prefix: "armature_process_" })
    return {
      registry,
      checks: new Prom.Counter({
        name: "armature_monitor_checks_total",
        help: "Monitor checks recorded, by outcome",
        labelNames: ["outcome"],
        registers: [registry]
      }),
      checkLateness: new Prom.Histogram({
        name: "armature_monitor_check_lateness_seconds",
        help: "How long after its due time a monitor check started",
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
        registers: [registry]
      }),
      runs: new Prom.Counter({
        name: "armature_runs_total",
        help: "Workflow runs that reached a terminal status, by status",
        labelNames: ["status"],
        registers: [registry]
      }),
      fires: new Prom.Counter({
        name: "armature_scheduler_fires_total",
        help: "Scheduled workflow fires handled by this process's scheduler tick",
        labelNames: ["result"],
        registers: [registry]
      }),
      alerts: new Prom.Counter({
        name: "armature_alert_deliveries_total",
        help: "Alert delivery attempts by this process, by result (delivered, retried, dead)",
        labelNames: ["result"],
        registers: [registry]
      })
    }
  })
}

/**
 * Counts checks and runs where they are written, so every path that records one (worker,
 * REST, replay) is counted without the runner knowing about Prometheus.
 */
export const instrumentStores = Layer.effectContext(
  Effect.gen(function* () {
    const metrics = yield* Metrics
    const monitors = yield* MonitorStore
    const runs = yield* RunStore
    return Context.make(MonitorStore, {
      ...monitors,
      insertCheck: (check) =>
        Effect.tap(monitors.insertCheck(check), (inserted) =>
          Effect.sync(() => {
            if (!inserted) return
            metrics.checks.inc({ outcome: check.outcome })
            metrics.checkLateness.observe(
              Math.max(0, check.startedAt.getTime() - check.scheduledAt.getTime()) / 1000
            )
          })
        )
    }).pipe(
      Context.add(RunStore, {
        ...runs,
        updateRun: (run) =>
          Effect.tap(runs.updateRun(run), (updated) =>
            Effect.sync(() => {
              if (updated && isTerminal(run.status)) metrics.runs.inc({ status: run.status })
            })
          )
      })
    )
  })
)

/** The registry's text exposition, with the queue depth read at scrape time. */
export const render = Effect.gen(function* () {
  const metrics = yield* Metrics
  const depth = yield* Effect.flatMap(JobQueue, (q) => q.depth).pipe(Effect.option)
  const queue =
    depth._tag === "Some"
      ? [
          "# HELP armature_queue_jobs Workflow-run jobs in the queue, by state",
          "# TYPE armature_queue_jobs gauge",
          `armature_queue_jobs{state="queued"} ${depth.value.queued}`,
          `armature_queue_jobs{state="running"} ${depth.value.running}`,
          ""
        ].join("\n")
      : ""
  const text = yield* Effect.promise(() => metrics.registry.metrics())
  return { contentType: metrics.registry.contentType, body: `${text}\n${queue}` }
})
