import { Effect, Either, ParseResult, Schema } from "effect"
import { type FieldError, type ValidationFailed, validationFailed } from "./Errors.js"

/** Renders a Schema issue path as a field path: `changes.criteria[0].position`. */
export const fieldPath = (root: string, path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, key) =>
      typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`,
    root
  ) || "(root)"

/** Every offending field of a parse error, as field errors rooted at `root`. */
export const fieldErrorsOf = (error: ParseResult.ParseError, root = ""): ReadonlyArray<FieldError> => {
  const seen = new Set<string>()
  const out: FieldError[] = []
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    field: fieldPath(root, issue.path),
    message: issue.message
  }))
  // Fields with a default (`optionalWith`) decode through `X | undefined`: a bad value also fails
  // the `undefined` branch, and that second issue only hides the real one.
  const isNoise = (issue: FieldError) =>
    issue.message.startsWith("Expected undefined, actual") &&
    issues.some(
      (other) =>
        other !== issue &&
        (other.field === issue.field ||
          other.field.startsWith(`${issue.field}.`) ||
          other.field.startsWith(`${issue.field}[`))
    )
  for (const issue of issues) {
    if (isNoise(issue)) continue
    const field = issue.field
    const key = `${field}\u0000${issue.message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ field, message: issue.message })
  }
  return out
}

/**
 * Decodes external input once, at the edge. Reports every offending field (not just the
 * first) and rejects keys the schema does not know, so typos are not silently dropped.
 */
export const decode =
  <A, I>(schema: Schema.Schema<A, I, never>, root = "") =>
  (input: unknown): Effect.Effect<A, ValidationFailed> => {
    const result = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(input)
    return Either.isRight(result)
      ? Effect.succeed(result.right)
      : Effect.fail(validationFailed(fieldErrorsOf(result.left, root)))
  }

/** Fails with `validation_failed` when `errors` is not empty. */
export const failIfAny = (errors: ReadonlyArray<FieldError>): Effect.Effect<void, ValidationFailed> =>
  errors.length === 0 ? Effect.void : Effect.fail(validationFailed(errors))
