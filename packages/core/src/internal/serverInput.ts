/**
 * Edge validation of MCP server registrations and auth profiles: the Schema shape first, then
 * the cross-field rules a Schema cannot express (transport-specific fields, URL policy,
 * kind-specific credentials), all reported together as field errors.
 */
import { Schema } from "effect"
import { Name, nameKey } from "../domain/Common.js"
import { AuthKind, Transport } from "../domain/McpServer.js"
import type { FieldError } from "../Errors.js"

/** A credential set as entered by a user; secret values leave it for the SecretStore. */
export const AuthProfileInput = Schema.Struct({
  name: Name.pipe(Schema.maxLength(100, { message: () => "must be at most 100 characters" })),
  kind: AuthKind,
  /** `bearer`: the token, without the `Bearer ` prefix (a pasted prefix is stripped). */
  token: Schema.optional(Schema.String),
  /** `api_key_header`: header name and value. */
  headerName: Schema.optional(Schema.String),
  headerValue: Schema.optional(Schema.String),
  /** `oauth_client_credentials`: token endpoint, client id and secret, scopes. */
  tokenUrl: Schema.optional(Schema.String),
  clientId: Schema.optional(Schema.String),
  clientSecret: Schema.optional(Schema.String),
  scopes: Schema.optional(Schema.Array(Schema.String))
})
export type AuthProfileInput = typeof AuthProfileInput.Type

const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

/** What `Servers.register` accepts. */
export const RegisterInput = Schema.Struct({
  name: Name,
  transport: Schema.optionalWith(Transport, { default: () => "streamable_http" as const }),
  baseUrl: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  command: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  args: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  env: Schema.optionalWith(StringMap, { default: () => ({}) }),
  /** Must be a JSON object of string values (SPEC §1). */
  extraHeaders: Schema.optionalWith(StringMap, { default: () => ({}) }),
  authProfiles: Schema.optionalWith(Schema.Array(AuthProfileInput), { default: () => [] })
})
export type RegisterInput = typeof RegisterInput.Type

/** What `Servers.update` accepts: how to reach the server. Its name and auth profiles are kept. */
export const UpdateInput = Schema.Struct({
  transport: Schema.optional(Transport),
  baseUrl: Schema.optional(Schema.NullOr(Schema.String)),
  command: Schema.optional(Schema.NullOr(Schema.String)),
  args: Schema.optional(Schema.Array(Schema.String)),
  env: Schema.optional(StringMap),
  extraHeaders: Schema.optional(StringMap)
})
export type UpdateInput = typeof UpdateInput.Type

/** RFC 9110 token: what a header name may contain. */
const headerToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Header names that carry credentials: the standard ones, and names that say token, key, secret… */
const credentialHeader =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|(^|[-_])(api[-_]?key|access[-_]?key|secret[-_]?key|token|secret|password|passwd|auth|session|credentials?)($|[-_])/i

/** Whether an extra header would carry a credential (it belongs in an auth profile). */
export const isCredentialHeader = (name: string): boolean => credentialHeader.test(name)

/** Whether a URL host is loopback: `localhost`, 127.0.0.0/8 or `::1`. */
export const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "")
  if (host === "localhost" || host.endsWith(".localhost")) return true
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return m?.slice(1).every((part) => Number(part) <= 255) ?? false
}

/** Field errors of a URL that must be https unless loopback or explicitly allowed. */
export const checkServerUrl = (
  field: string,
  value: string,
  allowInsecureHttp: boolean
): ReadonlyArray<FieldError> => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return [{ field, message: "must be a valid absolute URL" }]
  }
  // The URL is stored and shown in plain text: credentials belong in an auth profile.
  if (url.username !== "" || url.password !== "") {
    return [
      {
        field,
        message:
          "must not contain credentials (user:password@); put them in an auth profile, where they are encrypted and never shown again"
      }
    ]
  }
  if (url.protocol === "https:") return []
  if (url.protocol !== "http:") return [{ field, message: "must be an http(s) URL" }]
  if (allowInsecureHttp || isLoopbackHost(url.hostname)) return []
  return [
    {
      field,
      message:
        "must use https:// (plain http:// is allowed only for loopback addresses or when the deployment allows insecure http)"
    }
  ]
}

