/**
 * Plans, quotas and the read-only workspace (SPEC §11).
 *
 * A hosted deployment provides `Enforcement` (with a `Billing` provider); then every create is
 * checked against the organization's plan (`checkQuota`, `quota_exceeded`), and a workspace whose
 * subscription lapsed is read-only (`read_only_workspace`): reads keep working, schedules pause,
 * nothing is deleted. A self-hosted deployment provides neither, and nothing is limited: every
 * check here reads `Enforcement` with `Effect.serviceOption`, so the use cases that call them do
 * not gain a requirement, and leaving the layer out is the "no limits" configuration.
 */
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import type { Caller } from "./domain/Audit.js"
import { Timestamp } from "./domain/Common.js"
import { type Organization, type Plan, Plan as PlanSchema, type Subscription } from "./domain/Organization.js"
import {
  BillingUnavailable,
  type ForbiddenRole,
  QuotaExceeded,
  ReadOnlyWorkspace,
  type StoreError
} from "./Errors.js"
import { now } from "./internal/clock.js"
import { orNotFound } from "./internal/notFound.js"
import { Billing } from "./ports/Billing.js"
import { OrgStore } from "./ports/OrgStore.js"
import { type Usage, UsageStore } from "./ports/UsageStore.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

export type { Usage }

/**
 * The plan table. Free is sized for trying Armature on one or two servers (a workflow every
 * hour on two models is ~1,500 runs a month, so free fits a few manual or daily workflows); team
 * for a team monitoring its own servers; business for many servers and hourly suites. Retention
 * is how long runs and checks are kept. Every limit counts what exists now (servers, workflows
 * not archived, monitors not archived, members) except runs, counted from the first of the month (UTC).
 */
export const plans = {
  free: {
    id: "free",
    name: "Free",
    maxServers: 2,
    maxWorkflows: 5,
    maxMonitors: 5,
    maxRunsPerMonth: 300,
    retentionDays: 7,
    maxMembers: 3
  },
  team: {
    id: "team",
    name: "Team",
    maxServers: 10,
    maxWorkflows: 50,
    maxMonitors: 50,
    maxRunsPerMonth: 5_000,
    retentionDays: 30,
    maxMembers: 15
  },
  business: {
    id: "business",
    name: "Business",
    maxServers: 50,
    maxWorkflows: 500,
    maxMonitors: 500,
    maxRunsPerMonth: 50_000,
    retentionDays: 90,
    maxMembers: 100
  }
} as const satisfies Record<string, Plan>

/** The plans an organization may be on (and an owner may check out). */
export const PlanId = Schema.Literal("free", "team", "business")
export type PlanId = typeof PlanId.Type

/** What a self-hosted deployment (no `Enforcement`) reports: nothing is limited. */
export const unlimited: Plan = {
  id: "unlimited",
  name: "Self-hosted (no limits)",
  maxServers: null,
  maxWorkflows: null,
  maxMonitors: null,
  maxRunsPerMonth: null,
  retentionDays: null,
  maxMembers: null
}

/** A plan by id; an unknown id (a plan since retired) counts as free, never as unlimited. */
export const planOf = (id: string): Plan => (Object.hasOwn(plans, id) ? plans[id as PlanId] : plans.free)

/** The limits `checkQuota` knows, named as the fields of `Plan`. */
export type Limit = "maxServers" | "maxWorkflows" | "maxMonitors" | "maxRunsPerMonth" | "maxMembers"

const counted: Record<Limit, { readonly usage: keyof Usage; readonly noun: string }> = {
  maxServers: { usage: "servers", noun: "MCP servers" },
  maxWorkflows: { usage: "workflows", noun: "workflows" },
  maxMonitors: { usage: "monitors", noun: "monitors" },
  maxRunsPerMonth: { usage: "runs", noun: "runs this month" },
  maxMembers: { usage: "members", noun: "members" }
}

/** The state of an organization's workspace, derived from its subscription. */
export interface Workspace {
  readonly plan: Plan
  /** `null`: never subscribed, which is the free plan, active. */
  readonly subscription: Subscription | null
  readonly readOnly: boolean
}

/**
 * Whether a subscription has lapsed. `canceled` is lapsed at once (the provider cancels at the
 * end of the paid period, so there is nothing left to wait for); `past_due` keeps working until
 * `currentPeriodEnd` (the provider's retry window; at once without a known period end); `active`
 * never is. No subscription at all is the free plan, which never lapses.
 */
export const lapsed = (subscription: Subscription | null, now: Date): boolean => {
  if (subscription === null) return false
  switch (subscription.status) {
    case "active":
      return false
    case "canceled":
      return true
    case "past_due":
      return (
        subscription.currentPeriodEnd === null || subscription.currentPeriodEnd.getTime() <= now.getTime()
      )
  }
}

/** The workspace an organization's subscription gives at `now`. */
export const workspaceOf = (subscription: Subscription | null, now: Date): Workspace => ({
  plan: planOf(subscription?.planId ?? "free"),
  subscription,
  readOnly: lapsed(subscription, now)
})

