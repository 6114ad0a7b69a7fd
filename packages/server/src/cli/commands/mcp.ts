/**
 * `armature mcp`: the agent-facing MCP API over stdio, for coding agents that start their MCP
 * servers as local commands. A transparent message proxy: each JSON-RPC message read from stdin
 * is POSTed to a running deployment's `/api/mcp` with the API key as a bearer token, and each
 * answer is written to stdout as it arrived (JSON-RPC errors keep their code, message and
 * `data`). Stdout carries protocol messages only; everything else goes to stderr. A deployment
 * that cannot be reached or refuses the key fails the request with a JSON-RPC error saying so.
 * Ends once stdin closes and the requests in flight are answered.
 */
import { type ApiErrorBody, statusOf, validationFailed } from "@armature/core"
import { JsonRpcError } from "@armature/mcp-api"
import { Command, Options } from "@effect/cli"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js"
import {
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId
} from "@modelcontextprotocol/sdk/types.js"
import { Config, Effect, Redacted } from "effect"

const url = Options.text("url").pipe(
  Options.withFallbackConfig(Config.string("ARMATURE_URL")),
  Options.withDescription(
    "the deployment's origin (https://armature.example.com) or its MCP endpoint (…/api/mcp) (ARMATURE_URL)"
  )
)
const key = Options.redacted("key").pipe(
  Options.withFallbackConfig(Config.redacted("ARMATURE_API_KEY")),
  Options.withDescription("an API key, amt_… (or ARMATURE_API_KEY, which keeps it out of ps)")
)

/** The MCP endpoint of `--url`: an origin (or any path) gets `/api/mcp` appended; errors name the option. */
export const endpointOf = (input: string): URL | string => {
  let parsed: URL
  try {
    parsed = new URL(input.trim())
  } catch {
    return "must be an http(s) URL such as https://armature.example.com"
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `must be an http(s) URL such as https://armature.example.com (got a ${parsed.protocol} URL)`
  }
  const path = parsed.pathname.replace(/\/+$/, "")
  parsed.pathname = path.endsWith("/api/mcp") ? path : `${path}/api/mcp`
  parsed.hash = ""
  return parsed
}

/** The endpoint as shown in messages: no user info, query or fragment. */
const shown = (endpoint: URL) => `${endpoint.origin}${endpoint.pathname}`

const isLoopback = (host: string) => host === "localhost" || host === "[::1]" || host.startsWith("127.")

interface Failure {
  readonly code: number
  readonly message: string
  readonly data?: unknown
}

/** An HTTP refusal of a POST (status 400 and up), with the body it came with. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly body: string
  ) {
    super(`HTTP ${status}`)
  }
}

/** The deployment could not be reached at all (DNS, refused connection, TLS, timeout). */
class Unreachable extends Error {}

const causeOf = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
  if (typeof cause?.code === "string") {
    return typeof cause.message === "string" && cause.message !== "" ? cause.message : cause.code
  }
  if (typeof cause?.message === "string") return cause.message
  return error instanceof Error ? error.message : String(error)
}

/**
 * `fetch` for the HTTP transport: a POST answered with an error status throws `Refused` with its
 * body (rather than the SDK's error, whose message holds the body as text); a network failure
 * throws `Unreachable`. Anything else (redirects, the optional GET stream) goes to the SDK as is.
 */
const refusingFetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
  let response: Response
  try {
    response = await fetch(input, init)
  } catch (error) {
    if (init?.signal?.aborted) throw error
    throw new Unreachable(causeOf(error))
  }
  if (init?.method !== "POST" || response.status < 400) return response
  throw new Refused(response.status, await response.text().catch(() => ""))
}

const isApiErrorBody = (value: unknown): value is ApiErrorBody =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as ApiErrorBody).code === "string" &&
  typeof (value as ApiErrorBody).message === "string"

