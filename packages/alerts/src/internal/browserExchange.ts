/**
 * `@slack/oauth` handles browser requests as Node's `IncomingMessage`/`ServerResponse`. Armature's
 * server is not bound to Node's (it may be any `@effect/platform` server, or an embedder's), so
 * each request is handed over as a minimal stand-in and the response captured as a value. The
 * install provider reads only `url` and the `cookie`/`host` headers, and writes only through
 * `getHeader`, `setHeader`, `writeHead` and `end`.
 */
import type { IncomingMessage, ServerResponse } from "node:http"

/** A browser's request, as much of it as the install flow reads. */
export interface BrowserRequest {
  /** Path and query, as received (`/slack/oauth_redirect?code=…&state=…`). */
  readonly url: string
  readonly cookie?: string | undefined
  readonly host?: string | undefined
}

/** A complete response for the browser. */
export interface BrowserResponse {
  readonly status: number
  /** Header names in lower case; `Set-Cookie` lines apart, in `setCookies`. */
  readonly headers: Readonly<Record<string, string>>
  readonly setCookies: ReadonlyArray<string>
  readonly body: string
}

class CapturedResponse {
  statusCode = 200
  ended = false
  body = ""
  readonly headers = new Map<string, string | Array<string>>()

  getHeader(name: string) {
    return this.headers.get(name.toLowerCase())
  }
  setHeader(name: string, value: string | number | ReadonlyArray<string>) {
    this.headers.set(
      name.toLowerCase(),
      typeof value === "number" ? String(value) : (value as string | string[])
    )
    return this
  }
  writeHead(status: number, headers?: Record<string, string>) {
    this.statusCode = status
    for (const [name, value] of Object.entries(headers ?? {})) this.setHeader(name, value)
    return this
  }
  end(chunk?: unknown) {
    if (typeof chunk === "string" || chunk instanceof Uint8Array)
      this.body += Buffer.from(chunk).toString("utf8")
    this.ended = true
    return this
  }

  toValue(): BrowserResponse {
    const headers: Record<string, string> = {}
    let setCookies: ReadonlyArray<string> = []
    for (const [name, value] of this.headers) {
      if (name === "set-cookie") setCookies = typeof value === "string" ? [value] : value
      else headers[name] = typeof value === "string" ? value : value.join(", ")
    }
    return { status: this.statusCode, headers, setCookies, body: this.body }
  }
}

/** Runs `handle` over a stand-in of `request`; the response it wrote, or `null` if it wrote none. */
export const exchange = async (
  request: BrowserRequest,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>
): Promise<BrowserResponse | null> => {
  const headers: Record<string, string> = {}
  if (request.cookie !== undefined) headers.cookie = request.cookie
  if (request.host !== undefined) headers.host = request.host
  const req = { method: "GET", url: request.url, headers } as unknown as IncomingMessage
  const res = new CapturedResponse()
  await handle(req, res as unknown as ServerResponse)
  return res.ended ? res.toValue() : null
}