/**
 * Plan enforcement of a hosted deployment. Absent (the default), nothing is limited and no
 * workspace is ever read-only.
 */
export class Enforcement extends Context.Tag("@armature/core/Plans/Enforcement")<
  Enforcement,
  {
    readonly workspace: (orgId: string) => Effect.Effect<Workspace, StoreError>
    readonly usage: (orgId: string) => Effect.Effect<Usage, StoreError>
  }
>() {}

/** The first instant of the current month, UTC: runs per month count from here. */
export const monthStart = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))

/** `Enforcement` over the organization and usage stores. */
export const make = Effect.gen(function* () {
  const orgs = yield* OrgStore
  const usage = yield* UsageStore
  return Enforcement.of({
    workspace: (orgId) =>
      Effect.gen(function* () {
        const subscription = Option.getOrNull(yield* orgs.getSubscription(orgId))
        return workspaceOf(subscription, yield* now)
      }),
    usage: (orgId) =>
      Effect.flatMap(Clock.currentTimeMillis, (ms) => usage.usage(orgId, monthStart(new Date(ms))))
  })
})

/** Plans enforced: provide this (and a `Billing` provider) on a hosted deployment. */
export const layer: Layer.Layer<Enforcement, never, OrgStore | UsageStore> = Layer.effect(Enforcement, make)

/** The organization's workspace; a self-hosted deployment reports `unlimited`, never read-only. */
export const workspace = (orgId: string): Effect.Effect<Workspace, StoreError> =>
  Effect.flatMap(Effect.serviceOption(Enforcement), (enforcement) =>
    Option.isNone(enforcement)
      ? Effect.succeed({ plan: unlimited, subscription: null, readOnly: false })
      : enforcement.value.workspace(orgId)
  )

/** Whether the organization's workspace is read-only now (never without `Enforcement`). */
export const isReadOnly = (orgId: string): Effect.Effect<boolean, StoreError> =>
  Effect.map(workspace(orgId), (w) => w.readOnly)

/**
 * Fails with `quota_exceeded` when creating `adding` more of what `limit` counts would pass the
 * organization's plan, naming the limit (as the field), the plan and the current count. Call it
 * first thing in a create use case, right after the role check. Succeeds at once without
 * `Enforcement`.
 */
export const checkQuota = (
  caller: Pick<Caller, "orgId">,
  limit: Limit,
  adding = 1
): Effect.Effect<void, QuotaExceeded | StoreError> =>
  Effect.gen(function* () {
    const enforcement = yield* Effect.serviceOption(Enforcement)
    if (Option.isNone(enforcement)) return
    const { plan } = yield* enforcement.value.workspace(caller.orgId)
    const max = plan[limit]
    if (max === null) return
    const { usage, noun } = counted[limit]
    const current = (yield* enforcement.value.usage(caller.orgId))[usage]
    if (current + adding <= max) return
    return yield* Effect.fail(
      new QuotaExceeded({
        message:
          `Quota exceeded: the ${plan.name} plan allows ${max} ${noun} (${limit}); the organization ` +
          `has ${current}${adding > 1 ? ` and this would add ${adding}` : ""}. Upgrade the plan or remove some first.`,
        limit
      })
    )
  })

/**
 * Fails with `read_only_workspace` when the caller's workspace is read-only and `op` writes.
 * The interfaces call it where they authenticate a request, with the request's operation (REST:
 * every method but GET/HEAD; MCP: the tool's name): see `Caller.readOnly` for why there.
 */
export const ensureWritable = (
  caller: Pick<Caller, "readOnly">,
  op: Roles.Operation | "write"
): Effect.Effect<void, ReadOnlyWorkspace> =>
  caller.readOnly === true && (op === "write" || !Roles.allowedWhenReadOnly(op))
    ? Effect.fail(
        new ReadOnlyWorkspace({
          message:
            "This workspace is read-only: its subscription lapsed. Reads keep working and nothing was deleted; " +
            "the owner can renew the plan under /billing."
        })
      )
    : Effect.void

/**
 * Whether the organization's schedules (workflow fires, monitor checks) are paused: its workspace
 * is read-only. Never without `Enforcement`.
 */
export const schedulesPaused = isReadOnly

/**
 * Whether a scheduled fire of `runs` more runs would pass the organization's runs per month: the
 * scheduler skips such fires like a manual dispatch is refused. Never without `Enforcement`.
 */
export const runsExhausted = (orgId: string, runs = 1): Effect.Effect<boolean, StoreError> =>
  checkQuota({ orgId }, "maxRunsPerMonth", runs).pipe(
    Effect.as(false),
    Effect.catchTag("QuotaExceeded", () => Effect.succeed(true))
  )

