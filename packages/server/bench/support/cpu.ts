/**
 * CPU time from /proc (Linux): of a process by pid, and of the PostgreSQL backends serving one
 * database, so that a bench can print the CPU each request cost the server and the database
 * beside its latency. Clock ticks of 10 ms: meaningful over seconds and thousands of requests.
 */
import { readdirSync, readFileSync } from "node:fs"

const ticksHz = 100

/** utime + stime of a process, in ms, 0 once it is gone. */
export const cpuMsOf = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksHz
  } catch {
    return 0
  }
}

/** CPU ms of `pids` from now until the returned function is called (a process gone meanwhile counts 0). */
export const cpuOf = (pids: ReadonlyArray<number>) => {
  const start = pids.map(cpuMsOf)
  return () => pids.reduce((sum, pid, i) => sum + Math.max(0, cpuMsOf(pid) - start[i]!), 0)
}

/** The PostgreSQL backends serving `database` (their command line names it), by pid. */
export const backendsOf = (database: string) =>
  readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8")
        return cmd.startsWith("postgres: ") && cmd.includes(` ${database} `)
      } catch {
        return false
      }
    })

/**
 * CPU ms of `database`'s backends from now until the returned function is called. Unlike
 * `cpuOf(backendsOf(database))`, the backends are listed again at the end and a new one counts
 * whole: for a pool that closes idle connections and opens new ones while measured.
 */
export const backendsCpuOf = (database: string) => {
  const start = new Map(backendsOf(database).map((pid) => [pid, cpuMsOf(pid)]))
  return () =>
    backendsOf(database).reduce((sum, pid) => sum + Math.max(0, cpuMsOf(pid) - (start.get(pid) ?? 0)), 0)
}
