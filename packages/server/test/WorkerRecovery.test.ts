/**
 * The worker's handling of runs whose worker was lost or stopped (SPEC §8) on PostgreSQL: the
 * runner's suite (`Worker.test.ts` runs it in memory) over a fresh database.
 */
import { describe, layer } from "@effect/vitest"
import { workerRecovery } from "../../runner/test/support/workerRecovery.js"
import { postgresAvailable, postgresLayer } from "../../store-postgres/test/support/databases.js"

const available = await postgresAvailable("packages/server/test/WorkerRecovery.test.ts")

describe.runIf(available)("Worker: runs of lost or stopped workers (SPEC §8), on PostgreSQL", () => {
  layer(postgresLayer(), { timeout: "60 seconds", excludeTestServices: true })((it) => workerRecovery(it))
})
