import { ConfigApply, type ConfigFile } from "@armature/core"
import { Console, Effect } from "effect"
import * as Bootstrap from "./Bootstrap.js"

/**
 * Applies a monitoring-as-code file as the deployment's operator: prints the plan, then makes
 * its creates and updates. With `dryRun`, only prints the plan.
 */
export const applyConfig = (config: ConfigFile.ConfigFile, options: { readonly dryRun?: boolean } = {}) =>
  Effect.gen(function* () {
    const caller = yield* Bootstrap.operator
    const plan = yield* ConfigApply.plan(caller, config)
    yield* Console.log(ConfigApply.render(plan))
    if (options.dryRun) return yield* Console.log("Dry run: nothing was written.")
    if (!ConfigApply.hasChanges(plan)) return yield* Console.log("Nothing to apply.")
    yield* ConfigApply.apply(caller, config)
    yield* Console.log("Applied.")
  })
