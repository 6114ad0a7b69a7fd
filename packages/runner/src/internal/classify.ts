/**
 * Turns whatever the MCP SDK, fetch or a child process threw into the precise reasons of SPEC §2
 * (connect) and the `McpCallError` kinds of the connector port (calls). The SDK signals most
 * conditions only through error classes, numeric codes and message wording, so this is the one
 * place that knows them.
 */
import { McpCallError, ServerUnreachable } from "@armature/core"
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"

type Reason = ServerUnreachable["reason"]

const tlsCodes = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO"
])

/** Server text can be large or hostile: keep messages short. */
const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text)

/** The error and its causes, outermost first (fetch hides the socket error in `cause`). */
const chain = (error: unknown): ReadonlyArray<any> => {
  const out: any[] = []
  let e: any = error
  while (e !== undefined && e !== null && out.length < 6) {
    out.push(e)
    e = typeof e === "object" ? e.cause : undefined
  }
  return out
}

const codeOf = (error: unknown): string | undefined =>
  chain(error)
    .map((e) => (typeof e?.code === "string" ? e.code : undefined))
    .find((c) => c !== undefined)

const messageOf = (error: unknown): string =>
  clip(
    chain(error)
      .map((e) => (e instanceof Error ? e.message : String(e)))
      .filter((m, i, all) => m.length > 0 && all.indexOf(m) === i)
      .join(": ")
  )

/** Status of an HTTP-level failure from either HTTP transport (`-1` = wrong content type). */
const httpStatusOf = (error: unknown): number | undefined => {
  for (const e of chain(error)) {
    if (e instanceof StreamableHTTPError && typeof e.code === "number") return e.code
    // SseError (client/sse.js) carries the status as a numeric `code` too.
    if (e?.name === "SseError" && typeof e.code === "number") return e.code
    if (e?.name === "UnauthorizedError") return 401
    // The OAuth token endpoint refusing our client is the profile being rejected.
    if (e?.name === "TokenEndpointError") return e.status === 400 ? 401 : e.status
  }
  return undefined
}

interface Classified {
  readonly reason: Reason
  readonly httpStatus?: number
}

/** Classification shared by connect and call failures. */
const classify = (error: unknown): Classified => {
  const status = httpStatusOf(error)
  if (status !== undefined) {
    if (status === 401 || status === 403) return { reason: "auth_rejected", httpStatus: status }
    // -1: the endpoint answered 2xx with something that is neither JSON nor an event stream.
    if (status === -1) return { reason: "not_mcp" }
    return { reason: "http_status", httpStatus: status }
  }
  const code = codeOf(error)
  const message = messageOf(error)
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return { reason: code === "ECONNREFUSED" ? "connection_refused" : "transport" }
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { reason: "dns" }
  if (code !== undefined && (tlsCodes.has(code) || /^ERR_(SSL|TLS)_|CERT/.test(code)))
    return { reason: "tls" }
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT") {
    return { reason: "timeout" }
  }
  if (code === "ENOENT" || code === "EACCES") return { reason: "transport" } // stdio command missing
  for (const e of chain(error)) {
    if (e instanceof McpError) {
      if (e.code === ErrorCode.RequestTimeout) return { reason: "timeout" }
      if (e.code === ErrorCode.ConnectionClosed) return { reason: "transport" }
    }
    // Malformed bodies: invalid JSON, or JSON that is not JSON-RPC / not an MCP result.
    if (e instanceof SyntaxError || e?.name === "ZodError" || e?.name === "$ZodError")
      return { reason: "not_mcp" }
  }
  if (/protocol version is not supported/i.test(message)) return { reason: "protocol_version" }
  if (/invalid initialize result|Unexpected content type/i.test(message)) return { reason: "not_mcp" }
  return { reason: "transport" }
}

/** A failed connect (`initialize`) as `ServerUnreachable` with its precise reason. */
export const unreachable = (error: unknown, context: string): ServerUnreachable => {
  const c = classify(error)
  return new ServerUnreachable({
    message: clip(`${context}: ${messageOf(error)}`),
    reason: c.reason,
    ...(c.httpStatus === undefined ? {} : { httpStatus: c.httpStatus })
  })
}

/** A failed request on an open session as `McpCallError`. */
export const callError = (error: unknown): McpCallError => {
  const c = classify(error)
  const message = messageOf(error)
  // A JSON-RPC error answer (unknown method, invalid params…) is the server speaking MCP, not a broken transport.
  const isRpcError = chain(error).some(
    (e) =>
      e instanceof McpError && e.code !== ErrorCode.RequestTimeout && e.code !== ErrorCode.ConnectionClosed
  )
  const kind: McpCallError["kind"] = isRpcError
    ? "protocol"
    : c.reason === "timeout"
      ? "timeout"
      : c.reason === "auth_rejected"
        ? "auth_rejected"
        : c.reason === "http_status"
          ? "http_status"
          : c.reason === "not_mcp" || c.reason === "protocol_version"
            ? "not_mcp"
            : "transport"
  return new McpCallError({
    message,
    kind,
    ...(c.httpStatus === undefined ? {} : { httpStatus: c.httpStatus })
  })
}
