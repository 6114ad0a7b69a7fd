/**
 * Sustained monitor load through the worker's monitor loop: `monitors` monitors of one server,
 * due times spread evenly over one interval, run for `seconds`; every check goes through the
 * session pool, `MonitorCheck.execute` and core's `Monitors.recordCheck`.
 */
import { IdsLayer } from "@armature/core"
import { Effect, Layer } from "effect"
import * as Connector from "../src/McpConnector.js"
import * as Pool from "../src/SessionPool.js"
import * as Worker from "../src/Worker.js"
import { monitor, server as serverRecord } from "../test/helpers.js"
import { modelsLayer } from "./benchModels.js"
import * as BenchStore from "./benchStore.js"

export interface SustainedResult {
  readonly offered: number
  readonly checks: number
  readonly failed: number
  readonly checksPerSecond: number
  readonly p50: number
  readonly p99: number
}

const pct = (xs: ReadonlyArray<number>, p: number) =>
  xs.length === 0
    ? Number.NaN
    : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!

export const sustained = (
  url: string,
  options: { readonly monitors: number; readonly intervalSeconds: number; readonly seconds: number }
): Promise<SustainedResult> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const server = serverRecord({ baseUrl: url })
      const start = Date.now() + 500
      const period = options.intervalSeconds * 1000
      const monitors = Array.from({ length: options.monitors }, (_, i) =>
        monitor({
          id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
          toolName: "get_order",
          arguments: { orderId: "ord-1" },
          intervalSeconds: options.intervalSeconds,
          timeoutMs: 5000,
          retries: 0,
          nextCheckAt: new Date(start + Math.floor((i * period) / options.monitors))
        })
      )
      const bench = BenchStore.make(server, monitors)
      const store = bench.layer
      const connector = Connector.layer({ allowLoopback: true }).pipe(Layer.provide(store))
      const env = Layer.mergeAll(
        store,
        connector,
        Pool.layer().pipe(Layer.provide(Layer.merge(connector, store))),
        IdsLayer.layer,
        modelsLayer({})
      )
      const t0 = Date.now()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Worker.make({ pollMs: 60_000 })
          yield* Effect.sleep(`${options.seconds} seconds`)
        })
      ).pipe(Effect.provide(env))
      // The steady window: after the first second (connect, JIT) until the loop stopped claiming.
      const from = start + 1000
      const to = t0 + (options.seconds - 1) * 1000
      const measured = bench.checks.filter(
        (c) => c.scheduledAt.getTime() >= from && c.scheduledAt.getTime() < to
      )
      const lateness = measured.map((c) => c.startedAt.getTime() - c.scheduledAt.getTime())
      return {
        offered: options.monitors / options.intervalSeconds,
        checks: bench.checks.length,
        failed: bench.checks.filter((c) => c.outcome !== "pass").length,
        checksPerSecond: measured.length / ((to - from) / 1000),
        p50: pct(lateness, 50),
        p99: pct(lateness, 99)
      }
    })
  )
