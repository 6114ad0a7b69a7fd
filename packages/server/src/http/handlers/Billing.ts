/**
 * `/billing` (owner): the organization's plan, subscription state, limits and usage; a payment
 * page for a paid plan (`POST /billing/checkout { plan }` → `{ url }`) and the provider's
 * customer portal (`POST /billing/portal` → `{ url }`). On a self-hosted deployment `GET` reports
 * no limits and the two links are `billing_unavailable`. Stripe's webhook is not here: it needs
 * the raw body, so it is a plain route (`app/BillingRoutes.ts`).
 */
import { Plans } from "@armature/core"
import { HttpApiBuilder } from "@effect/platform"
import { ArmatureApi } from "../Api.js"
import { asCaller, withBody } from "./caller.js"

export const layer = HttpApiBuilder.group(ArmatureApi, "billing", (handlers) =>
  handlers
    .handle("get", () => asCaller(Plans.overview))
    // Read raw and decoded by core, which names the bad field (`plan`) like every other body.
    .handleRaw("checkout", ({ request }) => withBody(request, Plans.checkout))
    .handle("portal", () => asCaller(Plans.portal))
)
