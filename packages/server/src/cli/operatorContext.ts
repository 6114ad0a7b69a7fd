import { IdsLayer } from "@armature/core"
import { Layer } from "effect"
import * as Store from "../app/Store.js"
import * as ServerConfig from "../config/ServerConfig.js"

/**
 * What commands that work on the database directly (`migrate`, `init`, `keys`, `apply`) run
 * with: the configured store (migrated on open) and ids. On the embedded store these refuse to
 * run while `armature serve` holds the data dir.
 */
export const storeContext = Layer.mergeAll(Store.layer, IdsLayer.layer).pipe(
  Layer.provide(ServerConfig.layer)
)
