import { Effect } from "effect"
import { Ids } from "../ports/Ids.js"

/** A new record id from the `Ids` service (tests make them sequential with `IdsLayer.layerSequential`). */
export const newId: Effect.Effect<string, never, Ids> = Effect.flatMap(Ids, (ids) => ids.uuid)
