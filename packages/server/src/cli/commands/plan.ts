import { OrgStore, Plans, StoreError } from "@armature/core"
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import * as Bootstrap from "../../app/Bootstrap.js"
import * as Settings from "../../config/settingsFile.js"
import { storeContext } from "../operatorContext.js"

const org = Options.text("org").pipe(
  Options.withDescription("the organization's slug (default: the deployment's first organization)"),
  Options.optional
)

/** The organization named by `--org`, or the deployment's own. */
const orgIdOf = (slug: Option.Option<string>) =>
  Option.match(slug, {
    onNone: () => Effect.map(Bootstrap.operator, (caller) => caller.orgId),
    onSome: (s) =>
      Effect.flatMap(
        Effect.flatMap(OrgStore, (store) => store.getOrganizationBySlug(s)),
        Option.match({
          onNone: () => Effect.fail(new StoreError({ message: `No organization with the slug "${s}"` })),
          onSome: (o) => Effect.succeed(o.id)
        })
      )
  })

const describe = (w: Plans.Workspace) => {
  const p = w.plan
  const limit = (n: number | null) => (n === null ? "unlimited" : String(n))
  return [
    `Plan: ${p.name} (${p.id}); status ${w.subscription?.status ?? "active (never subscribed)"}` +
      (w.subscription?.currentPeriodEnd ? ` until ${w.subscription.currentPeriodEnd.toISOString()}` : ""),
    w.readOnly
      ? "The workspace is READ-ONLY (subscription lapsed): writes are refused, schedules paused."
      : "",
    `Limits: servers ${limit(p.maxServers)}, workflows ${limit(p.maxWorkflows)}, monitors ${limit(p.maxMonitors)}, ` +
      `runs/month ${limit(p.maxRunsPerMonth)}, members ${limit(p.maxMembers)}, retention ${limit(p.retentionDays)} days`
  ]
    .filter((line) => line !== "")
    .join("\n")
}

const set = Command.make(
  "set",
  {
    settings: Settings.option,
    org,
    plan: Args.text({ name: "plan" }).pipe(Args.withDescription(Object.keys(Plans.plans).join(" | "))),
    // Text rather than a choice, so a bad value is core's field error, named like any other.
    status: Options.text("status").pipe(
      Options.withDescription("active (default) | past_due | canceled"),
      Options.optional
    ),
    periodEnd: Options.text("period-end").pipe(
      Options.withDescription("ISO date the paid period ends (past_due stays writable until then)"),
      Options.optional
    )
  },
  ({ settings, org, plan, status, periodEnd }) =>
    Effect.gen(function* () {
      const orgId = yield* orgIdOf(org)
      const workspace = yield* Plans.setPlan(orgId, {
        plan,
        ...Option.match(status, { onNone: () => ({}), onSome: (s) => ({ status: s }) }),
        ...Option.match(periodEnd, { onNone: () => ({}), onSome: (d) => ({ currentPeriodEnd: d }) })
      })
      yield* Console.log(describe(workspace))
    }).pipe(Effect.provide(storeContext), Settings.using(settings))
).pipe(Command.withDescription("Set an organization's plan and subscription status (manual billing)"))

const show = Command.make("show", { settings: Settings.option, org }, ({ settings, org }) =>
  Effect.gen(function* () {
    const orgId = yield* orgIdOf(org)
    const subscription = Option.getOrNull(yield* Effect.flatMap(OrgStore, (s) => s.getSubscription(orgId)))
    yield* Console.log(describe(Plans.workspaceOf(subscription, new Date())))
  }).pipe(Effect.provide(storeContext), Settings.using(settings))
).pipe(Command.withDescription("Show an organization's plan, status and limits"))

/**
 * `armature plan set|show`: the operator's side of manual billing (`ARMATURE_BILLING=manual`),
 * with direct database access like `keys` without `--key`. The limits apply where the server
 * runs with billing configured; without it nothing is limited whatever the plan says.
 */
export const plan = Command.make("plan").pipe(
  Command.withDescription("Set or show an organization's plan (hosted deployments)"),
  Command.withSubcommands([set, show])
)
