/**
 * The Stripe adapter of core's `Billing` port (SPEC §11), on the official `stripe` SDK: a
 * Checkout session subscribes an organization to a plan's price, the customer portal manages
 * it, and signed webhook events (`checkout.session.completed`, `customer.subscription.updated`,
 * `customer.subscription.deleted`) write the organization's subscription through
 * `Plans.applySubscription`. Every Stripe import of the server lives in this module.
 *
 * Stripe knows the organization from the metadata Checkout puts on the session and its
 * subscription (`orgId`, `plan`); events about subscriptions Armature did not start are
 * acknowledged and ignored.
 */
import { Billing, BillingUnavailable, OrgStore, Plans, type Subscription } from "@armature/core"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import Stripe from "stripe"
import { StripeWebhook, WebhookRefused } from "./StripeWebhook.js"

export { StripeWebhook, WebhookRefused }

/** Options of the adapter; the server reads them from `STRIPE_*` (see `ServerConfig`). */
export interface Options {
  readonly secretKey: Redacted.Redacted<string>
  /** The signing secret of the webhook endpoint (`whsec_…`). */
  readonly webhookSecret: Redacted.Redacted<string>
  /** The Stripe price of each paid plan. */
  readonly prices: { readonly team: string; readonly business: string }
  /** Another API base, `http://127.0.0.1:12111` (tests, mocks); Stripe's own by default. */
  readonly apiBase?: string | undefined
  /** Where Checkout and the portal send the browser back. */
  readonly publicUrl: string
}

/** The SDK client for `options` (no retries: a failed call is reported to the owner at once). */
export const client = (options: Pick<Options, "secretKey" | "apiBase">): Stripe => {
  const base = options.apiBase === undefined ? null : new URL(options.apiBase)
  return new Stripe(Redacted.value(options.secretKey), {
    maxNetworkRetries: 0,
    telemetry: false,
    ...(base === null
      ? {}
      : {
          host: base.hostname,
          port: base.port === "" ? (base.protocol === "http:" ? 80 : 443) : Number(base.port),
          protocol: base.protocol === "http:" ? "http" : "https"
        })
  })
}

/** Stripe subscription statuses as Armature's three: whether the workspace may still write. */
export const statusOf = (status: string): Subscription["status"] => {
  switch (status) {
    case "active":
    case "trialing":
      return "active"
    // `incomplete`: the first payment is being retried; `past_due`: a renewal is.
    case "past_due":
    case "incomplete":
      return "past_due"
    default:
      // canceled, unpaid, incomplete_expired, paused
      return "canceled"
  }
}

const idOf = (value: string | { readonly id: string } | null | undefined): string | undefined =>
  typeof value === "string" ? value : (value?.id ?? undefined)

const unavailable = (what: string) => (cause: unknown) =>
  Effect.zipRight(
    Effect.logWarning(`Stripe ${what} failed`, cause instanceof Error ? cause.message : String(cause)),
    Effect.fail(
      new BillingUnavailable({ message: `Stripe could not create the ${what}; try again shortly.` })
    )
  )

