/**
 * Alert rules in a monitoring-as-code file: how `ConfigFile.parse` checks them, and how
 * `ConfigApply` plans and applies them through the `Alerting` use cases.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import * as Alerting from "../src/Alerting.js"
import * as ConfigApply from "../src/ConfigApply.js"
import * as ConfigFile from "../src/ConfigFile.js"
import { AlertSink } from "../src/ports/AlertSink.js"
import { AlertStore } from "../src/ports/AlertStore.js"
import type { LanguageModels } from "../src/ports/LanguageModels.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import { SecretStore } from "../src/ports/SecretStore.js"
import {
  callerOf,
  connectorLayer,
  fakeServer,
  orgId,
  type TestServices,
  testLayer
} from "./useCaseSupport.js"
import { modelsLayer } from "./workflowFixtures.js"

const operator = { ...callerOf("owner"), operator: true }
const hookSecret = "whsec-rotate-me-0123456789"

/** Accepts every destination but Slack channel `C_UNKNOWN`, as the Slack sink would refuse it. */
const sink = Layer.succeed(AlertSink, {
  deliver: () => Effect.void,
  validate: (_org, destination) =>
    Effect.succeed(
      (destination as { channel?: string }).channel === "C_UNKNOWN"
        ? [{ field: "channel", message: "is not a channel of the Slack installation" }]
        : []
    )
})

const run = <A, E>(
  body: Effect.Effect<A, E, TestServices<McpConnector | AlertSink | LanguageModels>>,
  env: Record<string, string> = { HOOK_SECRET: hookSecret }
) =>
  body.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(testLayer(Layer.mergeAll(connectorLayer(fakeServer()), sink, modelsLayer())))
  )

const fileInput = (rules: ConfigFile.Input["alertRules"] = defaultRules): ConfigFile.Input => ({
  servers: [{ name: "Weather", baseUrl: "https://weather.example.com/mcp" }],
  monitors: [
    {
      name: "Weather answers",
      server: "Weather",
      toolName: "get_weather",
      arguments: { city: "Oslo", units: "metric" }
    }
  ],
  alertRules: rules
})

const defaultRules: NonNullable<ConfigFile.Input["alertRules"]> = [
  { name: "Weather down", target: { monitor: "Weather answers" }, destination: { slack: "C123" } },
  {
    name: "Server hook",
    target: { server: "Weather" },
    destination: { webhook: "https://hooks.example.com/a", secretEnv: "HOOK_SECRET" },
    reminderMinutes: 60
  }
]

const fieldsOf = (input: unknown) =>
  Effect.map(Effect.flip(ConfigFile.parse(input)), (e) => e.fieldErrors.map((f) => f.field))

const rulesStored = Effect.flatMap(AlertStore, (s) => s.listRules(orgId))
const actions = (plan: ConfigApply.Plan) =>
  plan.steps.filter((s) => s.kind === "alert_rule").map((s) => [s.name, s.action, ...s.changes])

