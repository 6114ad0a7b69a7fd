/** Loading a run of the caller's organization, the same way for every use case that reads one. */
import { Effect, Option } from "effect"
import type { Run } from "../domain/Run.js"
import { NotFound, type StoreError } from "../Errors.js"
import { RunStore } from "../ports/RunStore.js"

/** The run, or `run_not_found` — also for a run of another organization, which is indistinguishable on purpose. */
export const loadRun = (orgId: string, id: string): Effect.Effect<Run, NotFound | StoreError, RunStore> =>
  Effect.flatMap(RunStore, (runs) => runs.getRun(orgId, id)).pipe(
    Effect.flatMap(
      Option.match({
        onNone: () =>
          Effect.fail(new NotFound({ message: `Run ${id} not found`, entity: "run", id: String(id) })),
        onSome: Effect.succeed
      })
    )
  )
