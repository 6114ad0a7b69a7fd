import { Transactor } from "@armature/core"
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer } from "effect"
import { storeError } from "../internal/sql.js"

/**
 * `Transactor` as one SQL transaction: every store call inside it runs on the transaction's
 * connection (store operations that open their own transaction nest as savepoints).
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return Transactor.of({
    withTransaction: (effect) =>
      sql.withTransaction(effect).pipe(
        Effect.catchIf(
          (e): e is SqlError => e instanceof SqlError,
          (cause) => Effect.fail(storeError("transaction", cause))
        )
      )
  })
})

/** Provides `Transactor` from a `SqlClient`. */
export const layer = Layer.effect(Transactor, make)
