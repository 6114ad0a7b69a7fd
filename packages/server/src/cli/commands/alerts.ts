import {
  Alerting,
  type AlertSink,
  type AlertStore,
  type Caller,
  ConfigFile,
  type Destination,
  type Ids,
  type MonitorStore,
  Monitors,
  NotFound,
  type OrgStore,
  Pages,
  type ServerStore,
  Servers,
  type WorkflowStore,
  Workflows
} from "@armature/core"
import { Args, Command } from "@effect/cli"
import { Console, Data, Effect, Layer } from "effect"
import * as App from "../../app/App.js"
import * as Bootstrap from "../../app/Bootstrap.js"
import * as ServerConfig from "../../config/ServerConfig.js"
import * as Settings from "../../config/settingsFile.js"

/** What the commands use: the store's ports, ids and the alert sinks. */
export type Services = OrgStore | AlertStore | AlertSink | Ids | WorkflowStore | MonitorStore | ServerStore

/** A test message the destination did not take; the command exits 1 with this message. */
class TestNotDelivered extends Data.TaggedError("TestNotDelivered")<{ readonly message: string }> {}

/** Where a destination sends, in words (a webhook's secret only as whether it signs). */
const describeDestination = (d: Destination): string => {
  const fields = d as Record<string, unknown>
  switch (d.type) {
    case "email":
      return `email ${fields.address}`
    case "slack":
      return `Slack ${fields.channel}`
    case "webhook":
      return `webhook ${fields.url}${fields.secretRef == null ? " (unsigned)" : " (signed)"}`
    default:
      return `${d.type} destination`
  }
}

/** A rule by id, or by name (ignoring case and spacing, as config files match names). */
const findRule = (caller: Caller, ref: string) =>
  Effect.gen(function* () {
    const rules = yield* Alerting.listRules(caller)
    const byId = rules.find((r) => r.id === ref)
    if (byId !== undefined) return byId
    const named = rules.filter((r) => ConfigFile.nameKey(r.name) === ConfigFile.nameKey(ref))
    if (named.length === 1) return named[0]!
    if (named.length > 1) {
      return yield* new NotFound({
        message: `${named.length} alert rules are named "${ref}"; give the id of one: ${named.map((r) => r.id).join(", ")}`,
        entity: "alert_rule",
        id: ref
      })
    }
    return yield* new NotFound({
      message: `No alert rule named "${ref}" or with that id (armature alerts list shows them)`,
      entity: "alert_rule",
      id: ref
    })
  })

/** Names of the organization's possible targets by type and id, for the rule list. */
const targetNames = (caller: Caller) =>
  Effect.gen(function* () {
    const names = new Map<string, string>()
    for (const s of yield* Pages.all((page) => Servers.list(caller, page)))
      names.set(`mcp_server:${s.id}`, `server "${s.name}"`)
    for (const w of yield* Pages.all((page) => Workflows.list(caller, page)))
      names.set(`workflow:${w.id}`, `workflow "${w.spec.name}"`)
    for (const m of yield* Pages.all((page) => Monitors.list(caller, page)))
      names.set(`monitor:${m.id}`, `monitor "${m.name}"`)
    return names
  })

/**
 * `armature alerts list|test` over `context` (some or all of `Services`): as the deployment's
 * operator, with direct database access and the server's alert sinks, like `apply` (on the
 * embedded store, not while `serve` runs).
 */
export const make = <ROut, E, R>(context: Layer.Layer<ROut, E, R>) => {
  const asOperator = <A, E2, R2>(f: (caller: Caller) => Effect.Effect<A, E2, R2>) =>
    Effect.flatMap(Bootstrap.operator, f).pipe(Effect.provide(context), Effect.scoped)

  const list = Command.make("list", { settings: Settings.option }, ({ settings }) =>
    asOperator((caller) =>
      Effect.gen(function* () {
        const rules = yield* Alerting.listRules(caller)
        if (rules.length === 0) return yield* Console.log("No alert rules.")
        const names = yield* targetNames(caller)
        for (const r of rules) {
          const target =
            names.get(`${r.target.type}:${r.target.id}`) ?? `${r.target.type} ${r.target.id} (gone)`
          yield* Console.log(
            `${r.name} — ${r.status}\n  ${target} → ${describeDestination(r.destination)}; fires on ${r.on.join(", ")}; id ${r.id}`
          )
        }
      })
    ).pipe(Settings.using(settings))
  ).pipe(Command.withDescription("List alert rules with their status"))

  const test = Command.make(
    "test",
    {
      settings: Settings.option,
      rule: Args.text({ name: "rule" }).pipe(Args.withDescription("rule name or id"))
    },
    ({ settings, rule: ref }) =>
      asOperator((caller) =>
        Effect.gen(function* () {
          const rule = yield* findRule(caller, ref)
          const where = describeDestination(rule.destination)
          const result = yield* Alerting.testRule(caller, rule.id)
          if (result.delivered) {
            return yield* Console.log(`Sent a test message of "${rule.name}" to ${where}: delivered.`)
          }
          return yield* new TestNotDelivered({
            message: `${where} did not take the test message of "${rule.name}": ${result.error} (${result.retryable ? "may work on a retry" : "retrying will not help"})`
          })
        })
      ).pipe(Settings.using(settings))
  ).pipe(
    Command.withDescription(
      "Send a test message through a rule's destination; exits 1 if it is not delivered"
    )
  )

  return Command.make("alerts").pipe(
    Command.withDescription("Alert rules: list them, test a destination"),
    Command.withSubcommands([list, test])
  )
}

/** `armature alerts` on the configured store and the server's alert sinks. */
export const alerts = make(App.services().pipe(Layer.provide(ServerConfig.layer)))
