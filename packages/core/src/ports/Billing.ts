import { Context, Effect, Layer } from "effect"
import type { Organization } from "../domain/Organization.js"
import { BillingUnavailable } from "../Errors.js"

/**
 * The payment provider of a hosted deployment (SPEC §11): where an owner pays for a plan and
 * manages the subscription. Providers report changes back by writing the organization's
 * `Subscription` (`Plans.applySubscription`); core never calls a provider to decide a limit.
 *
 * Absent from the context (a self-hosted deployment), nothing is limited and no workspace ever
 * becomes read-only: see `Plans.Enforcement`.
 */
export class Billing extends Context.Tag("@armature/core/Billing")<
  Billing,
  {
    /** `manual` (the operator sets plans with `armature plan set`), `stripe`, … */
    readonly provider: string
    /** A hosted payment page that subscribes the organization to `planId`. */
    readonly checkout: (input: {
      readonly organization: Organization
      readonly planId: string
      readonly customerId: string | null
    }) => Effect.Effect<{ readonly url: string }, BillingUnavailable>
    /** The provider's page where the owner changes payment details or cancels. */
    readonly portal: (input: {
      readonly organization: Organization
      readonly customerId: string | null
    }) => Effect.Effect<{ readonly url: string }, BillingUnavailable>
  }
>() {}

/**
 * The `manual` provider: the operator sets plans from the command line (`armature plan set`), so
 * there is no payment page to send an owner to; checkout and portal fail with `billing_unavailable`.
 */
export const manualBilling: Layer.Layer<Billing> = Layer.succeed(Billing, {
  provider: "manual",
  checkout: () => Effect.fail(manualOnly),
  portal: () => Effect.fail(manualOnly)
})

const manualOnly = new BillingUnavailable({
  message: "Plans of this deployment are set by its operator; there is no payment page."
})
