/**
 * Results as JSON beside the printed tables (`bench/results/<bench>.json` at the repository
 * root), so a later run can be compared with an earlier one: per goal its value, the baseline it
 * is a ratio to, every round, and how loaded the machine was.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import { fileURLToPath } from "node:url"

/** One goal of a bench: what was wanted, what was measured (median of rounds), and each round. */
export interface GoalResult {
  readonly goal: string
  /** Whether the median meets the goal. */
  readonly met: boolean
  readonly unit: string
  readonly value: number
  /** The baseline's value in the same run, and `value / baseline`. */
  readonly baseline?: { readonly name: string; readonly value: number; readonly ratio: number }
  readonly rounds: ReadonlyArray<number>
  /** Further figures of the same measurement (p50, p99, CPU per request…), medians. */
  readonly details?: Readonly<Record<string, number>>
}

const resultsDir = fileURLToPath(new URL("./results/", import.meta.url))

/** Writes `bench/results/<bench>.json`; returns its path. */
export const writeResults = (
  bench: string,
  results: ReadonlyArray<GoalResult>,
  setup: Readonly<Record<string, unknown>>,
  loadBefore: ReadonlyArray<number>
) => {
  mkdirSync(resultsDir, { recursive: true })
  const file = `${resultsDir}${bench}.json`
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        bench,
        at: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          memoryGiB: Math.round(totalmem() / 2 ** 30),
          node: process.version,
          // 1-minute load average before and after: a busy machine explains a bad run.
          loadBefore: loadBefore[0],
          loadAfter: loadavg()[0]
        },
        setup,
        results
      },
      null,
      2
    )}\n`
  )
  return file
}
