/**
 * Closed-loop load as the MCP and dashboard benches drive it: their shared knobs
 * (`BENCH_ROUNDS` 3, `BENCH_SECONDS` 3 per workload and round, `BENCH_WARMUP_SECONDS` 1,
 * `BENCH_CLIENTS` 10) and `drive`, which runs loops that each send their next request as soon as
 * the last one answered and records every latency.
 */
export const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
export const seconds = Number(process.env.BENCH_SECONDS ?? 3)
export const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 1)
export const clients = Number(process.env.BENCH_CLIENTS ?? 10)

/** One request's outcome: an error text (null when the answer is right) and the answer's size. */
export interface Outcome {
  readonly error: string | null
  readonly bytes: number
}

/**
 * What `drive` saw. Percentiles are left to the caller, so that one reading the client's CPU
 * right after `drive` does not count the sorting.
 */
export interface Driven {
  readonly count: number
  readonly rps: number
  /** Mean answer size, bytes. */
  readonly bytes: number
  /** Every request's, in ms. */
  readonly latencies: ReadonlyArray<number>
  /** The first five errors; none when every answer was right. */
  readonly errors: ReadonlyArray<string>
}

/** `concurrency` loops, back to back, for `duration` seconds; `once(c, n)` is loop `c`'s `n`th request. */
export const drive = async (
  concurrency: number,
  duration: number,
  once: (c: number, n: number) => Promise<Outcome>
): Promise<Driven> => {
  const latencies: number[] = []
  const errors: string[] = []
  let bytes = 0
  const t0 = performance.now()
  const end = t0 + duration * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      for (let n = 0; performance.now() < end; n++) {
        const start = performance.now()
        const r = await once(c, n)
        latencies.push(performance.now() - start)
        bytes += r.bytes
        if (r.error !== null && errors.length < 5) errors.push(r.error)
      }
    })
  )
  const elapsed = performance.now() - t0
  const count = latencies.length
  return {
    count,
    rps: (count * 1000) / elapsed,
    bytes: bytes / count,
    latencies,
    errors
  }
}
