/**
 * `/alert-rules` and `/alerts` (SPEC §7): rules with their status lines, a test message through
 * a rule's destination, and the deliveries of the outbox — each a call of core's use case, which
 * validates input (destinations through the alert sinks) and checks the role.
 */
import { AlertDeliveries, Alerting, AlertTarget, validationFailed } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ArmatureApi } from "../Api.js"
import { asCaller, withBody } from "./caller.js"
import * as Params from "./queryParams.js"

/** The target filter of the rule list: both parameters, or neither. */
const targetFilter = (params: { readonly targetType?: string; readonly targetId?: string }) =>
  Effect.gen(function* () {
    const type = yield* Params.oneOf("targetType", params.targetType, AlertTarget.fields.type.literals)
    const id = params.targetId === "" ? undefined : params.targetId
    if (type === undefined && id === undefined) return {}
    if (type === undefined || id === undefined) {
      const missing = type === undefined ? "targetType" : "targetId"
      return yield* validationFailed([{ field: missing, message: "Give targetType and targetId together" }])
    }
    return { target: { type, id } }
  })

export const layer = HttpApiBuilder.group(ArmatureApi, "alerts", (handlers) =>
  handlers
    .handle("listRules", ({ urlParams }) =>
      asCaller((caller) =>
        Effect.flatMap(targetFilter(urlParams), (filter) =>
          Effect.map(Alerting.listRules(caller, filter), (items) => ({ items }))
        )
      )
    )
    .handleRaw("createRule", ({ request }) => withBody(request, Alerting.createRule))
    .handle("getRule", ({ path }) => asCaller((caller) => Alerting.getRule(caller, path.id)))
    .handleRaw("updateRule", ({ path, request }) =>
      withBody(request, (caller, body) => Alerting.updateRule(caller, path.id, body))
    )
    .handle("deleteRule", ({ path }) => asCaller((caller) => Alerting.deleteRule(caller, path.id)))
    // A destination that refuses the message is a 200 with `delivered: false`, not an API error.
    .handle("testRule", ({ path }) => asCaller((caller) => Alerting.testRule(caller, path.id)))
    .handle("deliveries", ({ urlParams }) =>
      asCaller((caller) =>
        Effect.gen(function* () {
          const status = yield* Params.oneOf(
            "status",
            urlParams.status,
            AlertDeliveries.DeliveryStatus.literals
          )
          const limit = yield* Params.integer("limit", urlParams.limit, { min: 1, max: 100 })
          const page = yield* AlertDeliveries.list(caller, {
            ...(status === undefined ? {} : { status }),
            ...(limit === undefined ? {} : { limit }),
            ...(urlParams.ruleId ? { ruleId: urlParams.ruleId } : {}),
            ...(urlParams.cursor ? { cursor: urlParams.cursor } : {})
          })
          return { items: page.items, nextCursor: page.nextCursor }
        })
      )
    )
)
