import { Schema } from "effect"
import { Id, Timestamp } from "./Common.js"

export const Transport = Schema.Literal("streamable_http", "sse", "stdio")
export type Transport = typeof Transport.Type

/** Headers sent on every request; values must be strings. */
export const Headers = Schema.Record({ key: Schema.String, value: Schema.String })

export const ServerState = Schema.Literal("active", "unreachable")
export type ServerState = typeof ServerState.Type

/** The system under test. */
export const McpServer = Schema.Struct({
  id: Id,
  orgId: Id,
  name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
  transport: Transport,
  baseUrl: Schema.NullOr(Schema.String),
  command: Schema.NullOr(Schema.String),
  args: Schema.Array(Schema.String),
  /** Environment of a stdio server; values may be secret references (`secret:<ref>`). */
  env: Headers,
  extraHeaders: Headers,
  /**
   * Whether a stdio server's command may be started: set only when the deployment's operator
   * wrote the command (config file, CLI) or it passed the operator's allow-list. A connector
   * starts no process for a server without it, whoever asks.
   */
  launchApproved: Schema.Boolean,
  state: ServerState,
  /** Why the last probe failed, when `state` is `unreachable`. */
  lastProbeError: Schema.NullOr(Schema.String),
  lastProbedAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type McpServer = typeof McpServer.Type

export const AuthKind = Schema.Literal("none", "bearer", "api_key_header", "oauth_client_credentials")
export type AuthKind = typeof AuthKind.Type

/**
 * A named credential set of a server. Secret values live in the `SecretStore`; the profile
 * holds only references to them, so no read of a profile can ever leak a secret.
 */
export const AuthProfile = Schema.Struct({
  id: Id,
  orgId: Id,
  serverId: Id,
  name: Schema.String.pipe(Schema.minLength(1)),
  kind: AuthKind,
  /** `api_key_header`: the header name. */
  headerName: Schema.NullOr(Schema.String),
  /** `oauth_client_credentials`: token endpoint, client id, scopes (not secret). */
  tokenUrl: Schema.NullOr(Schema.String),
  clientId: Schema.NullOr(Schema.String),
  scopes: Schema.Array(Schema.String),
  /** Reference of the secret (bearer token, header value or client secret) in the SecretStore. */
  secretRef: Schema.NullOr(Schema.String),
  createdAt: Timestamp
})
export type AuthProfile = typeof AuthProfile.Type

/**
 * A server's profiles, oldest first (the id breaks ties): the first is the server's default,
 * used for probes and by workflows and monitors that name no profile.
 */
export const profilesInOrder = (profiles: ReadonlyArray<AuthProfile>): ReadonlyArray<AuthProfile> =>
  [...profiles].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
