/**
 * Short, secret-free reasons for failed HTTP calls. A fetch error's message is only "fetch failed";
 * the useful part (ECONNREFUSED, ENOTFOUND…) is in its cause. URLs are left out on purpose: a
 * webhook URL often carries a token in its path.
 */

/** "timed out", "ECONNREFUSED", or the error's own message. */
export const networkReason = (error: unknown): string => {
  if (!(error instanceof Error)) return "request failed"
  if (error.name === "TimeoutError" || error.name === "AbortError") return "timed out"
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined
  if (typeof cause?.code === "string") return cause.code
  if (typeof cause?.message === "string" && cause.message.length > 0) return cause.message.slice(0, 200)
  return error.message.slice(0, 200)
}

/**
 * At most `max` characters of a response body, whitespace collapsed: enough to tell an operator
 * what the other side said, without storing a whole error page.
 */
export const excerpt = (body: string, max = 200): string => {
  const flat = body.replace(/\s+/g, " ").trim()
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
}
