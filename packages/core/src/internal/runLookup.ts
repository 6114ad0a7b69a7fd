/** Loading a run of the caller's organization, the same way for every use case that reads one. */
import { Effect } from "effect"
import type { Run } from "../domain/Run.js"
import type { NotFound, StoreError } from "../Errors.js"
import { RunStore } from "../ports/RunStore.js"
import { orNotFound } from "./notFound.js"

/** The run, or `run_not_found` — also for a run of another organization, which is indistinguishable on purpose. */
export const loadRun = (orgId: string, id: string): Effect.Effect<Run, NotFound | StoreError, RunStore> =>
  Effect.flatMap(RunStore, (runs) => runs.getRun(orgId, id)).pipe(orNotFound("run", id))
