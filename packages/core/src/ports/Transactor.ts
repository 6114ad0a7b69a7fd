import { Context, type Effect } from "effect"
import type { StoreError } from "../Errors.js"

/**
 * Runs an effect in one storage transaction: every store call inside it commits together or
 * not at all (the terminal run and the alert outbox rows it causes, for example). A failure
 * (typed error, defect or interruption) rolls it back; a nested call is a savepoint, so a failed
 * inner transaction undoes only its own writes.
 */
export class Transactor extends Context.Tag("@armature/core/Transactor")<
  Transactor,
  {
    readonly withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreError, R>
  }
>() {}
