/** A workload driven closed-loop by `clients` loops, with the CPU each request cost. */
import { cpuOf } from "./cpu.js"
import { clients, drive } from "./load.js"
import { pct } from "./stats.js"

/** One request of a workload, for client `c`'s `n`th request; returns an error text or null. */
export interface Workload {
  readonly name: string
  readonly cpuPid: () => ReadonlyArray<number>
  readonly once: (c: number, n: number) => Promise<{ error: string | null; bytes: number }>
}

export interface Sample {
  readonly rps: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly count: number
  readonly bytes: number
  readonly serverCpu: number
  readonly pgCpu: number
  readonly clientCpu: number
}

/** `concurrency` (`clients`) loops, back to back, for `duration` seconds. */
export const measure = async (
  w: Workload,
  duration: number,
  pgPids: () => ReadonlyArray<number>,
  concurrency: number = clients
): Promise<Sample> => {
  const server = cpuOf(w.cpuPid())
  const pg = cpuOf(pgPids())
  const client = process.cpuUsage()
  const driven = await drive(concurrency, duration, w.once)
  const clientCpu = process.cpuUsage(client)
  if (driven.errors.length > 0) throw new Error(`${w.name}: ${driven.errors.join("\n")}`)
  const count = driven.count
  return {
    rps: driven.rps,
    p50: pct(driven.latencies, 0.5),
    p95: pct(driven.latencies, 0.95),
    p99: pct(driven.latencies, 0.99),
    count,
    bytes: driven.bytes,
    serverCpu: server() / count,
    pgCpu: pg() / count,
    clientCpu: (clientCpu.user + clientCpu.system) / 1000 / count
  }
}
