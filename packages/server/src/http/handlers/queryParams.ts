/**
 * Query parameters arrive as strings; these turn them into the typed values the use cases take,
 * failing with `validation_failed` that names the parameter.
 */
import { Pages, type ValidationFailed, validationFailed } from "@armature/core"
import { Effect } from "effect"

/** An integer parameter within [min, max], or `undefined` when absent. */
export const integer = (
  field: string,
  value: string | undefined,
  range: { readonly min: number; readonly max: number }
): Effect.Effect<number | undefined, ValidationFailed> => {
  if (value === undefined || value === "") return Effect.succeed(undefined)
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN
  return Number.isSafeInteger(n) && n >= range.min && n <= range.max
    ? Effect.succeed(n)
    : Effect.fail(
        validationFailed([{ field, message: `Expected an integer from ${range.min} to ${range.max}` }])
      )
}

/** An ISO 8601 instant, or `undefined` when absent. */
export const instant = (
  field: string,
  value: string | undefined
): Effect.Effect<Date | undefined, ValidationFailed> => {
  if (value === undefined || value === "") return Effect.succeed(undefined)
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN)
  // Years before 1 are written in a form PostgreSQL refuses (year 0 does not exist there).
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1
    ? Effect.fail(
        validationFailed([{ field, message: "Expected an ISO 8601 date-time, such as 2025-01-31T12:00:00Z" }])
      )
    : Effect.succeed(date)
}

/** One of `allowed`, or `undefined` when absent. */
export const oneOf = <const L extends string>(
  field: string,
  value: string | undefined,
  allowed: ReadonlyArray<L>
): Effect.Effect<L | undefined, ValidationFailed> => {
  if (value === undefined || value === "") return Effect.succeed(undefined)
  return (allowed as ReadonlyArray<string>).includes(value)
    ? Effect.succeed(value as L)
    : Effect.fail(validationFailed([{ field, message: `Expected one of ${allowed.join(", ")}` }]))
}

/** `limit` and `cursor` of a paginated list. */
export const page = (params: {
  readonly limit?: string | undefined
  readonly cursor?: string | undefined
}): Effect.Effect<Pages.PageRequest, ValidationFailed> =>
  Effect.map(integer("limit", params.limit, { min: 1, max: Pages.maxLimit }), (limit) => ({
    ...(limit === undefined ? {} : { limit }),
    ...(params.cursor === undefined || params.cursor === "" ? {} : { cursor: params.cursor })
  }))
