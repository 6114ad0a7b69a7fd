import { Schema } from "effect"

/** Identifier of a stored record: a UUID, except API key ids (`amt_<keyId>_…`) which are short tokens. */
export const Id = Schema.String.pipe(Schema.minLength(1))
export type Id = typeof Id.Type

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
