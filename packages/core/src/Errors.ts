import { Schema } from "effect"

/** One offending input field; `field` is a path rooted at the argument names (`changes.criteria[0].position`). */
export const FieldError = Schema.Struct({ field: Schema.String, message: Schema.String })
export type FieldError = typeof FieldError.Type

/** Something that still uses what a refused delete would remove. */
export const UsedBy = Schema.Struct({
  type: Schema.Literal("monitor", "workflow"),
  id: Schema.String,
  name: Schema.String
})
export type UsedBy = typeof UsedBy.Type

export const ErrorDetails = Schema.Struct({
  fieldErrors: Schema.optional(Schema.Array(FieldError)),
  usedBy: Schema.optional(Schema.Array(UsedBy)),
  warnings: Schema.optional(Schema.Array(Schema.String)),
  retryAfterSeconds: Schema.optional(Schema.Number),
  reason: Schema.optional(Schema.String)
})
export type ErrorDetails = typeof ErrorDetails.Type

/** The wire form of every error of every interface (REST, MCP, CLI). */
export const ApiErrorBody = Schema.Struct({
  code: Schema.String,
  message: Schema.String,
  details: Schema.optional(ErrorDetails)
})
export type ApiErrorBody = typeof ApiErrorBody.Type

/**
 * The one error vocabulary: each ApiError code with its HTTP status and JSON-RPC code
 * (SPEC §9.2). Interfaces translate errors through this table and nothing else.
 */
export const codes = {
  validation_failed: { http: 400, jsonRpc: -32602 },
  secret_in_arguments: { http: 400, jsonRpc: -32602 },
  unauthenticated: { http: 401, jsonRpc: -32001 },
  forbidden_role: { http: 403, jsonRpc: -32003 },
  stdio_not_allowed: { http: 403, jsonRpc: -32003 },
  origin_not_allowed: { http: 403, jsonRpc: -32003 },
  run_not_found: { http: 404, jsonRpc: -32004 },
  workflow_not_found: { http: 404, jsonRpc: -32004 },
  mcp_server_not_found: { http: 404, jsonRpc: -32004 },
  monitor_not_found: { http: 404, jsonRpc: -32004 },
  proposal_not_found: { http: 404, jsonRpc: -32004 },
  not_found: { http: 404, jsonRpc: -32004 },
  run_wait_timeout: { http: 408, jsonRpc: -32008 },
  version_conflict: { http: 409, jsonRpc: -32009 },
  conflict: { http: 409, jsonRpc: -32009 },
  proposal_expired: { http: 409, jsonRpc: -32010 },
  proposal_already_applied: { http: 409, jsonRpc: -32011 },
  slack_not_configured: { http: 409, jsonRpc: -32013 },
  billing_unavailable: { http: 409, jsonRpc: -32014 },
  read_only_workspace: { http: 403, jsonRpc: -32012 },
  quota_exceeded: { http: 403, jsonRpc: -32012 },
  server_unreachable: { http: 502, jsonRpc: -32020 },
  payload_too_large: { http: 413, jsonRpc: -32600 },
  unsupported_media_type: { http: 415, jsonRpc: -32600 },
  rate_limited: { http: 429, jsonRpc: -32029 },
  internal_error: { http: 500, jsonRpc: -32603 },
  store_unavailable: { http: 503, jsonRpc: -32603 }
} as const satisfies Record<string, { http: number; jsonRpc: number }>
export type ErrorCode = keyof typeof codes

const base = { message: Schema.String }
const fieldErrors = { fieldErrors: Schema.optionalWith(Schema.Array(FieldError), { default: () => [] }) }

/** Arguments failed validation; every offending field is named. */
export class ValidationFailed extends Schema.TaggedError<ValidationFailed>(
  "@armature/core/ApiError/ValidationFailed"
)("ValidationFailed", {
  ...base,
  ...fieldErrors,
  warnings: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] })
}) {
  readonly code = "validation_failed" as const
}

/** An argument looks like a credential (`amt_` token, bearer token, private key). */
export class SecretInArguments extends Schema.TaggedError<SecretInArguments>(
  "@armature/core/ApiError/SecretInArguments"
)("SecretInArguments", {
  ...base,
  ...fieldErrors
}) {
  readonly code = "secret_in_arguments" as const
}

export class Unauthenticated extends Schema.TaggedError<Unauthenticated>(
  "@armature/core/ApiError/Unauthenticated"
)("Unauthenticated", base) {
  readonly code = "unauthenticated" as const
}

export class ForbiddenRole extends Schema.TaggedError<ForbiddenRole>("@armature/core/ApiError/ForbiddenRole")(
  "ForbiddenRole",
  {
    ...base,
    required: Schema.String,
    actual: Schema.String
  }
) {
  readonly code = "forbidden_role" as const
}

/**
 * A stdio server starts a process on the host, so only the deployment's operator may create or
 * change one — unless the operator opted in, and then only owners, for allow-listed commands.
 */
export class StdioNotAllowed extends Schema.TaggedError<StdioNotAllowed>(
  "@armature/core/ApiError/StdioNotAllowed"
)("StdioNotAllowed", base) {
  readonly code = "stdio_not_allowed" as const
}