describe("ConfigFile.parse of alertRules", () => {
  it.effect("accepts the short forms and the API's form for a plugin's destination", () =>
    Effect.gen(function* () {
      const config = yield* ConfigFile.parse(
        fileInput([
          ...defaultRules,
          {
            name: "Mail",
            target: { monitor: "weather ANSWERS" },
            destination: { email: "oncall@example.com" }
          },
          { name: "Pager", target: { server: "Weather" }, destination: { type: "pagerduty", service: "P1" } }
        ])
      )
      expect(config.alertRules!.map((r) => ConfigFile.targetOf(r))).toEqual([
        { type: "monitor", name: "Weather answers" },
        { type: "mcp_server", name: "Weather" },
        { type: "monitor", name: "weather ANSWERS" },
        { type: "mcp_server", name: "Weather" }
      ])
      expect(config.alertRules![0]!.notifyRecovery).toBe(true)
      const text = ConfigFile.explain(config, new Date())
      expect(text).toContain("1 server, 0 workflows, 1 monitor, 4 alert rules")
      expect(text).toContain('Alert rule "Server hook" on server "Weather"')
      expect(text).toContain("sends to webhook https://hooks.example.com/a (signed with $HOOK_SECRET)")
      expect(text).toContain("fires on fail, error; notifies recovery")
    })
  )

  it.effect("names each field of a rule that cannot be read", () =>
    Effect.gen(function* () {
      const fields = yield* fieldsOf(
        fileInput([
          {
            name: "Two targets",
            target: { monitor: "Weather answers", server: "Weather" },
            destination: { slack: "C1" }
          },
          { name: "Unknown target", target: { workflow: "Forecast" }, destination: { slack: "C1" } },
          {
            name: "Two places",
            target: { server: "Weather" },
            destination: { slack: "C1", email: "a@b.co" }
          },
          {
            name: "Literal secret",
            target: { server: "Weather" },
            destination: { webhook: "https://h", secret: "x" }
          },
          {
            name: "Secret for Slack",
            target: { server: "Weather" },
            destination: { slack: "C1", secretEnv: "X" }
          },
          {
            name: "Extra field",
            target: { server: "Weather" },
            destination: { email: "a@b.co", channel: "C1" }
          },
          { name: "weather DOWN", target: { server: "Weather" }, destination: { slack: "C1" } },
          { name: "Weather down", target: { server: "Weather" }, destination: { slack: "C1" } }
        ])
      )
      expect(fields).toEqual([
        "alertRules[7].name",
        "alertRules[0].target",
        "alertRules[1].target.workflow",
        "alertRules[2].destination",
        "alertRules[3].destination.secret",
        "alertRules[4].destination.secretEnv",
        "alertRules[5].destination.channel"
      ])
      expect(yield* fieldsOf(fileInput([{ ...defaultRules[0]!, on: [] }]))).toEqual(["alertRules[0].on"])
    })
  )
})

