/**
 * `/api-keys`, `/members` and `/invitations` (admin+): keys are created with their token shown
 * once, listed without secrets and revoked (effective on the next request, on every replica: the
 * check reads the key row); members change role (never to or from owner) or are removed with
 * their keys, and the owner may hand the organization to another member; lists come a page at a
 * time; invitations are mailed (when the deployment has an email sender) with a one-time
 * accept link, listed while pending and revoked. `POST /invitations/accept` needs no key: the
 * link's token is the proof, and the answer holds the new member's key, shown once.
 */
import { ApiKeys, Team } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ArmatureApi } from "../Api.js"
import { asCaller, jsonBody, reply, withBody } from "./caller.js"
import { isRecord } from "./payload.js"
import * as Params from "./queryParams.js"

/** Where an invitation's link points: the accept page of the deployment's public URL. */
export const acceptPath = "/invitations/accept"
export const acceptUrl = (publicUrl: string) => (token: string) =>
  `${publicUrl.replace(/\/+$/, "")}${acceptPath}?token=${encodeURIComponent(token)}`

export const layer = (publicUrl: string) =>
  HttpApiBuilder.group(ArmatureApi, "team", (handlers) =>
    handlers
      .handleRaw("createKey", ({ request }) => withBody(request, ApiKeys.create))
      .handle("listKeys", ({ urlParams }) =>
        asCaller((caller) => Effect.flatMap(Params.page(urlParams), (page) => ApiKeys.list(caller, page)))
      )
      .handle("revokeKey", ({ path }) => asCaller((caller) => ApiKeys.revoke(caller, path.id)))
      .handle("listMembers", ({ urlParams }) =>
        asCaller((caller) => Effect.flatMap(Params.page(urlParams), (page) => Team.listMembers(caller, page)))
      )
      .handleRaw("changeRole", ({ path, request }) =>
        withBody(request, (caller, body) =>
          Team.changeRole(caller, path.id, isRecord(body) ? body.role : undefined)
        )
      )
      .handle("removeMember", ({ path }) => asCaller((caller) => Team.removeMember(caller, path.id)))
      .handle("transferOwnership", ({ path }) =>
        asCaller((caller) => Team.transferOwnership(caller, path.id))
      )
      .handleRaw("invite", ({ request }) =>
        withBody(request, (caller, body) => Team.inviteAndNotify(caller, body, acceptUrl(publicUrl)))
      )
      .handle("listInvitations", ({ urlParams }) =>
        asCaller((caller) =>
          Effect.flatMap(Params.page(urlParams), (page) => Team.listInvitations(caller, page))
        )
      )
      .handle("revokeInvitation", ({ path }) =>
        asCaller((caller) => Effect.asVoid(Team.revokeInvitation(caller, path.id)))
      )
  )

/** `POST /invitations/accept`: no key, the token in the body is the proof. */
export const acceptLayer = HttpApiBuilder.group(ArmatureApi, "invitations", (handlers) =>
  handlers.handleRaw("accept", ({ request }) =>
    reply(
      Effect.flatMap(jsonBody(request), (payload) => {
        const body = isRecord(payload) ? payload : {}
        const token = typeof body.token === "string" ? body.token : ""
        return Team.acceptInvitation(token, { email: body.email, name: body.name })
      })
    )
  )
)