/** An unknown id, or an id of another organization (indistinguishable on purpose). */
export class NotFound extends Schema.TaggedError<NotFound>("@armature/core/ApiError/NotFound")("NotFound", {
  ...base,
  entity: Schema.Literal(
    "run",
    "workflow",
    "mcp_server",
    "monitor",
    "proposal",
    "auth_profile",
    "alert_rule",
    "api_key",
    "member",
    "invitation",
    "catalog",
    "organization",
    "workflow_version",
    "slack_installation"
  ),
  /**
   * The id as given. Use cases pass `String(id)`: a caller outside TypeScript may pass anything,
   * and must still get `not_found` rather than a failed construction of the error itself.
   */
  id: Schema.String
}) {
  get code(): ErrorCode {
    switch (this.entity) {
      case "run":
        return "run_not_found"
      case "workflow":
      case "workflow_version":
        return "workflow_not_found"
      case "mcp_server":
        return "mcp_server_not_found"
      case "monitor":
        return "monitor_not_found"
      case "proposal":
        return "proposal_not_found"
      default:
        return "not_found"
    }
  }
}

export class ProposalExpired extends Schema.TaggedError<ProposalExpired>(
  "@armature/core/ApiError/ProposalExpired"
)("ProposalExpired", base) {
  readonly code = "proposal_expired" as const
}

export class ProposalAlreadyApplied extends Schema.TaggedError<ProposalAlreadyApplied>(
  "@armature/core/ApiError/ProposalAlreadyApplied"
)("ProposalAlreadyApplied", base) {
  readonly code = "proposal_already_applied" as const
}

/**
 * The deployment has no Slack app to install (its operator set no client id and secret), so
 * there is nothing an install link could start.
 */
export class SlackNotConfigured extends Schema.TaggedError<SlackNotConfigured>(
  "@armature/core/ApiError/SlackNotConfigured"
)("SlackNotConfigured", base) {
  readonly code = "slack_not_configured" as const
}

/** The workflow changed after the base version a change was staged against. */
export class VersionConflict extends Schema.TaggedError<VersionConflict>(
  "@armature/core/ApiError/VersionConflict"
)("VersionConflict", {
  ...base,
  expectedVersionId: Schema.String,
  currentVersionId: Schema.String
}) {
  readonly code = "version_conflict" as const
}

/** A uniqueness rule was violated (a duplicate slug, name or key). */
export class Conflict extends Schema.TaggedError<Conflict>("@armature/core/ApiError/Conflict")("Conflict", {
  ...base,
  ...fieldErrors,
  /** For a refused delete: what still uses the target. */
  usedBy: Schema.optional(Schema.Array(UsedBy))
}) {
  readonly code = "conflict" as const
}

export class RunWaitTimeout extends Schema.TaggedError<RunWaitTimeout>(
  "@armature/core/ApiError/RunWaitTimeout"
)("RunWaitTimeout", {
  ...base,
  runId: Schema.String
}) {
  readonly code = "run_wait_timeout" as const
}

/** A probe or sync could not reach the MCP server; `reason` says why (SPEC §2). */
export class ServerUnreachable extends Schema.TaggedError<ServerUnreachable>(
  "@armature/core/ApiError/ServerUnreachable"
)("ServerUnreachable", {
  ...base,
  reason: Schema.Literal(
    "connection_refused",
    "dns",
    "tls",
    "http_status",
    "auth_rejected",
    "timeout",
    "not_mcp",
    "protocol_version",
    "ssrf_blocked",
    "transport"
  ),
  httpStatus: Schema.optional(Schema.Number)
}) {
  readonly code = "server_unreachable" as const
}

export class RateLimited extends Schema.TaggedError<RateLimited>("@armature/core/ApiError/RateLimited")(
  "RateLimited",
  {
    ...base,
    retryAfterSeconds: Schema.Number
  }
) {
  readonly code = "rate_limited" as const
}

export class ReadOnlyWorkspace extends Schema.TaggedError<ReadOnlyWorkspace>(
  "@armature/core/ApiError/ReadOnlyWorkspace"
)("ReadOnlyWorkspace", base) {
  readonly code = "read_only_workspace" as const
}

export class QuotaExceeded extends Schema.TaggedError<QuotaExceeded>("@armature/core/ApiError/QuotaExceeded")(
  "QuotaExceeded",
  {
    ...base,
    limit: Schema.String
  }
) {
  readonly code = "quota_exceeded" as const
  /** The limit named as a field, so clients that show field errors show it too. */
  get fieldErrors(): ReadonlyArray<FieldError> {
    return [{ field: this.limit, message: this.message }]
  }
}

/**
 * The deployment's payment provider has no page for this (plans set by the operator), or could
 * not be reached.
 */
export class BillingUnavailable extends Schema.TaggedError<BillingUnavailable>(
  "@armature/core/ApiError/BillingUnavailable"
)("BillingUnavailable", base) {
  readonly code = "billing_unavailable" as const
}