/** Cross-field rules of a registration that the Schema cannot express. */
export const checkRegistration = (
  input: RegisterInput,
  allowInsecureHttp: boolean
): ReadonlyArray<FieldError> => {
  const errors: FieldError[] = []
  if (input.transport === "stdio") {
    if (input.command === null || input.command.trim() === "") {
      errors.push({ field: "command", message: "is required for the stdio transport" })
    }
    if (input.baseUrl !== null)
      errors.push({ field: "baseUrl", message: "is not used by the stdio transport" })
  } else {
    if (input.baseUrl === null || input.baseUrl.trim() === "") {
      errors.push({ field: "baseUrl", message: `is required for the ${input.transport} transport` })
    } else {
      errors.push(...checkServerUrl("baseUrl", input.baseUrl.trim(), allowInsecureHttp))
    }
    if (input.command !== null) {
      errors.push({ field: "command", message: `is only used by the stdio transport` })
    }
    if (input.args.length > 0) errors.push({ field: "args", message: "are only used by the stdio transport" })
    if (Object.keys(input.env).length > 0) {
      errors.push({ field: "env", message: "is only used by the stdio transport" })
    }
  }
  for (const name of Object.keys(input.extraHeaders)) {
    if (!headerToken.test(name)) {
      errors.push({ field: `extraHeaders.${name}`, message: "is not a valid HTTP header name" })
    } else if (isCredentialHeader(name)) {
      errors.push({
        field: `extraHeaders.${name}`,
        message:
          "carries credentials; extra headers are stored and shown in plain text, so use an auth profile (bearer or api_key_header), which is encrypted and never shown again"
      })
    }
  }
  const seen = new Set<string>()
  input.authProfiles.forEach((profile, i) => {
    errors.push(...checkAuthProfile(`authProfiles[${i}]`, profile, allowInsecureHttp))
    const key = nameKey(profile.name)
    if (seen.has(key))
      errors.push({ field: `authProfiles[${i}].name`, message: "is used by another profile" })
    seen.add(key)
  })
  return errors
}

/** The fields each kind uses; anything else given is an error rather than a silently kept secret. */
const fieldsOf: Record<AuthProfileInput["kind"], ReadonlyArray<keyof AuthProfileInput>> = {
  none: [],
  bearer: ["token"],
  api_key_header: ["headerName", "headerValue"],
  oauth_client_credentials: ["tokenUrl", "clientId", "clientSecret", "scopes"]
}
const optionalFields = new Set<keyof AuthProfileInput>(["scopes"])
const credentialFields: ReadonlyArray<keyof AuthProfileInput> = [
  "token",
  "headerName",
  "headerValue",
  "tokenUrl",
  "clientId",
  "clientSecret",
  "scopes"
]

/** A bearer token as the user meant it: trimmed, without a pasted `Bearer ` prefix. */
export const normalizeBearer = (token: string): string =>
  token
    .trim()
    .replace(/^bearer(?:\s+|$)/i, "")
    .trim()

/** Field errors of one auth profile, rooted at `root` (`authProfiles[0]`). */
export const checkAuthProfile = (
  root: string,
  profile: AuthProfileInput,
  allowInsecureHttp: boolean
): ReadonlyArray<FieldError> => {
  const errors: FieldError[] = []
  const field = (name: string) => (root === "" ? name : `${root}.${name}`)
  const used = fieldsOf[profile.kind]
  for (const name of credentialFields) {
    const value = profile[name]
    if (value === undefined) continue
    if (!used.includes(name)) {
      errors.push({ field: field(name), message: `is not used by the ${profile.kind} kind` })
    }
  }
  for (const name of used) {
    if (optionalFields.has(name)) continue
    const value = profile[name]
    const text = typeof value === "string" ? (name === "token" ? normalizeBearer(value) : value.trim()) : ""
    if (text === "") errors.push({ field: field(name), message: `is required for the ${profile.kind} kind` })
  }
  if (
    profile.kind === "api_key_header" &&
    profile.headerName !== undefined &&
    profile.headerName.trim() !== ""
  ) {
    if (!headerToken.test(profile.headerName.trim())) {
      errors.push({ field: field("headerName"), message: "is not a valid HTTP header name" })
    }
  }
  if (
    profile.kind === "oauth_client_credentials" &&
    profile.tokenUrl !== undefined &&
    profile.tokenUrl.trim() !== ""
  ) {
    errors.push(...checkServerUrl(field("tokenUrl"), profile.tokenUrl.trim(), allowInsecureHttp))
  }
  return errors
}

/** The one secret value of a profile (bearer token, header value or client secret), if any. */
export const secretOf = (profile: AuthProfileInput): string | null => {
  switch (profile.kind) {
    case "bearer":
      return profile.token === undefined ? null : normalizeBearer(profile.token)
    case "api_key_header":
      return profile.headerValue ?? null
    case "oauth_client_credentials":
      return profile.clientSecret ?? null
    case "none":
      return null
  }
}
