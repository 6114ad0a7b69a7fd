/**
 * API-key authentication of an MCP request, before any MCP processing (SPEC §9): the bearer
 * token goes through core's `ApiKeys.authenticate`, the same check as REST's, so both accept and
 * refuse the same keys. Failures never repeat the token.
 */
import { ApiKeys, type Caller, type OrgStore, toApiErrorBody } from "@armature/core"
import { Effect } from "effect"
import { errorResponse } from "./Responses.js"

/** The bearer token of the `Authorization` header, or `""` without one. */
export const bearerToken = (request: Request): string => {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "")
  return match?.[1]?.trim() ?? ""
}

/**
 * Counts a failed key check; returns the seconds the client must wait (over its limit), else 0.
 * Given by the host server, so failures count with those of its other interfaces.
 */
export type FailureCounter = (request: Request) => Effect.Effect<number>

/** The caller of the request, or the response refusing it: 401, 429 past the limit, 503/500 on a store failure. */
export const authenticate = (
  request: Request,
  onFailure?: FailureCounter
): Effect.Effect<Caller, Response, OrgStore> =>
  ApiKeys.authenticate(bearerToken(request)).pipe(
    Effect.map(({ orgId, actor, readOnly }): Caller => ({ orgId, actor, readOnly })),
    Effect.catchTag("Unauthenticated", (e) =>
      Effect.flatMap(onFailure === undefined ? Effect.succeed(0) : onFailure(request), (wait) =>
        Effect.fail(
          wait === 0
            ? errorResponse(toApiErrorBody(e))
            : errorResponse({
                code: "rate_limited",
                message: `Too many failed API-key checks from this address; retry in ${wait} s.`,
                details: { retryAfterSeconds: wait }
              })
        )
      )
    ),
    Effect.catchTag("StoreError", (e) => Effect.fail(errorResponse(toApiErrorBody(e))))
  )
