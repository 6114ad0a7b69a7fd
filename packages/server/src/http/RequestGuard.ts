/**
 * What a request may send, checked before anything reads it, with or without a valid key:
 *
 * - a body larger than `maxBodyBytes` is refused with 413 `payload_too_large` — by its
 *   `Content-Length` before a byte is read, or, sent chunked, as soon as the count passes the
 *   limit — so memory per request stays bounded;
 * - under the API prefix and at the MCP API (`/api/mcp`), a body must be `application/json`
 *   (UTF-8): anything else, or none declared, is 415 `unsupported_media_type`;
 * - JSON nested deeper than `maxJsonDepth` is 400 `validation_failed`, so no later step (schema
 *   decoding, serialization) recurses without bound.
 *
 * The platform has a body limit of its own, but on reaching it destroys the socket, so a client
 * would see a reset instead of a 413; hence the body is read here and handed on.
 */
import type { IncomingMessage } from "node:http"
import { validationFailed } from "@armature/core"
import {
  HttpApiBuilder,
  type HttpApp,
  HttpIncomingMessage,
  HttpMethod,
  HttpServerRequest
} from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Effect, Option, Stream } from "effect"
import { ArmatureApi } from "./Api.js"
import { isMcpPath, isUnderPrefix } from "./ErrorMiddleware.js"
import * as HttpErrors from "./HttpErrors.js"

export interface Options {
  /** Largest request body in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number
  /** Deepest nesting of arrays and objects in a JSON body (default 64). */
  readonly maxJsonDepth?: number
}

export const defaults = { maxBodyBytes: 1_048_576, maxJsonDepth: 64 } as const
type Limits = { readonly [K in keyof typeof defaults]: number }

const tooLarge = (max: number) =>
  HttpErrors.toResponse(
    new HttpErrors.PayloadTooLarge({
      error: { code: "payload_too_large", message: `The request body exceeds the limit of ${max} bytes.` }
    }),
    // The rest of the body is never read, so the connection cannot carry another request.
    { connection: "close" }
  )

const unsupported = (message: string) =>
  HttpErrors.toResponse(
    new HttpErrors.UnsupportedMediaType({ error: { code: "unsupported_media_type", message } })
  )

/** `null` when the declared type is JSON in UTF-8, otherwise why not. */
const mediaTypeProblem = (contentType: string | undefined): string | null => {
  if (contentType === undefined || contentType.trim() === "")
    return "A request body needs Content-Type: application/json."
  const [type, ...params] = contentType.toLowerCase().split(";")
  if (type!.trim() !== "application/json")
    return `Content-Type ${JSON.stringify(type!.trim().slice(0, 100))} is not supported; send application/json.`
  const charset = params.map((p) => p.trim()).find((p) => p.startsWith("charset="))
  if (charset !== undefined && !/^charset="?utf-8"?$/.test(charset))
    return "JSON bodies must be UTF-8 (charset=utf-8)."
  return null
}

/** Whether JSON text nests arrays and objects deeper than `max`; one pass, no recursion. */
export const nestsDeeperThan = (text: string, max: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/** The body, or `None` once it passes `max` bytes (reading stops there and the socket stays open). */
const readAtMost = (source: IncomingMessage, max: number) =>
  Effect.async<Option.Option<Buffer>, Error>((resume) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = () => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= max) return void chunks.push(chunk)
      done()
      source.pause()
      resume(Effect.succeed(Option.none()))
    }
    const onEnd = () => {
      done()
      resume(Effect.succeed(Option.some(Buffer.concat(chunks))))
    }
    const onError = (error: Error) => {
      done()
      resume(Effect.fail(error))
    }
    source.on("data", onData)
    source.once("end", onEnd)
    source.once("error", onError)
    return Effect.sync(done)
  })

/** The request with its body already read: the platform's accessors answer from `body`. */
const withBody = (
  request: HttpServerRequest.HttpServerRequest,
  body: Buffer,
  text: string
): HttpServerRequest.HttpServerRequest => {
  const bytes = new Uint8Array(body)
  const source = request.source
  return Object.create(request, {
    text: { value: Effect.succeed(text) },
    arrayBuffer: { value: Effect.sync(() => bytes.slice().buffer) },
    stream: { value: Stream.succeed(bytes) },
    // A Web request (an embedder's `fetch` handler) is handed on as it is by `toWeb`, the MCP
    // API's way in, and its body is read already: hand on one with the same body instead.
    ...(source instanceof Request
      ? {
          source: {
            value: new Request(source.url, {
              method: source.method,
              headers: source.headers,
              body: bytes,
              signal: source.signal
            })
          }
        }
      : {})
  })
}

const unreadable = HttpErrors.toResponse(
  HttpErrors.fromError(validationFailed([{ field: "(body)", message: "could not be read completely" }]))
)

const guard = (request: HttpServerRequest.HttpServerRequest, app: HttpApp.Default, limits: Limits) =>
  Effect.gen(function* () {
    const declared = request.headers["content-length"]
    const length = declared === undefined ? undefined : Number(declared)
    if (length !== undefined && length > limits.maxBodyBytes) return yield* tooLarge(limits.maxBodyBytes)
    const hasBody = (length !== undefined && length > 0) || request.headers["transfer-encoding"] !== undefined
    // The MCP API takes JSON bodies too, under the same limits as REST.
    const json = isUnderPrefix(request.url) || isMcpPath(request.url)
    if (!hasBody || !HttpMethod.hasBody(request.method) || !json) return yield* app
    const problem = mediaTypeProblem(request.headers["content-type"])
    if (problem !== null) return yield* unsupported(problem)
    const source = NodeHttpServerRequest.toIncomingMessage(request)
    const read =
      typeof (source as Partial<IncomingMessage>)?.on === "function"
        ? readAtMost(source, limits.maxBodyBytes)
        : // Not a Node request (an embedder's own server): the platform's limit applies.
          Effect.map(
            HttpIncomingMessage.withMaxBodySize(request.arrayBuffer, Option.some(limits.maxBodyBytes)),
            (b) => Option.some(Buffer.from(b))
          )
    // A body that broke off is a 400; a client that went away gets nothing anyway.
    const body = yield* Effect.either(read)
    if (body._tag === "Left") return yield* unreadable
    if (Option.isNone(body.right)) return yield* tooLarge(limits.maxBodyBytes)
    const bytes = body.right.value
    const text = bytes.toString("utf8")
    if (nestsDeeperThan(text, limits.maxJsonDepth)) {
      return yield* HttpErrors.toResponse(
        HttpErrors.fromError(
          validationFailed([
            {
              field: "(body)",
              message: `must not nest arrays and objects deeper than ${limits.maxJsonDepth} levels`
            }
          ])
        )
      )
    }
    return yield* Effect.provideService(
      app,
      HttpServerRequest.HttpServerRequest,
      withBody(request, bytes, text)
    )
  })

/** The guard as API-level middleware: it wraps every route of the router, the API's and the rest. */
export const layer = (options: Options = {}) => {
  const limits: Limits = { ...defaults, ...options }
  return HttpApiBuilder.middleware(ArmatureApi, (app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => guard(request, app, limits))
  )
}
