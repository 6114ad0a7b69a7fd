/**
 * `/api-keys`, `/members` and `/invitations` (admin+): keys are created with their token shown
 * once, listed without secrets and revoked (effective on the next request, on every replica: the
 * check reads the key row); members change role (never to or from owner) or are removed with
 * their keys; invitations are mailed (when the deployment has an email sender) with a one-time
 * accept link, listed while pending and revoked. `POST /invitations/accept` needs no key: the
 * link's token is the proof, and the answer holds the new member's key, shown once.
 */
import { ApiKeys, Team } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ArmatureApi } from "../Api.js"
import * as HttpErrors from "../HttpErrors.js"
import { asCaller, jsonBody, withBody } from "./caller.js"
import { isRecord } from "./payload.js"

/** Where an invitation's link points: the accept page of the deployment's public URL. */
export const acceptPath = "/invitations/accept"
export const acceptUrl = (publicUrl: string) => (token: string) =>
  `${publicUrl.replace(/\/+$/, "")}${acceptPath}?token=${encodeURIComponent(token)}`

export const layer = (publicUrl: string) =>
  HttpApiBuilder.group(ArmatureApi, "team", (handlers) =>
    handlers
      .handleRaw("createKey", ({ request }) => withBody(request, ApiKeys.create))
      .handle("listKeys", () =>
        asCaller((caller) => Effect.map(ApiKeys.list(caller), (items) => ({ items })))
      )
      .handle("revokeKey", ({ path }) => asCaller((caller) => ApiKeys.revoke(caller, path.id)))
      .handle("listMembers", () =>
        asCaller((caller) => Effect.map(Team.listMembers(caller), (items) => ({ items })))
      )
      .handleRaw("changeRole", ({ path, request }) =>
        withBody(request, (caller, body) =>
          Team.changeRole(caller, path.id, isRecord(body) ? body.role : undefined)
        )
      )
      .handle("removeMember", ({ path }) => asCaller((caller) => Team.removeMember(caller, path.id)))
      .handleRaw("invite", ({ request }) =>
        withBody(request, (caller, body) => Team.inviteAndNotify(caller, body, acceptUrl(publicUrl)))
      )
      .handle("listInvitations", () =>
        asCaller((caller) => Effect.map(Team.listInvitations(caller), (items) => ({ items })))
      )
      .handle("revokeInvitation", ({ path }) =>
        asCaller((caller) => Effect.asVoid(Team.revokeInvitation(caller, path.id)))
      )
  )

/** `POST /invitations/accept`: no key, the token in the body is the proof. */
export const acceptLayer = HttpApiBuilder.group(ArmatureApi, "invitations", (handlers) =>
  handlers.handleRaw("accept", ({ request }) =>
    jsonBody(request).pipe(
      Effect.flatMap((payload) => {
        const body = isRecord(payload) ? payload : {}
        const token = typeof body.token === "string" ? body.token : ""
        return Team.acceptInvitation(token, { email: body.email, name: body.name })
      }),
      Effect.mapError(HttpErrors.fromError)
    )
  )
)
