/**
 * Column types of the row schemas: each PostgreSQL type as both drivers (`@effect/sql-pg` over
 * pg, and the PGlite client) return it, checked with a real query on each. Rows are typed with
 * these at the query (`sql<typeof XRow.Type>`) and not decoded: a decode per row would cost the
 * hot lists time, and the drivers already return these shapes.
 */
import { Schema } from "effect"

/** `text` (ids too); enumerated text columns use the domain's literal schema instead. */
export const text = Schema.String

/** `integer`: a number (a `bigint` would come back as a string from pg and a number from PGlite). */
export const integer = Schema.Int

/** `double precision`: a number. */
export const double = Schema.Number

/** `boolean`. */
export const boolean = Schema.Boolean

/** `timestamptz`: a `Date` from both drivers. */
export const timestamptz = Schema.DateFromSelf

/** `json` and `jsonb`: parsed by both drivers; the mapper gives it its domain type. */
export const json = Schema.Unknown

/** A column without `NOT NULL`. */
export const nullable = Schema.NullOr