describe("ConfigApply with alertRules", () => {
  it.effect("creates the rules with their targets' ids and the webhook secret from the environment", () =>
    run(
      Effect.gen(function* () {
        const config = yield* ConfigFile.parse(fileInput())
        const plan = yield* ConfigApply.apply(operator, config)
        expect(actions(plan)).toEqual([
          ["Weather down", "create"],
          ["Server hook", "create"]
        ])
        expect(JSON.stringify(plan) + ConfigApply.render(plan)).not.toContain(hookSecret)
        expect(ConfigApply.render(plan)).toContain('+ create    alert rule "Weather down"')
        const [slack, hook] = yield* rulesStored
        expect(slack).toMatchObject({
          name: "Weather down",
          target: { type: "monitor" },
          destination: { type: "slack", channel: "C123" },
          on: ["fail", "error"],
          state: "enabled"
        })
        expect(hook).toMatchObject({ target: { type: "mcp_server" }, reminderMinutes: 60 })
        const ref = (hook!.destination as { secretRef: string }).secretRef
        expect(Redacted.value(yield* Effect.flatMap(SecretStore, (s) => s.get(orgId, ref)))).toBe(hookSecret)

        const again = yield* ConfigApply.plan(operator, config)
        expect(actions(again)).toEqual([
          ["Weather down", "unchanged"],
          ["Server hook", "unchanged"]
        ])
      })
    )
  )

  it.effect("a changed field is an update naming it; order of `on` and an operator's pause are not", () =>
    run(
      Effect.gen(function* () {
        yield* ConfigApply.apply(operator, yield* ConfigFile.parse(fileInput()))
        const [slack] = yield* rulesStored
        yield* Alerting.updateRule(operator, slack!.id, { state: "paused" })
        const changed = yield* ConfigFile.parse(
          fileInput([
            { ...defaultRules[0]!, on: ["error", "fail"] },
            {
              ...defaultRules[1]!,
              destination: { webhook: "https://hooks.example.com/b", secretEnv: "HOOK_SECRET" }
            },
            {
              name: "New",
              target: { monitor: "Weather answers" },
              destination: { email: "oncall@example.com" }
            }
          ])
        )
        const plan = yield* ConfigApply.apply(operator, changed)
        expect(actions(plan)).toEqual([
          ["Weather down", "unchanged"],
          ["Server hook", "update", "destination"],
          ["New", "create"]
        ])
        const [paused, hook, added] = yield* rulesStored
        expect(paused!.state).toBe("paused")
        // The address moved; the secret did not, so the stored one is kept.
        expect(hook!.destination).toEqual({
          type: "webhook",
          url: "https://hooks.example.com/b",
          secretRef: (yield* Effect.map(rulesStored, (r) => r[1]!.destination as { secretRef: string }))
            .secretRef
        })
        expect(added!.name).toBe("New")

        const fewer = yield* ConfigApply.plan(
          operator,
          yield* ConfigFile.parse(fileInput([defaultRules[0]!]))
        )
        expect(fewer.notInFile).toEqual([
          { kind: "alert_rule", name: "Server hook" },
          { kind: "alert_rule", name: "New" }
        ])
      })
    )
  )

  it.effect("a rotated secret in secretEnv is an update of the secret only", () =>
    Effect.gen(function* () {
      yield* ConfigApply.apply(operator, yield* ConfigFile.parse(fileInput()))
      const before = (yield* rulesStored)[1]!.destination as { secretRef: string }
      const rotated = "whsec-the-new-one-9876543210"
      const plan = yield* ConfigApply.apply(operator, yield* ConfigFile.parse(fileInput())).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HOOK_SECRET", rotated]])))
      )
      expect(actions(plan)).toEqual([
        ["Weather down", "unchanged"],
        ["Server hook", "update", "secret"]
      ])
      const after = (yield* rulesStored)[1]!.destination as { secretRef: string; url: string }
      expect(after.secretRef).not.toBe(before.secretRef)
      expect(after.url).toBe("https://hooks.example.com/a")
      expect(Redacted.value(yield* Effect.flatMap(SecretStore, (s) => s.get(orgId, after.secretRef)))).toBe(
        rotated
      )
    }).pipe(run)
  )

  it.effect("a secretEnv that is not set fails the plan naming it, and nothing is written", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(ConfigApply.apply(operator, yield* ConfigFile.parse(fileInput())))
        expect(error._tag).toBe("ValidationFailed")
        expect(
          (error as { fieldErrors: ReadonlyArray<{ field: string; message: string }> }).fieldErrors
        ).toEqual([
          {
            field: "alertRules[1].destination.secretEnv",
            message: "environment variable HOOK_SECRET is not set"
          }
        ])
        expect(yield* rulesStored).toEqual([])
      }),
      {}
    )
  )

  it.effect("a destination the sink refuses is named as in the file, and the whole file is rolled back", () =>
    run(
      Effect.gen(function* () {
        const config = yield* ConfigFile.parse(
          fileInput([{ ...defaultRules[0]!, destination: { slack: "C_UNKNOWN" } }])
        )
        const error = yield* Effect.flip(ConfigApply.apply(operator, config))
        expect(
          (error as { fieldErrors: ReadonlyArray<{ field: string }> }).fieldErrors.map((f) => f.field)
        ).toEqual(["alertRules[0].destination.slack"])
        expect(yield* rulesStored).toEqual([])
        expect(yield* Effect.flatMap(AlertStore, (s) => s.listRules(orgId))).toEqual([])
      })
    )
  )

  it.effect("a rule of the file's name (in any case) cannot be created beside it: names are unique", () =>
    run(
      Effect.gen(function* () {
        yield* ConfigApply.apply(operator, yield* ConfigFile.parse(fileInput([defaultRules[0]!])))
        const [rule] = yield* rulesStored
        const error = yield* Effect.flip(
          Alerting.createRule(operator, {
            name: "  weather   DOWN ",
            target: rule!.target,
            destination: rule!.destination
          })
        )
        expect(error).toMatchObject({ _tag: "Conflict", fieldErrors: [{ field: "name" }] })
        expect(yield* rulesStored).toHaveLength(1)
        // The file still finds its rule by name.
        const plan = yield* ConfigApply.plan(operator, yield* ConfigFile.parse(fileInput([defaultRules[0]!])))
        expect(actions(plan)).toEqual([["Weather down", "unchanged"]])
      })
    )
  )
})
