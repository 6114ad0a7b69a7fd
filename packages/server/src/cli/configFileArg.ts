import { ValidationFailed, validationFailed } from "@armature/core"
import { Args } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { Effect } from "effect"
import { loadConfigFile } from "../config/loadConfigFile.js"

/** The monitoring-as-code file argument of `validate`, `apply` and `test`. */
export const file = Args.file({ name: "file", exists: "yes" }).pipe(
  Args.withDescription("monitoring-as-code file (.ts, .js, .yaml or .json)")
)

/**
 * The same argument, not checked for existence by the CLI: `armature test` reports a missing file
 * itself (exit 2, and a JUnit report saying so) instead of as a usage error.
 */
export const anyFile = Args.file({ name: "file" }).pipe(
  Args.withDescription("monitoring-as-code file (.ts, .js, .yaml or .json)")
)

const present = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.exists(path)).pipe(
    Effect.orElseSucceed(() => false),
    Effect.filterOrFail(
      (exists) => exists,
      () => validationFailed([{ field: "(file)", message: `no such file: ${path}` }])
    )
  )

/** Loads and validates a config file; an invalid one fails naming the file and each field. */
export const load = (path: string) =>
  Effect.zipRight(present(path), loadConfigFile(path)).pipe(
    Effect.mapError(
      (e) =>
        new ValidationFailed({
          message: `${path} is not valid`,
          fieldErrors: e.fieldErrors,
          warnings: e.warnings
        })
    )
  )
