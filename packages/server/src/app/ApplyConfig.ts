import { ConfigApply, type ConfigFile } from "@armature/core"
import { Console, Effect } from "effect"
import { inTurn } from "./advisoryLock.js"
import * as Bootstrap from "./Bootstrap.js"

/**
 * Applies a monitoring-as-code file as the deployment's operator: prints the plan, then makes
 * exactly its creates and updates, in one transaction. With `dryRun`, only prints the plan.
 * Replicas started together with `serve --apply` take turns on an advisory lock: the second
 * plans after the first committed and finds nothing to do.
 */
export const applyConfig = (config: ConfigFile.ConfigFile, options: { readonly dryRun?: boolean } = {}) =>
  Effect.gen(function* () {
    const caller = yield* Bootstrap.operator
    yield* Effect.gen(function* () {
      const { plan, execute } = yield* ConfigApply.prepare(caller, config)
      yield* Console.log(ConfigApply.render(plan))
      if (options.dryRun) return yield* Console.log("Dry run: nothing was written.")
      if (!ConfigApply.hasChanges(plan)) return yield* Console.log("Nothing to apply.")
      yield* execute
      yield* Console.log("Applied.")
    }).pipe(inTurn("armature:apply"))
  })
