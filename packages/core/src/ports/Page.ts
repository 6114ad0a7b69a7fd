/**
 * One page of a list in creation order (oldest first): the rows after `after` — the creation
 * time and id of the last row of the page before — at most `limit` of them. Every store orders
 * such lists by `(createdAt, id)`, so the position is stable while rows are added.
 */
export interface PageQuery {
  readonly after?: { readonly at: Date; readonly id: string }
  readonly limit: number
}
