/**
 * Plans and billing from the server's settings (`ARMATURE_BILLING`): unset, nothing — a
 * self-hosted deployment has no limits and no read-only workspaces, because core enforces plans
 * only where `Plans.Enforcement` is provided; `manual`, plans enforced and set by the operator
 * (`armature plan set`); `stripe`, plans enforced and paid through Stripe (`StripeBilling`).
 */
import { manualBilling, type OrgStore, Plans, type UsageStore } from "@armature/core"
import { Effect, Layer, Option } from "effect"
import { ServerConfigTag } from "../config/ServerConfig.js"

export const layer: Layer.Layer<never, never, ServerConfigTag | OrgStore | UsageStore> = Layer.unwrapEffect(
  Effect.map(ServerConfigTag, (config) => {
    const settings = config.billing ?? Option.none()
    if (Option.isNone(settings)) return Layer.empty
    if (settings.value.provider === "manual") return Layer.merge(manualBilling, Plans.layer)
    const stripe = settings.value.stripe
    // Loaded only here: a deployment without Stripe never loads the SDK.
    const provider = Layer.unwrapEffect(
      Effect.map(
        Effect.promise(() => import("./StripeBilling.js")),
        (StripeBilling) =>
          StripeBilling.layer({
            secretKey: stripe.secretKey,
            webhookSecret: stripe.webhookSecret,
            prices: stripe.prices,
            apiBase: Option.getOrUndefined(stripe.apiBase),
            publicUrl: config.publicUrl
          })
      )
    )
    return Layer.merge(provider, Plans.layer)
  })
)
