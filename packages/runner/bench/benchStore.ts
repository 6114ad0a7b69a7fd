/**
 * The store side of the sustained-throughput benchmark: a `MonitorStore` keeping due monitors in a
 * FIFO (every benchmark monitor has the same interval, so claiming keeps the order), one server,
 * no alert rules, and inert job/run/workflow stores (the worker's job loop finds nothing to do).
 *
 * Not core's `MemoryStore`: `@armature/core/testing` also exports the vitest contract suites and
 * cannot load outside vitest; and that store snapshots every table per transaction, which at
 * hundreds of checks per second would measure the snapshot rather than the runner.
 */
import {
  AlertStore,
  JobQueue,
  type McpServer,
  type Monitor,
  type MonitorCheck,
  MonitorStore,
  RunStore,
  SecretStore,
  ServerStore,
  Transactor,
  WorkflowStore
} from "@armature/core"
import { Effect, Layer, Option } from "effect"

export interface BenchStore {
  readonly checks: MonitorCheck[]
  readonly layer: Layer.Layer<
    MonitorStore | Transactor | ServerStore | AlertStore | JobQueue | RunStore | WorkflowStore | SecretStore
  >
}

/** Services whose methods the benchmark never reaches. */
const inert = <S>(): S => new Proxy({}, { get: () => () => Effect.die("not used in the benchmark") }) as S

/** A store of one server and `monitors`, all with the same `intervalSeconds`. */
export const make = (server: McpServer, monitors: ReadonlyArray<Monitor>): BenchStore => {
  const byId = new Map(monitors.map((m) => [m.id, m]))
  const due: Monitor[] = [...monitors].sort((a, b) => a.nextCheckAt.getTime() - b.nextCheckAt.getTime())
  let head = 0
  const checks: MonitorCheck[] = []
  const store = MonitorStore.of({
    insertMonitor: () => Effect.void,
    updateMonitor: (m) => Effect.sync(() => void byId.set(m.id, m)),
    getMonitor: (_org, id) => Effect.sync(() => Option.fromNullable(byId.get(id))),
    listMonitors: () => Effect.succeed([...byId.values()]),
    archiveMonitor: () => Effect.succeed(false),
    claimDue: (now, limit) =>
      Effect.sync(() => {
        const out: Array<{ monitor: Monitor; dueAt: Date }> = []
        while (out.length < limit && head < due.length && due[head]!.nextCheckAt.getTime() <= now.getTime()) {
          const m = due[head++]!
          const next = { ...m, nextCheckAt: new Date(m.nextCheckAt.getTime() + m.intervalSeconds * 1000) }
          byId.set(m.id, next)
          due.push(next)
          out.push({ monitor: next, dueAt: m.nextCheckAt })
        }
        if (head > 10_000) {
          due.splice(0, head)
          head = 0
        }
        return out
      }),
    insertCheck: (check) => Effect.sync(() => checks.push(check) > 0),
    listChecks: () => Effect.succeed([]),
    recentChecks: () => Effect.succeed([]),
    checkSamples: () => Effect.succeed([]),
    pruneChecks: () => Effect.succeed(0)
  })
  return {
    checks,
    layer: Layer.mergeAll(
      Layer.succeed(MonitorStore, store),
      Layer.succeed(Transactor, { withTransaction: (effect) => effect }),
      Layer.succeed(ServerStore, {
        ...inert<ServerStore["Type"]>(),
        getServer: () => Effect.succeed(Option.some(server)),
        getAuthProfile: () => Effect.succeed(Option.none()),
        listAuthProfiles: () => Effect.succeed([]),
        // The monitor loop reads the server's catalog to validate results (issue 13): none here.
        latestCatalog: () => Effect.succeed(Option.none())
      }),
      Layer.succeed(AlertStore, {
        ...inert<AlertStore["Type"]>(),
        listRules: () => Effect.succeed([]),
        lockRulesUnlessIncident: () => Effect.succeed([]),
        listIncidents: () => Effect.succeed([]),
        lockServer: () => Effect.void
      }),
      Layer.succeed(JobQueue, {
        ...inert<JobQueue["Type"]>(),
        claim: () => Effect.succeed([]),
        heartbeat: () => Effect.succeed([]),
        recoverExpired: () => Effect.succeed([])
      }),
      Layer.succeed(RunStore, inert<RunStore["Type"]>()),
      Layer.succeed(WorkflowStore, inert<WorkflowStore["Type"]>()),
      Layer.succeed(SecretStore, inert<SecretStore["Type"]>())
    )
  }
}
