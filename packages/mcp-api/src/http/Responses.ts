/** The HTTP answers given before any MCP processing: `{ error: ApiError }` with the code's status. */
import { type ApiErrorBody, statusOf } from "@armature/core"

/** A JSON error response with the HTTP status of its code, and `WWW-Authenticate` on a 401. */
export const errorResponse = (body: ApiErrorBody, headers: Record<string, string> = {}): Response => {
  const status = statusOf(body).http
  const retryAfter = body.details?.retryAfterSeconds
  return new Response(JSON.stringify({ error: body }), {
    status,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      ...(status === 401 ? { "www-authenticate": "Bearer" } : {}),
      ...(retryAfter === undefined ? {} : { "retry-after": String(Math.ceil(retryAfter)) }),
      ...headers
    }
  })
}

/**
 * GET (a standalone SSE stream) and DELETE (ending a session) mean nothing to a stateless
 * server: 405 with `Allow: POST`, in JSON-RPC form as the SDK's own stateless servers answer.
 */
export const methodNotAllowed = (): Response =>
  new Response(
    JSON.stringify({
      jsonrpc: "2.0",
      error: { code: -32000, message: "Method not allowed: this stateless MCP endpoint takes POST only." },
      id: null
    }),
    { status: 405, headers: { "content-type": "application/json", allow: "POST" } }
  )
