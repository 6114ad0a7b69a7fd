/**
 * Cursor pagination of the organization's lists (servers, workflows, monitors, keys, members,
 * invitations): oldest first, `limit` items a page (1–500, default 100), and `nextCursor` to ask
 * for the next page until it is `null`. The cursor is the keyset position — creation time and id
 * of the last row read — so a page never repeats or skips a row when rows are added meanwhile.
 */
import { Effect, Schema } from "effect"
import { type ValidationFailed, validationFailed } from "./Errors.js"
import type { PageQuery } from "./ports/Page.js"
import { decodeRunCursor, encodeRunCursor, type RunCursor } from "./ports/RunStore.js"
import { decode } from "./Validation.js"

export const maxLimit = 500
export const defaultLimit = 100

/** What a list accepts besides its filters. */
export const PageRequest = Schema.Struct({
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, maxLimit))),
  cursor: Schema.optional(Schema.String)
})
export type PageRequest = typeof PageRequest.Encoded

/** A page of a list. */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}

/** The wire schema of a page of `item`s. */
export const schema = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) })

/**
 * The position a `nextCursor` stands for (`undefined` without one); anything else is a
 * `validation_failed` naming `cursor`. Every paginated list of core reads its cursor here.
 */
export const position = (
  cursor: string | undefined
): Effect.Effect<RunCursor | undefined, ValidationFailed> => {
  if (cursor === undefined) return Effect.succeed(undefined)
  const after = decodeRunCursor(cursor)
  return after === undefined
    ? Effect.fail(
        validationFailed([
          { field: "cursor", message: "Is not a cursor from a previous page (`nextCursor`)" }
        ])
      )
    : Effect.succeed(after)
}

interface Keyed {
  readonly createdAt: Date
  readonly id: string
}

/**
 * Reads one page: `fetch` gets the store query (one row more than the page, to know whether
 * another follows) and applies every filter itself, so only the last page holds fewer than
 * `limit` items; `view` turns the page's rows into what callers see, one item per row.
 */
export const read = <Row extends Keyed, A, E, R>(
  request: PageRequest | undefined,
  fetch: (query: PageQuery) => Effect.Effect<ReadonlyArray<Row>, E, R>,
  view: (rows: ReadonlyArray<Row>) => ReadonlyArray<A>
): Effect.Effect<Page<A>, E | ValidationFailed, R> =>
  Effect.gen(function* () {
    const { limit = defaultLimit, cursor } = yield* decode(PageRequest)(request ?? {})
    const after = yield* position(cursor)
    const rows = yield* fetch({
      ...(after === undefined ? {} : { after: { at: after.sortAt, id: after.id } }),
      limit: limit + 1
    })
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    return {
      items: view(page),
      nextCursor:
        rows.length > limit && last !== undefined
          ? encodeRunCursor({ sortAt: last.createdAt, id: last.id })
          : null
    }
  })

/** Every item of a paged list, reading page after page (for interfaces that show everything). */
export const all = <A, E, R>(
  page: (request: PageRequest) => Effect.Effect<Page<A>, E, R>
): Effect.Effect<ReadonlyArray<A>, E, R> =>
  Effect.gen(function* () {
    const items: A[] = []
    let cursor: string | undefined
    do {
      const next = yield* page({ limit: maxLimit, ...(cursor === undefined ? {} : { cursor }) })
      items.push(...next.items)
      cursor = next.nextCursor ?? undefined
    } while (cursor !== undefined)
    return items
  })