/** Anything unexpected. The message is safe to show: never a stack trace or a secret. */
export class InternalError extends Schema.TaggedError<InternalError>("@armature/core/ApiError/InternalError")(
  "InternalError",
  {
    ...base,
    cause: Schema.optional(Schema.Unknown)
  }
) {
  readonly code = "internal_error" as const
}

/**
 * Every error the use cases return to an interface, as one schema (the `AiError` pattern of
 * `@effect/ai`). Each member's schema identifier is namespaced (`@armature/core/ApiError/NotFound`)
 * while its `_tag` stays short, so `catchTag("NotFound", …)` reads as before and `isApiError`
 * still recognises an error made by another copy of this package.
 */
export const ApiError = Schema.Union(
  ValidationFailed,
  SecretInArguments,
  Unauthenticated,
  ForbiddenRole,
  StdioNotAllowed,
  NotFound,
  ProposalExpired,
  ProposalAlreadyApplied,
  SlackNotConfigured,
  VersionConflict,
  Conflict,
  RunWaitTimeout,
  ServerUnreachable,
  RateLimited,
  ReadOnlyWorkspace,
  QuotaExceeded,
  BillingUnavailable,
  InternalError
)
export type ApiError = typeof ApiError.Type

/** Whether an unknown failure is one of the `ApiError`s. */
export const isApiError: (u: unknown) => u is ApiError = Schema.is(ApiError)

/**
 * Storage failed. `unavailable` marks a failure to reach the database at all (refused, reset,
 * timed out): a client may retry, so it is reported as `store_unavailable` (503); anything else
 * (a constraint the core did not expect, a row that does not decode) is an `internal_error`.
 */
export class StoreError extends Schema.TaggedError<StoreError>("@armature/core/StoreError")("StoreError", {
  ...base,
  cause: Schema.optional(Schema.Unknown),
  unavailable: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {
  get code(): "store_unavailable" | "internal_error" {
    return this.unavailable ? "store_unavailable" : "internal_error"
  }
}

/** Whether an unknown failure is a `StoreError`. */
export const isStoreError: (u: unknown) => u is StoreError = Schema.is(StoreError)

const unexpectedBody = (): ApiErrorBody => ({
  code: "internal_error",
  message: "An unexpected error occurred."
})

// Empty lists are left out of the details, so a body carries only what the client can act on.
const fieldErrorsOf = (fieldErrors: ReadonlyArray<FieldError>) =>
  fieldErrors.length > 0 ? { fieldErrors } : {}
const warningsOf = (warnings: ReadonlyArray<string>) => (warnings.length > 0 ? { warnings } : {})
const usedByOf = (usedBy: ReadonlyArray<UsedBy> | undefined) =>
  usedBy !== undefined && usedBy.length > 0 ? { usedBy } : {}

/** What an error adds to its code and message; every tag is listed, so a new error must say. */
const detailsOf = (error: ApiError): ErrorDetails => {
  switch (error._tag) {
    case "ValidationFailed":
      return { ...fieldErrorsOf(error.fieldErrors), ...warningsOf(error.warnings) }
    case "SecretInArguments":
    case "QuotaExceeded":
      return fieldErrorsOf(error.fieldErrors)
    case "Conflict":
      return { ...fieldErrorsOf(error.fieldErrors), ...usedByOf(error.usedBy) }
    case "RateLimited":
      return { retryAfterSeconds: error.retryAfterSeconds }
    case "ServerUnreachable":
      return { reason: error.reason }
    case "Unauthenticated":
    case "ForbiddenRole":
    case "StdioNotAllowed":
    case "NotFound":
    case "ProposalExpired":
    case "ProposalAlreadyApplied":
    case "SlackNotConfigured":
    case "VersionConflict":
    case "RunWaitTimeout":
    case "ReadOnlyWorkspace":
    case "BillingUnavailable":
    case "InternalError":
      return {}
  }
}

/** The wire body of any error; unexpected errors become a generic `internal_error`. */
export const toApiErrorBody = (error: unknown): ApiErrorBody => {
  // The store's own message may name hosts or statements: say only what the client can act on.
  if (isStoreError(error)) {
    return error.unavailable
      ? { code: "store_unavailable", message: "The database is unavailable; try again shortly." }
      : unexpectedBody()
  }
  // Every unexpected failure, an InternalError included, gets the same body: nothing to act on.
  if (!isApiError(error) || error._tag === "InternalError") return unexpectedBody()
  const details = detailsOf(error)
  return Object.keys(details).length > 0
    ? { code: error.code, message: error.message, details }
    : { code: error.code, message: error.message }
}

/** Whether `code` is one of the API error codes. */
export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(codes, code)

/** HTTP status and JSON-RPC code of an error body. */
export const statusOf = (body: ApiErrorBody) =>
  isErrorCode(body.code) ? codes[body.code] : codes.internal_error

/** Builds a `ValidationFailed` naming fields, with a message that repeats them in words. */
export const validationFailed = (
  fieldErrors: ReadonlyArray<FieldError>,
  warnings: ReadonlyArray<string> = []
) =>
  new ValidationFailed({
    message: `Validation failed: ${fieldErrors.map((f) => `${f.field}: ${f.message}`).join("; ")}`,
    fieldErrors,
    warnings
  })