/** What `GET /billing` shows: the plan, the subscription's state, the limits and current usage. */
export const Overview = Schema.Struct({
  /** `manual`, `stripe`…; `null` on a self-hosted deployment (no limits). */
  provider: Schema.NullOr(Schema.String),
  plan: PlanSchema,
  /** `none`: a self-hosted deployment, which has no subscription. */
  status: Schema.Literal("active", "past_due", "canceled", "none"),
  currentPeriodEnd: Schema.NullOr(Timestamp),
  readOnly: Schema.Boolean,
  usage: Schema.Struct({
    servers: Schema.Number,
    workflows: Schema.Number,
    monitors: Schema.Number,
    runs: Schema.Number,
    members: Schema.Number
  }),
  /** Every plan of the table, for comparison. */
  plans: Schema.Array(PlanSchema)
}).annotations({ identifier: "BillingOverview" })
export type Overview = typeof Overview.Type

/** A payment page to send the owner's browser to (checkout or the customer portal). */
export const Link = Schema.Struct({ url: Schema.String }).annotations({ identifier: "BillingLink" })

/** The billing overview of the caller's organization (owner). */
export const overview = (
  caller: Caller
): Effect.Effect<Overview, ForbiddenRole | StoreError, OrgStore | UsageStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "billing.read")
    const billing = yield* Effect.serviceOption(Billing)
    const ws = yield* workspace(caller.orgId)
    const at = yield* now
    const usage = yield* Effect.flatMap(UsageStore, (s) => s.usage(caller.orgId, monthStart(at)))
    return {
      provider: Option.isSome(billing) ? billing.value.provider : null,
      plan: ws.plan,
      status: ws.subscription?.status ?? (Option.isSome(billing) ? "active" : "none"),
      currentPeriodEnd: ws.subscription?.currentPeriodEnd ?? null,
      readOnly: ws.readOnly,
      usage,
      plans: Object.values(plans)
    }
  })

/** What `checkout` accepts: a paid plan. */
export const CheckoutInput = Schema.Struct({ plan: Schema.Literal("team", "business") }).annotations({
  identifier: "BillingCheckoutInput"
})

const loadOrganization = (orgId: string) =>
  Effect.flatMap(OrgStore, (s) => s.getOrganization(orgId)).pipe(orNotFound("organization", orgId))

const requireBilling = Effect.flatMap(Effect.serviceOption(Billing), (billing) =>
  Option.match(billing, {
    onNone: () =>
      Effect.fail(
        new BillingUnavailable({ message: "This deployment has no billing configured: nothing is limited." })
      ),
    onSome: Effect.succeed
  })
)

/** A payment page subscribing the caller's organization to a paid plan (owner). */
export const checkout = (caller: Caller, input: unknown) =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "billing.write")
    const { plan } = yield* decodeCheckout(input)
    const billing = yield* requireBilling
    const organization: Organization = yield* loadOrganization(caller.orgId)
    const current = Option.getOrNull(yield* Effect.flatMap(OrgStore, (s) => s.getSubscription(caller.orgId)))
    return yield* billing.checkout({ organization, planId: plan, customerId: current?.customerId ?? null })
  })

/** The provider's page where the owner manages payment and cancels (owner). */
export const portal = (caller: Caller) =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "billing.write")
    const billing = yield* requireBilling
    const organization = yield* loadOrganization(caller.orgId)
    const current = Option.getOrNull(yield* Effect.flatMap(OrgStore, (s) => s.getSubscription(caller.orgId)))
    return yield* billing.portal({ organization, customerId: current?.customerId ?? null })
  })

const decodeCheckout = decode(CheckoutInput)

/**
 * Records a subscription change reported by the payment provider or set by the operator; a
 * change that names no provider customer keeps the one on record. Only the subscription row
 * changes: a downgrade or a lapse never deletes anything.
 */
export const applySubscription = (subscription: Subscription): Effect.Effect<void, StoreError, OrgStore> =>
  Effect.gen(function* () {
    const store = yield* OrgStore
    const customerId =
      subscription.customerId ??
      Option.getOrNull(yield* store.getSubscription(subscription.orgId))?.customerId
    yield* store.putSubscription(customerId === undefined ? subscription : { ...subscription, customerId })
  })

/** What the operator sets with `armature plan set` (manual billing). */
export const SetPlanInput = Schema.Struct({
  plan: PlanId,
  status: Schema.optionalWith(Schema.Literal("active", "past_due", "canceled"), {
    default: () => "active" as const
  }),
  /** ISO date; `past_due` keeps the workspace writable until then. */
  currentPeriodEnd: Schema.optionalWith(Schema.NullOr(Schema.Date), { default: () => null })
})

/**
 * Sets an organization's plan and subscription status as the deployment's operator (no role
 * check: only the command line, with direct database access, calls it). Nothing is deleted.
 */
export const setPlan = (orgId: string, input: unknown) =>
  Effect.gen(function* () {
    const spec = yield* decode(SetPlanInput)(input)
    const subscription: Subscription = {
      orgId,
      planId: spec.plan,
      status: spec.status,
      currentPeriodEnd: spec.currentPeriodEnd
    }
    yield* applySubscription(subscription)
    return workspaceOf(subscription, yield* now)
  })
