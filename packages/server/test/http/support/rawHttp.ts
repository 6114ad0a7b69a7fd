/**
 * Requests fetch cannot make: a declared `Content-Length` with no body behind it, a chunked body
 * that keeps streaming until the server answers, any header as given. Each request has its own
 * connection, so a server that closes it after refusing a body does not affect the next one.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http"

export interface RawReply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Parsed JSON, or the text when it is not JSON. */
  readonly body: any
  readonly text: string
  /** Body bytes written before the response arrived. */
  readonly bytesSent: number
}

export interface RawRequest {
  readonly method: string
  /** Path and query, sent as written (no encoding). */
  readonly path: string
  readonly headers?: Record<string, string>
  /** Sent whole (with its Content-Length unless `headers` says otherwise). */
  readonly body?: string | Buffer
  /** Streamed chunked, one chunk after another, until the server answers or `maxChunks`. */
  readonly stream?: { readonly chunk: Buffer; readonly maxChunks: number }
}

/** Sends one request on its own connection; resolves with the first response. */
export const send = (origin: string, req: RawRequest): Promise<RawReply> =>
  new Promise((resolve, reject) => {
    const url = new URL(origin)
    let bytesSent = 0
    let answered = false
    const client = httpRequest({
      host: url.hostname,
      port: url.port,
      method: req.method,
      path: req.path,
      // Node frames a GET or DELETE body only when told its length.
      headers:
        req.body === undefined ||
        Object.keys(req.headers ?? {}).some((h) => h.toLowerCase() === "content-length")
          ? (req.headers ?? {})
          : { ...req.headers, "content-length": String(Buffer.byteLength(req.body)) },
      agent: false
    })
    client.on("response", (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on("data", (c: Buffer) => chunks.push(c))
      const finish = () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let body: unknown = text
        try {
          body = text === "" ? null : JSON.parse(text)
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, bytesSent })
        client.destroy()
      }
      res.on("end", finish)
      res.on("error", finish)
    })
    // After an answer, the server may close a connection whose body it did not read.
    client.on("error", (error) => {
      if (!answered) reject(error)
    })
    if (req.stream !== undefined) {
      const { chunk, maxChunks } = req.stream
      let sent = 0
      const pump = () => {
        while (!answered && sent < maxChunks) {
          sent++
          bytesSent += chunk.length
          if (!client.write(chunk)) return void client.once("drain", pump)
        }
        if (!answered) client.end()
      }
      pump()
    } else if (req.body !== undefined) {
      bytesSent = Buffer.byteLength(req.body)
      client.end(req.body)
    } else {
      // Headers only: a declared body that never comes.
      client.flushHeaders()
    }
  })
