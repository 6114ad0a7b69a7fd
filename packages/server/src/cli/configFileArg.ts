import { ValidationFailed } from "@armature/core"
import { Args } from "@effect/cli"
import { Effect } from "effect"
import { loadConfigFile } from "../config/loadConfigFile.js"

/** The monitoring-as-code file argument of `validate`, `apply` and `test`. */
export const file = Args.file({ name: "file", exists: "yes" }).pipe(
  Args.withDescription("monitoring-as-code file (.ts, .js, .yaml or .json)")
)

/** Loads and validates a config file; an invalid one fails naming the file and each field. */
export const load = (path: string) =>
  loadConfigFile(path).pipe(
    Effect.mapError(
      (e) =>
        new ValidationFailed({
          message: `${path} is not valid`,
          fieldErrors: e.fieldErrors,
          warnings: e.warnings
        })
    )
  )
