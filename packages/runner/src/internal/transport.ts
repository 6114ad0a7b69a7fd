/**
 * Builds the SDK client transport of a registered server: Streamable HTTP, SSE or stdio, with the
 * auth profile's credentials and the server's extra headers on every HTTP request.
 */
import { setMaxListeners } from "node:events"
import type { McpServer } from "@armature/core"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js"
import { type TokenCache, TokenEndpointError, type TokenRequest } from "./oauth.js"

/** What to send to authenticate, already resolved from the SecretStore. */
export type Credentials =
  | { readonly kind: "none" }
  | { readonly kind: "headers"; readonly headers: Readonly<Record<string, string>> }
  | { readonly kind: "oauth"; readonly request: TokenRequest; readonly cache: TokenCache }

type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>

const raised = new WeakSet<AbortSignal>()

/**
 * The SDK passes one long-lived signal (the session's) to every request, and undici adds an abort
 * listener per request that it removes only when the request is garbage-collected (verified:
 * 1 500 listeners after 3 000 fetches, 0 after a GC). A busy pooled session would trip Node's
 * leak warning without leaking, so its limit is lifted.
 */
const allowManyListeners = (signal: AbortSignal | null | undefined) => {
  if (signal && !raised.has(signal)) {
    raised.add(signal)
    setMaxListeners(0, signal)
  }
}

/** Secret values a session has sent (static credentials, and every OAuth token it used). */
export const sentSecrets = (credentials: Credentials, sent: ReadonlySet<string>): ReadonlyArray<string> =>
  credentials.kind === "headers"
    ? [...Object.values(credentials.headers).map((v) => v.replace(/^Bearer\s+/i, "")), ...sent]
    : credentials.kind === "oauth"
      ? [credentials.request.clientSecret, ...sent]
      : [...sent]

/** A fetch that adds extra headers and credentials to every request the SDK makes. */
const authenticatedFetch = (
  extraHeaders: Readonly<Record<string, string>>,
  credentials: Credentials,
  sent: Set<string>
): FetchLike => {
  // Nothing to add (no credentials, no extra headers): the SDK's request goes out as it is, without
  // copying its headers or another promise per request (every pooled monitor check comes here).
  if (credentials.kind === "none" && Object.keys(extraHeaders).length === 0) {
    return (url, init) => {
      allowManyListeners(init?.signal)
      return fetch(url, init)
    }
  }
  return async (url, init) => {
    allowManyListeners(init?.signal)
    const headers = new Headers(init?.headers)
    for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value)
    if (credentials.kind === "headers") {
      for (const [name, value] of Object.entries(credentials.headers)) headers.set(name, value)
    } else if (credentials.kind === "oauth") {
      const token = await credentials.cache.token(credentials.request)
      sent.add(token)
      headers.set("authorization", `Bearer ${token}`)
    }
    const response = await fetch(url, { ...init, headers })
    // A rejected token is dropped so the reconnect that follows fetches a fresh one.
    if (response.status === 401 && credentials.kind === "oauth")
      credentials.cache.invalidate(credentials.request)
    return response
  }
}

/** Fails early (before the SDK) when an OAuth token cannot be obtained, for a precise reason. */
export const preflight = async (credentials: Credentials): Promise<void> => {
  if (credentials.kind === "oauth") {
    try {
      await credentials.cache.token(credentials.request)
    } catch (e) {
      if (e instanceof TokenEndpointError) throw e
      throw new Error("Cannot reach the OAuth token endpoint", { cause: e })
    }
  }
}

/** The SDK transport for a server; stdio env values are already resolved. */
export const makeTransport = (
  server: McpServer,
  credentials: Credentials,
  env: Readonly<Record<string, string>>,
  sent: Set<string>
): Transport => {
  if (server.transport === "stdio") {
    if (server.command === null) throw new Error("stdio server without a command")
    return new StdioClientTransport({
      command: server.command,
      args: [...server.args],
      // Only what the server needs: the worker's own environment (database URL, keys) stays out.
      env: { PATH: process.env.PATH ?? "", ...env },
      stderr: "ignore"
    })
  }
  if (server.baseUrl === null) throw new Error("HTTP server without a baseUrl")
  const url = new URL(server.baseUrl)
  const f = authenticatedFetch(server.extraHeaders, credentials, sent)
  return server.transport === "sse"
    ? new SSEClientTransport(url, { fetch: f })
    : new StreamableHTTPClientTransport(url, { fetch: f })
}
