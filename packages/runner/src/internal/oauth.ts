/**
 * OAuth 2.0 client-credentials tokens (RFC 6749 §4.4) for `oauth_client_credentials` profiles.
 * Tokens are cached per (token URL, client, scopes) and fetched again shortly before they expire,
 * so a pooled session that lives for hours keeps sending a valid token.
 *
 * Promise-based on purpose: it runs inside the fetch the MCP SDK calls for every request.
 */

export interface TokenRequest {
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes: ReadonlyArray<string>
}

/** Raised when the token endpoint refuses the client (mapped to `auth_rejected`). */
export class TokenEndpointError extends Error {
  override readonly name = "TokenEndpointError"
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
  }
}

interface Cached {
  readonly token: string
  readonly expiresAt: number
}

/** Refresh this long before `expires_in` runs out, so a request never leaves with a dying token. */
const refreshMarginMs = 30_000
/** When the endpoint omits `expires_in`. */
const defaultLifetimeMs = 300_000

/** A cache of client-credentials tokens with single-flight fetching. */
export class TokenCache {
  private readonly cached = new Map<string, Cached>()
  private readonly inFlight = new Map<string, Promise<string>>()

  constructor(
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly now: () => number = Date.now
  ) {}

  /** A valid access token, from the cache or freshly fetched. */
  token(request: TokenRequest): Promise<string> {
    const key = JSON.stringify([request.tokenUrl, request.clientId, [...request.scopes].sort()])
    const hit = this.cached.get(key)
    if (hit && hit.expiresAt - refreshMarginMs > this.now()) return Promise.resolve(hit.token)
    const pending = this.inFlight.get(key)
    if (pending) return pending
    const p = this.fetchToken(request)
      .then((c) => {
        this.cached.set(key, c)
        return c.token
      })
      .finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, p)
    return p
  }

  /** Forgets a token the server rejected, so the next request fetches a new one. */
  invalidate(request: TokenRequest): void {
    this.cached.delete(JSON.stringify([request.tokenUrl, request.clientId, [...request.scopes].sort()]))
  }

  private async fetchToken(request: TokenRequest): Promise<Cached> {
    const body = new URLSearchParams({ grant_type: "client_credentials" })
    if (request.scopes.length > 0) body.set("scope", request.scopes.join(" "))
    // client_secret_basic is the method every server must support (RFC 6749 §2.3.1).
    const basic = Buffer.from(
      `${encodeURIComponent(request.clientId)}:${encodeURIComponent(request.clientSecret)}`
    ).toString("base64")
    const response = await this.fetchImpl(request.tokenUrl, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json"
      },
      body,
      signal: AbortSignal.timeout(15_000)
    })
    if (!response.ok) {
      await response.body?.cancel()
      throw new TokenEndpointError(`Token endpoint answered HTTP ${response.status}`, response.status)
    }
    const json = (await response.json()) as { access_token?: unknown; expires_in?: unknown }
    if (typeof json.access_token !== "string" || json.access_token.length === 0) {
      throw new TokenEndpointError("Token endpoint returned no access_token", 502)
    }
    const lifetime =
      typeof json.expires_in === "number" && json.expires_in > 0 ? json.expires_in * 1000 : defaultLifetimeMs
    return { token: json.access_token, expiresAt: this.now() + lifetime }
  }
}