/** Builds the `Billing` service and the webhook handler over one SDK client. */
export const make = (options: Options) => {
  const stripe = client(options)
  const secret = options.webhookSecret
  const planOfPrice = (priceId: string | undefined): string | undefined =>
    priceId === options.prices.team ? "team" : priceId === options.prices.business ? "business" : undefined
  const back = (query: string) => `${options.publicUrl.replace(/\/+$/, "")}/?billing=${query}`

  const billing = Billing.of({
    provider: "stripe",
    checkout: ({ organization, planId, customerId }) =>
      Effect.gen(function* () {
        const price =
          planId === "team" ? options.prices.team : planId === "business" ? options.prices.business : null
        if (price === null) {
          return yield* Effect.fail(
            new BillingUnavailable({ message: `The ${planId} plan has no Stripe price.` })
          )
        }
        const metadata = { orgId: organization.id, plan: planId }
        const session = yield* Effect.tryPromise({
          try: () =>
            stripe.checkout.sessions.create({
              mode: "subscription",
              line_items: [{ price, quantity: 1 }],
              client_reference_id: organization.id,
              metadata,
              subscription_data: { metadata },
              ...(customerId === null ? {} : { customer: customerId }),
              success_url: back("success"),
              cancel_url: back("canceled")
            }),
          catch: (cause) => cause
        }).pipe(Effect.catchAll(unavailable("checkout session")))
        if (session.url === null || session.url === undefined) {
          return yield* Effect.fail(
            new BillingUnavailable({ message: "Stripe returned a checkout session without a URL." })
          )
        }
        return { url: session.url }
      }),
    portal: ({ customerId }) =>
      Effect.gen(function* () {
        if (customerId === null) {
          return yield* Effect.fail(
            new BillingUnavailable({
              message: "This organization has no Stripe customer yet: subscribe through checkout first."
            })
          )
        }
        const session = yield* Effect.tryPromise({
          try: () =>
            stripe.billingPortal.sessions.create({ customer: customerId, return_url: back("portal") }),
          catch: (cause) => cause
        }).pipe(Effect.catchAll(unavailable("portal session")))
        return { url: session.url }
      })
  })

  /** The event of a request, if its `Stripe-Signature` verifies over the raw bytes and is fresh (5 min). */
  const verify = (rawBody: Uint8Array, signature: string | undefined) =>
    signature === undefined || signature.trim() === ""
      ? Effect.fail(new WebhookRefused({ message: "Missing Stripe-Signature header" }))
      : Effect.try({
          try: () => stripe.webhooks.constructEvent(Buffer.from(rawBody), signature, Redacted.value(secret)),
          catch: () =>
            new WebhookRefused({ message: "The Stripe-Signature does not verify, or the event is too old" })
        })

  /** Writes the subscription when the organization exists; returns its id, or null when ignored. */
  const write = (subscription: Subscription) =>
    Effect.gen(function* () {
      const org = yield* Effect.flatMap(OrgStore, (s) => s.getOrganization(subscription.orgId))
      if (Option.isNone(org)) return null
      yield* Plans.applySubscription(subscription)
      return subscription.orgId
    })

  const handle = (rawBody: Uint8Array, signature: string | undefined) =>
    Effect.gen(function* () {
      const event = yield* verify(rawBody, signature)
      const ignored = { type: event.type, orgId: null }
      switch (event.type) {
        case "checkout.session.completed": {
          const session = event.data.object
          const orgId = session.client_reference_id ?? session.metadata?.orgId
          const planId = session.metadata?.plan
          if (orgId === undefined || orgId === null || planId === undefined || !(planId in Plans.plans))
            return ignored
          const customerId = idOf(session.customer)
          const orgIdWritten = yield* write({
            orgId,
            planId,
            status: "active",
            currentPeriodEnd: null,
            ...(customerId === undefined ? {} : { customerId })
          })
          return { type: event.type, orgId: orgIdWritten }
        }
        case "customer.subscription.updated":
        case "customer.subscription.deleted": {
          const sub = event.data.object
          const orgId = sub.metadata?.orgId
          const item = sub.items?.data?.[0]
          const planId = planOfPrice(item?.price?.id) ?? sub.metadata?.plan
          if (orgId === undefined || planId === undefined || !(planId in Plans.plans)) return ignored
          const customerId = idOf(sub.customer)
          const periodEnd = item?.current_period_end
          const orgIdWritten = yield* write({
            orgId,
            planId,
            status: event.type === "customer.subscription.deleted" ? "canceled" : statusOf(sub.status),
            currentPeriodEnd: typeof periodEnd === "number" ? new Date(periodEnd * 1000) : null,
            ...(customerId === undefined ? {} : { customerId })
          })
          return { type: event.type, orgId: orgIdWritten }
        }
        default:
          return ignored
      }
    })

  return { billing, webhook: StripeWebhook.of({ handle }) }
}

/** Stripe as the deployment's `Billing`, with its webhook handler. */
export const layer = (options: Options): Layer.Layer<Billing | StripeWebhook> =>
  Layer.effectContext(
    Effect.sync(() => {
      const { billing, webhook } = make(options)
      return Context.make(Billing, billing).pipe(Context.add(StripeWebhook, webhook))
    })
  )
