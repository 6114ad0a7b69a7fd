/**
 * Tool failures as JSON-RPC errors (SPEC §9.2): the code is the JSON-RPC number of the ApiError
 * code in core's one table, `data` is the ApiError itself, and the message repeats the code and
 * every field error in words, because many clients show the model only the message.
 */
import { type ApiErrorBody, statusOf, toApiErrorBody } from "@armature/core"

/**
 * What a request handler throws for the SDK to answer as a JSON-RPC error: the SDK sends
 * `code`, `message` and `data` of whatever is thrown. (The SDK's own `McpError` prefixes its
 * message with "MCP error <code>:", which the client then adds again.)
 */
export class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: ApiErrorBody
  ) {
    super(message)
    this.name = "JsonRpcError"
  }
}

/** `code: message`, followed by any field error the message does not already state. */
export const messageOf = (body: ApiErrorBody): string => {
  const head = `${body.code}: ${body.message}`
  const missing = (body.details?.fieldErrors ?? [])
    .map((f) => `${f.field}: ${f.message}`)
    .filter((text) => !body.message.includes(text))
  return missing.length === 0 ? head : `${head} (${missing.join("; ")})`
}

/** The JSON-RPC error of an ApiError body. */
export const fromBody = (body: ApiErrorBody): JsonRpcError =>
  new JsonRpcError(statusOf(body).jsonRpc, messageOf(body), body)

/** The JSON-RPC error of any failure; unexpected ones become a bare `internal_error`. */
export const fromError = (error: unknown): JsonRpcError => fromBody(toApiErrorBody(error))