/** The JSON-RPC error an agent gets for a request the deployment did not answer in JSON-RPC. */
export const failureOf = (error: unknown, endpoint: URL): Failure => {
  const at = shown(endpoint)
  if (error instanceof Unreachable) {
    return {
      code: -32000,
      message: `Cannot reach Armature at ${at}: ${error.message}. Check --url and that the deployment is running.`
    }
  }
  if (error instanceof Refused) {
    let parsed: unknown
    try {
      parsed = JSON.parse(error.body)
    } catch {
      parsed = undefined
    }
    const body = parsed as { error?: unknown; jsonrpc?: unknown } | undefined
    // A JSON-RPC error from the MCP transport itself (405, a malformed message…): as it came.
    if (body?.jsonrpc === "2.0" && typeof body.error === "object" && body.error !== null) {
      return body.error as Failure
    }
    // A refusal before any MCP processing (`{ error: ApiError }`): its code in core's one table.
    if (isApiErrorBody(body?.error)) {
      const hint = error.status === 401 ? " Check the key given by --key or ARMATURE_API_KEY." : ""
      return {
        code: statusOf(body.error).jsonRpc,
        message: `${JsonRpcError.messageOf(body.error)} (HTTP ${error.status} from ${at}).${hint}`,
        data: body.error
      }
    }
    const text = error.body.replace(/\s+/g, " ").trim().slice(0, 200)
    return {
      code: -32000,
      message: `Armature at ${at} answered HTTP ${error.status}${text === "" ? "" : `: ${text}`}`
    }
  }
  return {
    code: -32603,
    message: `The request to Armature at ${at} failed: ${error instanceof Error ? error.message : String(error)}`
  }
}

const log = (line: string) => void process.stderr.write(`armature mcp: ${line}\n`)

/** Proxies stdin/stdout to `endpoint` until stdin closes (or the fiber is interrupted). */
export const proxy = (endpoint: URL, key: Redacted.Redacted<string>) =>
  Effect.async<void>((resume) => {
    const stdio = new StdioServerTransport()
    const http = new StreamableHTTPClientTransport(endpoint, {
      requestInit: { headers: { authorization: `Bearer ${Redacted.value(key)}` } },
      fetch: refusingFetch
    })
    const inFlight = new Set<Promise<void>>()
    const initializing = new Set<RequestId>()
    let closed: Promise<void> | undefined

    const close = () => {
      closed ??= Promise.allSettled([http.close(), stdio.close()]).then(() => undefined)
      return closed
    }
    let ending = false
    const end = () => {
      if (ending) return
      ending = true
      void Promise.allSettled([...inFlight])
        .then(close)
        .then(() => resume(Effect.void))
    }

    const toAgent = (message: JSONRPCMessage) => stdio.send(message)

    stdio.onmessage = (message) => {
      if (isJSONRPCRequest(message) && message.method === "initialize") initializing.add(message.id)
      const forwarded: Promise<void> = http
        .send(message)
        .catch((error: unknown) => {
          const failure = failureOf(error, endpoint)
          log(failure.message)
          if (!isJSONRPCRequest(message)) return
          initializing.delete(message.id)
          return toAgent({ jsonrpc: "2.0", id: message.id, error: failure } as JSONRPCMessage)
        })
        .finally(() => inFlight.delete(forwarded))
      inFlight.add(forwarded)
    }
    stdio.onerror = (error) => log(`unreadable message on stdin: ${error.message}`)
    stdio.onclose = end

    http.onmessage = (message) => {
      // The negotiated version goes on every later request, as an HTTP client of the API sends it.
      if ("id" in message && message.id !== undefined && initializing.delete(message.id)) {
        if (!isJSONRPCResultResponse(message)) return void toAgent(message)
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion
        if (typeof version === "string") http.setProtocolVersion(version)
      }
      void toAgent(message)
    }
    // Failed POSTs are answered above; what is left are failures of the optional GET stream.
    http.onerror = (error) => {
      if (/SSE stream/.test(error.message)) log(error.message)
    }

    process.stdin.once("end", end)
    process.stdin.once("close", end)
    process.stdout.on("error", end)

    log(`forwarding stdio to ${shown(endpoint)}`)
    void http.start().then(() => stdio.start())
    return Effect.promise(() => {
      process.stdin.off("end", end)
      process.stdin.off("close", end)
      return close()
    })
  })

/** `armature mcp`: the MCP API of a running deployment over stdio. */
export const mcp = Command.make("mcp", { url, key }, ({ url, key }) =>
  Effect.gen(function* () {
    const endpoint = endpointOf(url)
    const fieldErrors = [
      ...(typeof endpoint === "string" ? [{ field: "--url", message: endpoint }] : []),
      ...(/^amt_\S+$/.test(Redacted.value(key).trim())
        ? []
        : [
            {
              field: "--key",
              message: "must be an Armature API key (amt_…), as printed by `armature keys create`"
            }
          ])
    ]
    if (fieldErrors.length > 0 || typeof endpoint === "string") return yield* validationFailed(fieldErrors)
    if (endpoint.protocol === "http:" && !isLoopback(endpoint.hostname)) {
      log(`warning: ${endpoint.origin} is plain http; the API key crosses the network unencrypted`)
    }
    yield* proxy(endpoint, Redacted.make(Redacted.value(key).trim()))
  })
).pipe(
  Command.withDescription(
    "Serve the MCP API of a running deployment over stdio, for local coding agents (logs go to stderr)"
  )
)
