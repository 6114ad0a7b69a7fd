/**
 * A loopback HTTP server that records every request and answers as the test says: the stand-in
 * for Slack, Resend and webhook receivers, so the real SDKs and `fetch` run unmodified.
 */
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Context, Effect, Layer, type Scope } from "effect"

export interface Recorded {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface Answer {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: string
}

/** An answer, or "hang" to never answer (timeouts). */
export type Respond = (request: Recorded) => Answer | "hang"

export interface Recorder {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  readonly requests: () => ReadonlyArray<Recorded>
  readonly clear: () => void
}

export const json = (status: number, value: unknown): Answer => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(value)
})

/** Starts a recorder on 127.0.0.1:0 (for tests that need its URL before any layer is built). */
export const listen = (respond: Respond): Promise<Recorder & { readonly close: () => Promise<void> }> =>
  new Promise((resolve) => {
    const requests: Array<Recorded> = []
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const recorded: Recorded = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8")
        }
        requests.push(recorded)
        const answer = respond(recorded)
        if (answer === "hang") return
        res.writeHead(answer.status, answer.headers ?? {})
        res.end(answer.body ?? "")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests: () => [...requests],
        clear: () => {
          requests.length = 0
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })

/** Starts a recorder on 127.0.0.1:0; it closes with the scope. */
export const start = (respond: Respond): Effect.Effect<Recorder, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => listen(respond)),
    (recorder) => Effect.promise(recorder.close)
  )

/** A tag for a test layer's recorder. */
export class RecorderTag extends Context.Tag("test/Recorder")<RecorderTag, Recorder>() {}

/** A layer holding a started recorder, plus whatever `build` makes of it. */
export const layerWith = <A, E, R>(
  respond: Respond,
  build: (recorder: Recorder) => Layer.Layer<A, E, R>
): Layer.Layer<A | RecorderTag, E, R> =>
  Layer.unwrapScoped(
    Effect.map(start(respond), (recorder) =>
      Layer.merge(build(recorder), Layer.succeed(RecorderTag, recorder))
    )
  )
