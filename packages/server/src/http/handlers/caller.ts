import type { Caller } from "@armature/core"
import { Effect } from "effect"
import { CurrentCaller } from "../Api.js"
import * as HttpErrors from "../HttpErrors.js"

/**
 * Runs a use case as the authenticated caller and translates its failures into HTTP responses
 * (`{ error: { code, message, details? } }` with the status of core's error table). Role checks
 * happen inside the use case, against core's one permission table.
 */
export const asCaller = <A, E, R>(
  useCase: (caller: Caller) => Effect.Effect<A, E, R>
): Effect.Effect<A, HttpErrors.HttpFailure, R | CurrentCaller> =>
  Effect.flatMap(CurrentCaller, useCase).pipe(Effect.mapError(HttpErrors.fromError))
