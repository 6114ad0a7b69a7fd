/**
 * The webhook side of the Stripe adapter, without the SDK: the route (`app/BillingRoutes.ts`)
 * needs only this tag, so the `stripe` package is loaded only where Stripe is configured.
 */
import type { OrgStore, StoreError } from "@armature/core"
import { Context, type Effect, Schema } from "effect"

/** A webhook request that is not a genuine, fresh Stripe event: refused with 400, nothing written. */
export class WebhookRefused extends Schema.TaggedError<WebhookRefused>()("WebhookRefused", {
  message: Schema.String
}) {}

/** What a verified event did. */
export interface WebhookOutcome {
  readonly type: string
  /** The organization whose subscription was written; `null`: the event was acknowledged and ignored. */
  readonly orgId: string | null
}

/** Verifies and applies webhook events; provided beside `Billing` by `layer`. */
export class StripeWebhook extends Context.Tag("@armature/server/StripeWebhook")<
  StripeWebhook,
  {
    readonly handle: (
      rawBody: Uint8Array,
      signature: string | undefined
    ) => Effect.Effect<WebhookOutcome, WebhookRefused | StoreError, OrgStore>
  }
>() {}
