import { type Run, type RunFilter, RunStore, type RunSummary } from "@armature/core"
import type { SqlClient } from "@effect/sql"
import { describe, expect, layer, type Vitest } from "@effect/vitest"
import { Effect } from "effect"
import { PgStore } from "../src/index.js"
import { pgliteLayer, postgresAvailable, postgresLayer } from "./support/databases.js"
import * as F from "./support/fixtures.js"
import { seedOrg } from "./support/suite.js"

const postgres = await postgresAvailable("RunSearch.test.ts")

/** Every page of a search, following `nextCursor`. */
const allPages = (orgId: string, filter: Omit<RunFilter, "cursor">) =>
  Effect.gen(function* () {
    const store = yield* RunStore
    const items: RunSummary[] = []
    let cursor: string | null = null
    do {
      const page: { items: ReadonlyArray<RunSummary>; nextCursor: string | null } = yield* store.searchRuns(
        orgId,
        cursor === null ? filter : { ...filter, cursor }
      )
      expect(page.items.length).toBeLessThanOrEqual(filter.limit)
      items.push(...page.items)
      cursor = page.nextCursor
    } while (cursor !== null)
    return items.map((i) => i.runId)
  })

/**
 * `searchRuns` looks for a term among the newest 1,000 candidates first and, when it finds too
 * few there, asks the planner, or the workflow names and the trigram index, for the rest:
 * whichever way a term goes, the pages must list exactly its matches, newest first, each once.
 */
const searchSuite = (it: Vitest.MethodsNonLive<PgStore.Stores | SqlClient.SqlClient>) =>
  it.effect("finds a term's matches newest first however old they are, each once", () =>
    Effect.gen(function* () {
      const { org, workflow } = yield* seedOrg
      // Run i started i seconds after t0: the newest 1,000 are i ≥ 150.
      const reasonOf = (i: number) =>
        [1100, 1140].includes(i) || (i >= 10 && i <= 40)
          ? `deploy 7 (${i})`
          : [1050, 1090, 1120, 1149].includes(i) || (i >= 50 && i <= 80)
            ? `hotfix ${i}`
            : // In a run of another name, and (99) in one of the same.
              [5, 44, 99].includes(i)
              ? `LEGACY cleanup ${i}`
              : null
      const runs: Run[] = Array.from({ length: 1150 }, (_, i) =>
        F.run(
          workflow,
          F.plus(F.t0, i * 1000),
          {
            workflowName: i < 100 && i % 3 === 0 ? "Legacy flow" : "Current flow",
            reason: reasonOf(i),
            trigger: reasonOf(i) === null ? "scheduled" : "manual"
          },
          0
        )
      )
      expect(yield* PgStore.importRuns(runs)).toBe(runs.length)
      const newestFirst = [...runs].reverse()
      const matching = (term: string) =>
        newestFirst
          .filter((r) => `${r.workflowName}\u001f${r.reason ?? ""}\u001f${r.id}`.toLowerCase().includes(term))
          .map((r) => r.id)
      // Only in old runs (none among the newest 1,000; in names and reasons), twice there, four
      // times there, everywhere.
      for (const term of ["legacy", "deploy 7", "hotfix", "current"]) {
        const expected = matching(term)
        expect(expected.length).toBeGreaterThan(20)
        expect(yield* allPages(org.id, { limit: 10, search: term })).toEqual(expected)
      }
      // An old run's id, pasted in capitals; a name with another condition.
      const pasted = runs[20]!.id.slice(2, 10)
      expect(yield* allPages(org.id, { limit: 10, search: pasted.toUpperCase() })).toEqual(matching(pasted))
      const after = F.plus(F.t0, 44 * 1000)
      expect(yield* allPages(org.id, { limit: 4, search: "Legacy", after })).toEqual(
        matching("legacy").filter((id) => runs.findIndex((r) => r.id === id) >= 44)
      )
      // With another condition the window is of the runs it selects.
      const before = F.plus(F.t0, 1095 * 1000)
      expect(yield* allPages(org.id, { limit: 7, search: "hotfix", before })).toEqual(
        matching("hotfix").filter((id) => runs.findIndex((r) => r.id === id) < 1095)
      )
      expect(yield* allPages(org.id, { limit: 10, search: "no such term" })).toEqual([])
      // Fields are matched one by one: a term cannot span a name and a reason, lately or long ago.
      for (const search of ["current flow\u001f", "legacy flow\u001f", "current flow\u001fdeploy 7"])
        expect(yield* allPages(org.id, { limit: 10, search })).toEqual([])
    })
  )

describe.runIf(postgres)("searchRuns at scale on PostgreSQL", () => {
  layer(postgresLayer(), { timeout: "60 seconds" })((it) => searchSuite(it))
})

describe("searchRuns at scale on PGlite", () => {
  layer(pgliteLayer(), { timeout: "60 seconds" })((it) => searchSuite(it))
})
