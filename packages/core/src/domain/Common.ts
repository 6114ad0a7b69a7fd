import { Schema } from "effect"

/** Identifier of a stored record: a UUID, except API key ids (`amt_<keyId>_…`) which are short tokens. */
export const Id = Schema.String.pipe(Schema.minLength(1))
export type Id = typeof Id.Type

/** The largest PostgreSQL `integer`: whole numbers kept in such columns are bounded by it. */
export const maxStoredInt = 2_147_483_647

/**
 * The name of a server, workflow, monitor or auth profile, as it is stored: trimmed, then not
 * blank and at most 200 characters — validated as stored, so `"   "` is refused, not saved empty.
 */
export const Name = Schema.Trim.pipe(
  Schema.minLength(1, { message: () => "must not be empty or only spaces" }),
  Schema.maxLength(200, { message: () => "must be at most 200 characters" })
)

/**
 * What makes two names the same: case and runs of white space do not count. Names are unique
 * per organization by this key (the database enforces it with an index on the same expression).
 */
export const nameKey = (name: string): string => name.trim().replace(/\s+/g, " ").toLowerCase()

/** Instants travel as ISO 8601 strings and are `Date`s inside. */
export const Timestamp = Schema.Date
export type Timestamp = typeof Timestamp.Type

/** Any JSON value, as stored in JSON columns and exchanged with MCP servers. */
export const Json: Schema.Schema<unknown> = Schema.Unknown
export type JsonObject = { readonly [key: string]: unknown }
export const JsonObject: Schema.Schema<JsonObject> = Schema.Record({
  key: Schema.String,
  value: Schema.Unknown
})

/** A page of results with an opaque cursor for the next page (`null` when there is none). */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}
