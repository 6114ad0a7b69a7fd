import { Conflict, type PageQuery, StoreError } from "@armature/core"
import type { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"

/** What pg and PGlite report about a failed statement. */
interface DatabaseErrorLike {
  readonly code?: string
  readonly constraint?: string
}

const databaseError = (error: unknown): DatabaseErrorLike | undefined => {
  const cause = (error as { cause?: unknown })?.cause
  return typeof cause === "object" && cause !== null ? (cause as DatabaseErrorLike) : undefined
}

/** The unique constraint (or unique index) a statement violated, if that is why it failed. */
const uniqueViolation = (error: unknown): string | undefined => {
  const db = databaseError(error)
  return db?.code === "23505" ? (db.constraint ?? "") : undefined
}

const isDatabaseFailure = (e: { readonly _tag?: unknown }): boolean =>
  e._tag === "SqlError" || e._tag === "ParseError" || e._tag === "ResultLengthMismatch"

type Failure = { readonly _tag: "SqlError" | "ParseError" | "ResultLengthMismatch" }

/** Socket-level failures of reaching the server (Node's error codes). */
const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN"
])

/**
 * Whether a failure means the database could not be reached or the connection was lost, as
 * opposed to a statement it refused: SQLSTATE class 08 (connection exception), the server
 * shutting down or starting (57P01–57P03), socket errors, and pg's own connection messages.
 */
export const isConnectionFailure = (error: unknown): boolean => {
  for (let e: unknown = error, depth = 0; typeof e === "object" && e !== null && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown }
    if (
      typeof code === "string" &&
      (networkCodes.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code))
    )
      return true
    if (
      typeof message === "string" &&
      /^(Failed to acquire connection|Connection error)|Connection terminated|timeout exceeded when trying to connect|not queryable/.test(
        message
      )
    )
      return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** A `StoreError` for a failed operation, marked `unavailable` when the database was out of reach. */
export const storeError = (operation: string, cause: unknown) => {
  const detail = (databaseError(cause) as { message?: unknown } | undefined)?.message
  return new StoreError({
    message: `${operation} failed${typeof detail === "string" ? `: ${detail}` : ""}`,
    cause,
    unavailable: isConnectionFailure(cause)
  })
}

/** Turns SQL and row-decoding failures of one store operation into `StoreError`. */
export const orStoreError =
  (operation: string) =>
  <A, E extends { readonly _tag: string }, R>(
    self: Effect.Effect<A, E, R>
  ): Effect.Effect<A, Exclude<E, Extract<E, Failure>> | StoreError, R> =>
    Effect.catchIf(
      self,
      (e): e is Extract<E, Failure> => isDatabaseFailure(e),
      (e) => Effect.fail(storeError(operation, e))
    )

/**
 * Like `orStoreError`, but a violation of one of `fields`' unique constraints (constraint name →
 * domain field) becomes a `Conflict` naming the field.
 */
export const orConflict =
  (operation: string, fields: Readonly<Record<string, string>>) =>
  <A, E extends { readonly _tag: string }, R>(
    self: Effect.Effect<A, E, R>
  ): Effect.Effect<A, Exclude<E, Extract<E, Failure>> | Conflict | StoreError, R> =>
    Effect.catchIf(
      self,
      (e): e is Extract<E, Failure> => isDatabaseFailure(e),
      (e): Effect.Effect<never, Conflict | StoreError> => {
        const constraint = uniqueViolation(e)
        if (constraint === undefined) return Effect.fail(storeError(operation, e))
        const field = fields[constraint] ?? (constraint.endsWith("_pkey") ? "id" : constraint)
        return Effect.fail(
          new Conflict({
            message: `${operation}: a record with this ${field} already exists`,
            fieldErrors: [{ field, message: "already exists" }]
          })
        )
      }
    )

/**
 * A `PageQuery` on a list ordered by `(created_at, id)`: `after` goes into the WHERE clause, `limit`
 * after the ORDER BY; both are empty without a page.
 */
export const pageOf = (sql: SqlClient.SqlClient, page: PageQuery | undefined) => ({
  after:
    page?.after === undefined
      ? sql``
      : sql`AND (created_at, id) > (${page.after.at}::timestamptz, ${page.after.id})`,
  limit: page === undefined ? sql`` : sql`LIMIT ${page.limit}`
})

/**
 * Text as PostgreSQL can store it: `text` and `jsonb` cannot hold U+0000 (nor can `json` once a
 * function such as `json_to_recordset` turns it into text), and a statement carrying one fails.
 * Strings from outside — an MCP server's results and catalog, a model's answer — may contain it,
 * and one such character must not cost the whole run or check: it is stored as U+FFFD, the
 * replacement character, which is what it reads back as.
 */
export const storable = <S extends string | null>(text: S): S =>
  (text?.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text) as S

const withoutNul = (value: unknown): unknown =>
  typeof value === "string"
    ? storable(value)
    : Array.isArray(value)
      ? value.map(withoutNul)
      : typeof value === "object" && value !== null
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), withoutNul(v)]))
        : value

/**
 * `JSON.stringify` with every U+0000 in keys and strings `storable`. JSON writes the character as
 * the escape `\u0000`; only a document that has that text is parsed back and mapped, so the common
 * case costs one substring search (an escaped backslash before `u0000` is a false alarm that maps
 * nothing).
 */
export const stringify = (value: unknown): string => {
  const text = JSON.stringify(value)
  return text.includes("\\u0000") ? JSON.stringify(withoutNul(JSON.parse(text))) : text
}

/** A JSON column value: serialized here, cast by the column (or `::jsonb`) in SQL. */
export const json = (value: unknown): string => stringify(value ?? null)

/** A JSON column that may be SQL NULL: `null` and `undefined` both store NULL. */
export const jsonNullable = (value: unknown): string | null =>
  value === null || value === undefined ? null : stringify(value)

/** Decodes a JSON column through a domain schema (revives dates, applies defaults). */
export const decodeJson = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownSync(schema)
  return (value: unknown): A => decode(value)
}

/** A JSON column read as stored (pg and PGlite both parse jsonb). */
export const fromJson = <A>(value: unknown): A => value as A

/**
 * A `json` array from a column or an expression, as the driver hands it over: parsed, or its text
 * when the driver leaves `json` unparsed; SQL NULL is no elements.
 */
export const jsonArray = <A>(value: unknown): ReadonlyArray<A> =>
  value === null || value === undefined
    ? []
    : ((typeof value === "string" ? JSON.parse(value) : value) as ReadonlyArray<A>)

/** Dates from the drivers are `Date`s already; this keeps `null` and normalizes strings. */
export const date = (value: unknown): Date => (value instanceof Date ? value : new Date(value as string))
export const dateOrNull = (value: unknown): Date | null =>
  value === null || value === undefined ? null : date(value)

/** Maps rows, turning an unexpected row shape into a decoding failure. */
export const mapRows =
  <Row, A>(f: (row: Row) => A) =>
  (rows: ReadonlyArray<Row>): Effect.Effect<ReadonlyArray<A>, StoreError> =>
    Effect.try({
      try: () => rows.map(f),
      catch: (cause) => new StoreError({ message: "stored row does not match the domain", cause })
    })
