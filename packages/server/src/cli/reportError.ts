import { ValidationError } from "@effect/cli"
import { Console, Effect } from "effect"

interface Reported {
  readonly message?: unknown
  readonly fieldErrors?: ReadonlyArray<{ readonly field: string; readonly message: string }>
  /** A command's own exit code for this failure (`armature test`: 2 when it could not run). */
  readonly exitCode?: number
}

/** The lines a failure shows at a terminal: what went wrong and, for bad input, each field. */
const describe = (error: unknown): ReadonlyArray<string> => {
  const { message, fieldErrors = [] } = (typeof error === "object" && error !== null ? error : {}) as Reported
  const text = typeof message === "string" ? message : String(error)
  if (fieldErrors.length === 0) return [`error: ${text}`]
  const header = text.startsWith("Validation failed:") ? "invalid input" : text
  return [`error: ${header}`, ...fieldErrors.map((f) => `  ${f.field}: ${f.message}`)]
}

/**
 * Ends a command that failed with its message and exit code 1 (or the error's own `exitCode`),
 * with no stack trace or log record, which help nobody at a terminal. Usage errors were already
 * printed by the CLI with its help.
 */
export const exitOnError = <A, E, R>(command: Effect.Effect<A, E, R>) =>
  command.pipe(
    Effect.catchAll((error) =>
      Effect.gen(function* () {
        if (!ValidationError.isValidationError(error)) {
          for (const line of describe(error)) yield* Console.error(line)
        }
        const { exitCode } = (typeof error === "object" && error !== null ? error : {}) as Reported
        process.exitCode = typeof exitCode === "number" ? exitCode : 1
      })
    )
  )
