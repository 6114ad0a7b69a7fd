/**
 * The load benches' HTTP client: `node:http` with keep-alive sockets (one per load client)
 * rather than `fetch`, so that the client costs little beside the server it loads, and the REST
 * calls that set a bench up, sent through it.
 */
import { Agent, type IncomingHttpHeaders, request } from "node:http"

/** A whole answer: status, headers, body as text and its size. */
export interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  readonly bytes: number
}

export type Send = (
  target: string,
  method: string,
  headers: Record<string, string>,
  body?: string
) => Promise<Answer>

/** A client with up to `sockets` keep-alive sockets; `close` destroys them. */
export const keepAliveClient = (sockets: number) => {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets })
  const send: Send = (target, method, headers, body) =>
    new Promise((resolve, reject) => {
      const u = new URL(target)
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: `${u.pathname}${u.search}`,
          method,
          agent,
          headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) }
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on("data", (c: Buffer) => chunks.push(c))
          res.on("end", () => {
            const raw = Buffer.concat(chunks)
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: raw.toString("utf8"),
              bytes: raw.length
            })
          })
          res.on("error", reject)
        }
      )
      req.on("error", reject)
      req.end(body)
    })
  return { send, close: () => agent.destroy() }
}

/**
 * JSON calls to `origin`'s REST API (`/api/armature/v1…`) with the bearer `key`, through `send`;
 * the parsed body, or an error with the status and body on a non-2xx answer.
 */
export const restClient =
  (send: Send, origin: string, key: string) =>
  async (method: string, path: string, body?: unknown): Promise<any> => {
    const auth = { authorization: `Bearer ${key}` }
    const res = await send(
      `${origin}/api/armature/v1${path}`,
      method,
      body === undefined ? auth : { ...auth, "content-type": "application/json" },
      body === undefined ? undefined : JSON.stringify(body)
    )
    if (res.status < 200 || res.status > 299)
      throw new Error(`${method} ${path} → ${res.status}: ${res.text}`)
    return JSON.parse(res.text)
  }
