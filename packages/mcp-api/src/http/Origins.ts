/**
 * DNS-rebinding protection: a web page on a hostile origin that got its name resolved to this
 * server must not reach the API from a browser. Browsers send `Origin` on every POST, so a
 * request whose `Origin` is not allowed is refused; requests without one — agents, CLIs, other
 * servers, which no web page can impersonate — pass. `Host` is checked too when a list is given.
 */

/** An origin as browsers write it (`scheme://host[:port]`), or `null` for a value that is not one. */
export const normalizeOrigin = (value: string): string | null => {
  try {
    const url = new URL(value.trim())
    return url.origin === "null" ? null : url.origin
  } catch {
    return null
  }
}

/** Why the request is refused, or `null` when its `Origin` and `Host` are allowed. */
export const refusal = (
  request: Request,
  allowed: { readonly origins: ReadonlySet<string>; readonly hosts?: ReadonlySet<string> | undefined }
): string | null => {
  const origin = request.headers.get("origin")
  if (origin !== null) {
    const normalized = normalizeOrigin(origin)
    if (normalized === null || !allowed.origins.has(normalized))
      return `Requests from origin ${JSON.stringify(origin.slice(0, 200))} are not allowed`
  }
  if (allowed.hosts !== undefined) {
    const host = (request.headers.get("host") ?? "").toLowerCase()
    if (!allowed.hosts.has(host))
      return `Requests for host ${JSON.stringify(host.slice(0, 200))} are not allowed`
  }
  return null
}
