/**
 * `GET /org`: the caller's organization and who the caller is (key, member, role).
 * `GET /audit`: the organization's audit log, newest first, a page at a time (admin+).
 */
import { Audit, NotFound, OrgStore, Roles } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect, Option } from "effect"
import { ArmatureApi } from "../Api.js"
import { asCaller } from "./caller.js"
import * as Params from "./queryParams.js"

export const layer = HttpApiBuilder.group(ArmatureApi, "org", (handlers) =>
  handlers
    .handle("get", () =>
      asCaller((caller) =>
        Effect.gen(function* () {
          // Core has no use case for this read; the role check still goes through its table.
          yield* Roles.authorize(caller.actor, "org.read")
          const store = yield* OrgStore
          const organization = yield* store.getOrganization(caller.orgId)
          if (Option.isNone(organization)) {
            return yield* new NotFound({
              message: `Organization ${caller.orgId} not found`,
              entity: "organization",
              id: caller.orgId
            })
          }
          const { keyId, memberId, role } = caller.actor
          const key = keyId === null ? null : Option.getOrNull(yield* store.getApiKey(keyId))
          const member =
            memberId === null ? null : Option.getOrNull(yield* store.getMember(caller.orgId, memberId))
          return {
            organization: organization.value,
            actor: {
              keyId,
              keyName: key?.name ?? null,
              memberId,
              member: member === null ? null : { id: member.id, email: member.email, name: member.name },
              role
            }
          }
        })
      )
    )
    .handle("audit", ({ urlParams }) =>
      asCaller((caller) =>
        Effect.gen(function* () {
          const limit = yield* Params.integer("limit", urlParams.limit, { min: 1, max: 200 })
          return yield* Audit.list(caller, {
            ...(urlParams.action === undefined ? {} : { action: urlParams.action }),
            ...(urlParams.keyId === undefined ? {} : { keyId: urlParams.keyId }),
            ...(limit === undefined ? {} : { limit }),
            ...(urlParams.cursor === undefined ? {} : { cursor: urlParams.cursor })
          })
        })
      )
    )
)
