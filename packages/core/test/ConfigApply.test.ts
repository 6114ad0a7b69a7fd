import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted, TestClock } from "effect"
import * as ConfigApply from "../src/ConfigApply.js"
import * as ConfigFile from "../src/ConfigFile.js"
import type { ValidationFailed } from "../src/Errors.js"
import * as Monitors from "../src/Monitors.js"
import type { AlertSink } from "../src/ports/AlertSink.js"
import type { LanguageModels } from "../src/ports/LanguageModels.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import { MonitorStore } from "../src/ports/MonitorStore.js"
import { SecretStore } from "../src/ports/SecretStore.js"
import { ServerStore } from "../src/ports/ServerStore.js"
import { WorkflowStore } from "../src/ports/WorkflowStore.js"
import * as Servers from "../src/Servers.js"
import * as Workflows from "../src/Workflows.js"
import {
  callerOf,
  connectorLayer,
  type FakeServer,
  fakeServer,
  orgId,
  sinkLayer,
  sinkState,
  type TestServices,
  testLayer
} from "./useCaseSupport.js"
import { modelsLayer } from "./workflowFixtures.js"

const editor = callerOf("editor")
const viewer = callerOf("viewer")
/** Config files are applied by the deployment's operator (`armature apply`). */
const operator = { ...callerOf("owner"), operator: true }

const token = "s3cr3t-weather-token"
const defaultEnv = { WEATHER_TOKEN: token }

/** Every secret reference the SecretStore handed out, to prove what a failed apply did not write. */
const recordingSecrets = (puts: Array<string>) =>
  Layer.effect(
    SecretStore,
    Effect.map(SecretStore, (store) => ({
      ...store,
      put: (org: string, value: Redacted.Redacted<string>) =>
        Effect.tap(store.put(org, value), (ref) => Effect.sync(() => puts.push(ref)))
    }))
  )

interface Ctx {
  readonly server: FakeServer
  readonly puts: Array<string>
}

/** Runs a test against a fresh in-memory store, with `env` as the process environment. */
const run = <A, E>(
  body: (ctx: Ctx) => Effect.Effect<A, E, TestServices<McpConnector | LanguageModels | AlertSink>>,
  env: Record<string, string> = defaultEnv
) => {
  const ctx: Ctx = { server: fakeServer(), puts: [] }
  return body(ctx).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(recordingSecrets(ctx.puts)),
    Effect.provide(
      testLayer(Layer.mergeAll(connectorLayer(ctx.server), modelsLayer(), sinkLayer(sinkState())))
    )
  )
}

/**
 * The file of most tests. Server "Weather" has two profiles, so the default one (`public`, the
 * first) differs from the one referenced by name (`ci`).
 */
const fileInput = (): ConfigFile.Input => ({
  servers: [
    {
      name: "Weather",
      baseUrl: "https://weather.example.com/mcp",
      authProfiles: [
        { name: "public", kind: "none" },
        { name: "ci", kind: "bearer", tokenEnv: "WEATHER_TOKEN" }
      ]
    }
  ],
  workflows: [
    {
      name: "Forecast",
      server: "Weather",
      authProfile: "ci",
      prompt: "Ask for the weather in Oslo.",
      criteria: [{ text: "The answer names Oslo" }],
      testerModels: ["openai:gpt-5-mini"],
      judgeModel: "openai:gpt-5-mini",
      toolPolicy: { allowedTools: ["get_weather"] }
    }
  ],
  monitors: [
    {
      name: "Weather answers",
      server: "Weather",
      authProfile: "ci",
      toolName: "get_weather",
      arguments: { city: "Oslo", units: "metric" },
      intervalSeconds: 60
    },
    // No profile named: the monitor gets the server's default profile.
    { name: "Order lookup", server: "Weather", toolName: "get_order", arguments: { id: "A-1" } }
  ]
})

const parse = (input: ConfigFile.Input) => ConfigFile.parse(input)

const failureOf = <A>(exit: Exit.Exit<A, unknown>): any => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail")
    throw new Error(`expected a failure, got ${JSON.stringify(exit)}`)
  return exit.cause.error
}
const fieldErrors = <A>(exit: Exit.Exit<A, unknown>) => {
  const error = failureOf(exit) as ValidationFailed
  expect(error._tag).toBe("ValidationFailed")
  return error.fieldErrors
}

/** Everything the use cases store for the organization, to compare before and after. */
const snapshot = Effect.gen(function* () {
  const servers = yield* ServerStore
  const workflows = yield* WorkflowStore
  const serverList = yield* servers.listServers(orgId)
  const profiles = []
  for (const s of serverList) profiles.push(...(yield* servers.listAuthProfiles(orgId, s.id)))
  const workflowList = yield* workflows.listWorkflows(orgId)
  const versions = []
  for (const w of workflowList) versions.push(...(yield* workflows.listVersions(orgId, w.id)))
  const monitors = yield* Effect.flatMap(MonitorStore, (m) => m.listMonitors(orgId))
  return { servers: serverList, profiles, workflows: workflowList, versions, monitors }
})

const profileNamed = (serverId: string, name: string) =>
  Effect.map(
    Effect.flatMap(ServerStore, (s) => s.listAuthProfiles(orgId, serverId)),
    (profiles) => profiles.find((p) => p.name === name)!
  )

const applied = Effect.gen(function* () {
  const config = yield* parse(fileInput())
  yield* ConfigApply.apply(editor, config)
  return yield* snapshot
})

const actions = (plan: ConfigApply.Plan) => plan.steps.map((s) => [s.kind, s.name, s.action])

describe("ConfigApply.plan and apply", () => {
  it.effect("an empty organization: every entry is created; afterwards everything is unchanged", () =>
    run(() =>
      Effect.gen(function* () {
        const config = yield* parse(fileInput())
        const first = yield* ConfigApply.plan(editor, config)
        expect(actions(first)).toEqual([
          ["server", "Weather", "create"],
          ["auth_profile", "Weather/public", "create"],
          ["auth_profile", "Weather/ci", "create"],
          ["workflow", "Forecast", "create"],
          ["monitor", "Weather answers", "create"],
          ["monitor", "Order lookup", "create"]
        ])
        expect(first.steps.every((s) => s.changes.length === 0)).toBe(true)
        expect(first.notInFile).toEqual([])
        expect(ConfigApply.hasChanges(first)).toBe(true)
        // Planning writes nothing.
        const empty = yield* snapshot
        expect(empty.servers).toEqual([])
        expect(empty.workflows).toEqual([])
        expect(empty.monitors).toEqual([])

        const result = yield* ConfigApply.apply(editor, config)
        expect(result).toEqual(first)
        const after = yield* snapshot
        expect(after.servers.map((s) => [s.name, s.baseUrl, s.state])).toEqual([
          ["Weather", "https://weather.example.com/mcp", "active"]
        ])
        expect(after.profiles.map((p) => [p.name, p.kind]).sort()).toEqual([
          ["ci", "bearer"],
          ["public", "none"]
        ])
        expect(after.workflows.map((w) => [w.spec.name, w.version])).toEqual([["Forecast", 1]])
        expect(after.monitors.map((m) => m.name).sort()).toEqual(["Order lookup", "Weather answers"])

        const again = yield* ConfigApply.plan(editor, config)
        // Existing profiles are not listed again: they are neither created nor changed.
        expect(actions(again)).toEqual([
          ["server", "Weather", "unchanged"],
          ["workflow", "Forecast", "unchanged"],
          ["monitor", "Weather answers", "unchanged"],
          ["monitor", "Order lookup", "unchanged"]
        ])
        expect(again.notInFile).toEqual([])
        expect(ConfigApply.hasChanges(again)).toBe(false)
      })
    )
  )

  it.effect("re-applying the same file writes nothing: no new workflow version, no monitor update", () =>
    run((ctx) =>
      Effect.gen(function* () {
        const before = yield* applied
        const putsBefore = ctx.puts.length
        const connectsBefore = ctx.server.connects
        yield* TestClock.adjust("1 hour")
        const plan = yield* ConfigApply.apply(editor, yield* parse(fileInput()))
        expect(ConfigApply.hasChanges(plan)).toBe(false)
        const after = yield* snapshot
        // Same records, same timestamps: nothing was rewritten.
        expect(after).toEqual(before)
        expect(after.workflows[0]!.version).toBe(1)
        expect(after.versions).toHaveLength(1)
        expect(ctx.puts).toHaveLength(putsBefore)
        // An unchanged server is not probed again.
        expect(ctx.server.connects).toBe(connectsBefore)
      })
    )
  )

  it.effect("workflows and monitors get the ids of the auth profiles they name", () =>
    run(() =>
      Effect.gen(function* () {
        const state = yield* applied
        const server = state.servers[0]!
        const ci = yield* profileNamed(server.id, "ci")
        const pub = yield* profileNamed(server.id, "public")
        expect(state.workflows[0]!.spec.mcpServerId).toBe(server.id)
        expect(state.workflows[0]!.spec.authProfileId).toBe(ci.id)
        const byName = new Map(state.monitors.map((m) => [m.name, m]))
        expect(byName.get("Weather answers")!.authProfileId).toBe(ci.id)
        expect(byName.get("Weather answers")!.mcpServerId).toBe(server.id)
        // Naming no profile means the server's default one, the first.
        expect(byName.get("Order lookup")!.authProfileId).toBe(pub.id)
      })
    )
  )

  it.effect("secrets come from tokenEnv into the SecretStore and never appear in the plan", () =>
    run((ctx) =>
      Effect.gen(function* () {
        const config = yield* parse(fileInput())
        const plan = yield* ConfigApply.plan(editor, config)
        const result = yield* ConfigApply.apply(editor, config)
        for (const text of [JSON.stringify(plan), ConfigApply.render(plan), JSON.stringify(result)]) {
          expect(text).not.toContain(token)
          expect(text).not.toContain("s3cr3t")
        }
        const server = (yield* snapshot).servers[0]!
        const ci = yield* profileNamed(server.id, "ci")
        expect(ci.secretRef).not.toBeNull()
        expect(ctx.puts).toContain(ci.secretRef)
        const secret = yield* Effect.flatMap(SecretStore, (s) => s.get(orgId, ci.secretRef!))
        expect(Redacted.value(secret)).toBe(token)
        // The stored records hold only the reference.
        expect(JSON.stringify(yield* snapshot)).not.toContain(token)
      })
    )
  )

  it.effect("a changed monitor interval is one update naming intervalSeconds, and apply changes it", () =>
    run(() =>
      Effect.gen(function* () {
        yield* applied
        const input = fileInput()
        const monitors = [...input.monitors!]
        monitors[0] = { ...monitors[0]!, intervalSeconds: 120 }
        const config = yield* parse({ ...input, monitors })
        const plan = yield* ConfigApply.plan(editor, config)
        const updates = plan.steps.filter((s) => s.action !== "unchanged")
        expect(updates).toEqual([
          { kind: "monitor", name: "Weather answers", action: "update", changes: ["intervalSeconds"] }
        ])
        yield* ConfigApply.apply(editor, config)
        const monitor = (yield* snapshot).monitors.find((m) => m.name === "Weather answers")!
        expect(monitor.intervalSeconds).toBe(120)
        const again = yield* ConfigApply.plan(editor, config)
        expect(ConfigApply.hasChanges(again)).toBe(false)
      })
    )
  )

  it.effect("a changed workflow prompt is an update that stores version 2", () =>
    run(() =>
      Effect.gen(function* () {
        const before = yield* applied
        const input = fileInput()
        const config = yield* parse({
          ...input,
          workflows: [{ ...input.workflows![0]!, prompt: "Ask for the weather in Bergen." }]
        })
        const plan = yield* ConfigApply.plan(editor, config)
        expect(plan.steps.filter((s) => s.action !== "unchanged")).toEqual([
          { kind: "workflow", name: "Forecast", action: "update", changes: ["prompt"] }
        ])
        yield* ConfigApply.apply(editor, config)
        const after = yield* snapshot
        const workflow = after.workflows[0]!
        expect(workflow.id).toBe(before.workflows[0]!.id)
        expect(workflow.version).toBe(2)
        expect(workflow.spec.prompt).toBe("Ask for the weather in Bergen.")
        // The profile reference survives the update.
        expect(workflow.spec.authProfileId).toBe(before.workflows[0]!.spec.authProfileId)
        const versions = yield* Workflows.versions(editor, workflow.id)
        expect(versions.map((v) => [v.version, v.spec.prompt])).toEqual([
          [2, "Ask for the weather in Bergen."],
          [1, "Ask for the weather in Oslo."]
        ])
        expect(ConfigApply.hasChanges(yield* ConfigApply.plan(editor, config))).toBe(false)
      })
    )
  )

  it.effect("a changed baseUrl updates the server in place and probes it again", () =>
    run((ctx) =>
      Effect.gen(function* () {
        const before = yield* applied
        const input = fileInput()
        const config = yield* parse({
          ...input,
          servers: [{ ...input.servers![0]!, baseUrl: "https://weather.example.org/mcp" }]
        })
        const plan = yield* ConfigApply.plan(editor, config)
        expect(plan.steps.filter((s) => s.action !== "unchanged")).toEqual([
          { kind: "server", name: "Weather", action: "update", changes: ["baseUrl"] }
        ])
        const connects = ctx.server.connects
        yield* ConfigApply.apply(editor, config)
        expect(ctx.server.connects).toBe(connects + 1)
        const after = yield* snapshot
        expect(after.servers).toHaveLength(1)
        expect(after.servers[0]!.id).toBe(before.servers[0]!.id)
        expect(after.servers[0]!.baseUrl).toBe("https://weather.example.org/mcp")
        // Profiles, workflows and monitors keep pointing at the same server.
        expect(after.profiles).toEqual(before.profiles)
        expect(after.workflows).toEqual(before.workflows)
        expect(ConfigApply.hasChanges(yield* ConfigApply.plan(editor, config))).toBe(false)
      })
    )
  )

  it.effect(
    "only the operator applies stdio servers; its apply approves one registered before approval existed",
    () =>
      run(() =>
        Effect.gen(function* () {
          const file = yield* parse({ servers: [{ name: "Local", transport: "stdio", command: "node" }] })
          const refused = yield* Effect.exit(ConfigApply.apply(editor, file))
          expect(Exit.isFailure(refused) && JSON.stringify(refused.cause)).toContain("StdioNotAllowed")
          expect((yield* snapshot).servers).toEqual([])

          yield* ConfigApply.apply(operator, file)
          const stored = (yield* snapshot).servers[0]!
          expect(stored.launchApproved).toBe(true)
          // As a row from before the migration that added approval would be.
          yield* Effect.flatMap(ServerStore, (s) => s.updateServer({ ...stored, launchApproved: false }))
          const plan = yield* ConfigApply.plan(operator, file)
          expect(plan.steps).toEqual([
            { kind: "server", name: "Local", action: "update", changes: ["launchApproved"] }
          ])
          yield* ConfigApply.apply(operator, file)
          expect((yield* snapshot).servers[0]!.launchApproved).toBe(true)
          expect(ConfigApply.hasChanges(yield* ConfigApply.plan(operator, file))).toBe(false)
        })
      )
  )

  it.effect("stdio environment values are compared by what their secrets hold", () =>
    run(
      (ctx) =>
        Effect.gen(function* () {
          const file = (value: string): ConfigFile.Input => ({
            servers: [{ name: "Local", transport: "stdio", command: "node", env: { API_TOKEN: value } }]
          })
          yield* ConfigApply.apply(operator, yield* parse(file("env-one")))
          const stored = (yield* snapshot).servers[0]!
          expect(stored.env.API_TOKEN).toMatch(/^secret:/)
          expect(
            ConfigApply.hasChanges(yield* ConfigApply.plan(operator, yield* parse(file("env-one"))))
          ).toBe(false)

          const changed = yield* parse(file("env-two"))
          const plan = yield* ConfigApply.plan(operator, changed)
          expect(plan.steps).toEqual([{ kind: "server", name: "Local", action: "update", changes: ["env"] }])
          expect(ConfigApply.render(plan)).not.toContain("env-two")
          yield* ConfigApply.apply(operator, changed)
          const updated = (yield* snapshot).servers[0]!
          expect(updated.env.API_TOKEN).not.toBe(stored.env.API_TOKEN)
          const secrets = yield* SecretStore
          expect(Redacted.value(yield* secrets.get(orgId, updated.env.API_TOKEN!.slice(7)))).toBe("env-two")
          // The replaced secret is gone.
          const old = yield* Effect.exit(secrets.get(orgId, stored.env.API_TOKEN!.slice(7)))
          expect(Exit.isFailure(old)).toBe(true)
          expect(ctx.puts).toHaveLength(2)
        }),
      {}
    )
  )

  it.effect("names match case-insensitively, so a differently cased file creates nothing", () =>
    run(() =>
      Effect.gen(function* () {
        const before = yield* applied
        const input = fileInput()
        const config = yield* parse({
          servers: [{ ...input.servers![0]!, name: "WEATHER" }],
          workflows: [{ ...input.workflows![0]!, server: "WEATHER" }],
          monitors: input.monitors!.map((m) => ({ ...m, server: "WEATHER" }))
        })
        const plan = yield* ConfigApply.plan(editor, config)
        expect(plan.steps.find((s) => s.kind === "server")).toMatchObject({ action: "unchanged" })
        expect(plan.steps.some((s) => s.action === "create")).toBe(false)
        expect(plan.notInFile).toEqual([])
        yield* ConfigApply.apply(editor, config)
        expect((yield* snapshot).servers).toEqual(before.servers)
      })
    )
  )

  it.effect("a new profile on an existing server is created, and may be referenced at once", () =>
    run(
      () =>
        Effect.gen(function* () {
          yield* applied
          const input = fileInput()
          const server = input.servers![0]!
          const config = yield* parse({
            ...input,
            servers: [
              {
                ...server,
                authProfiles: [
                  ...server.authProfiles!,
                  { name: "ops", kind: "api_key_header", headerName: "X-Api-Key", tokenEnv: "OPS_KEY" }
                ]
              }
            ],
            workflows: [{ ...input.workflows![0]!, authProfile: "ops" }]
          })
          const plan = yield* ConfigApply.plan(editor, config)
          expect(plan.steps.filter((s) => s.action !== "unchanged")).toEqual([
            { kind: "auth_profile", name: "Weather/ops", action: "create", changes: [] },
            { kind: "workflow", name: "Forecast", action: "update", changes: ["authProfileId"] }
          ])
          yield* ConfigApply.apply(editor, config)
          const state = yield* snapshot
          const ops = yield* profileNamed(state.servers[0]!.id, "ops")
          expect(ops).toMatchObject({ kind: "api_key_header", headerName: "X-Api-Key" })
          const secret = yield* Effect.flatMap(SecretStore, (s) => s.get(orgId, ops.secretRef!))
          expect(Redacted.value(secret)).toBe("s3cr3t-ops-key")
          expect(state.workflows[0]!.spec.authProfileId).toBe(ops.id)
          expect(state.workflows[0]!.version).toBe(2)
        }),
      { ...defaultEnv, OPS_KEY: "s3cr3t-ops-key" }
    )
  )

  it.effect("an entry naming no profile keeps the stored one, and gets the new default when it moves", () =>
    run(() =>
      Effect.gen(function* () {
        const before = yield* applied
        const input = fileInput()
        const monitors = [...input.monitors!]
        monitors[1] = { ...monitors[1]!, server: "Backup" }
        const config = yield* parse({
          ...input,
          servers: [...input.servers!, { name: "Backup", baseUrl: "https://backup.example.com/mcp" }],
          monitors
        })
        const plan = yield* ConfigApply.plan(editor, config)
        expect(plan.steps.filter((s) => s.action !== "unchanged")).toEqual([
          { kind: "server", name: "Backup", action: "create", changes: [] },
          {
            kind: "monitor",
            name: "Order lookup",
            action: "update",
            changes: ["mcpServerId", "authProfileId"]
          }
        ])
        yield* ConfigApply.apply(editor, config)
        const after = yield* snapshot
        const backup = after.servers.find((s) => s.name === "Backup")!
        const monitor = after.monitors.find((m) => m.name === "Order lookup")!
        expect(monitor.id).toBe(before.monitors.find((m) => m.name === "Order lookup")!.id)
        expect(monitor.mcpServerId).toBe(backup.id)
        // The profile of the old server cannot follow: the new server's default one is used.
        expect(monitor.authProfileId).toBe((yield* profileNamed(backup.id, "default")).id)
        expect(ConfigApply.hasChanges(yield* ConfigApply.plan(editor, config))).toBe(false)
      })
    )
  )

  it.effect("a missing tokenEnv variable is a field error, and nothing is written", () =>
    run(
      (ctx) =>
        Effect.gen(function* () {
          const config = yield* parse(fileInput())
          const planned = yield* Effect.exit(ConfigApply.plan(editor, config))
          expect(fieldErrors(planned).map((f) => f.field)).toEqual(["servers[0].authProfiles[1].tokenEnv"])
          expect(fieldErrors(planned)[0]!.message).toContain("WEATHER_TOKEN")
          const exit = yield* Effect.exit(ConfigApply.apply(editor, config))
          expect(fieldErrors(exit).map((f) => f.field)).toEqual(["servers[0].authProfiles[1].tokenEnv"])
          const state = yield* snapshot
          expect(state).toEqual({ servers: [], profiles: [], workflows: [], versions: [], monitors: [] })
          expect(ctx.puts).toEqual([])
          expect(ctx.server.connects).toBe(0)
        }),
      {}
    )
  )

  it.effect("a secret profile without tokenEnv is a field error", () =>
    run(() =>
      Effect.gen(function* () {
        const input = fileInput()
        const server = input.servers![0]!
        const config = yield* parse({
          servers: [{ ...server, authProfiles: [{ name: "ci", kind: "bearer" }] }]
        })
        const exit = yield* Effect.exit(ConfigApply.apply(editor, config))
        expect(fieldErrors(exit).map((f) => f.field)).toEqual(["servers[0].authProfiles[0].tokenEnv"])
        expect((yield* snapshot).servers).toEqual([])
      })
    )
  )

  it.effect("a missing variable for a new profile of an existing server leaves the store unchanged", () =>
    run((ctx) =>
      Effect.gen(function* () {
        const before = yield* applied
        const putsBefore = ctx.puts.length
        const input = fileInput()
        const server = input.servers![0]!
        const config = yield* parse({
          ...input,
          servers: [
            {
              ...server,
              baseUrl: "https://weather.example.org/mcp",
              authProfiles: [...server.authProfiles!, { name: "ops", kind: "bearer", tokenEnv: "OPS_TOKEN" }]
            }
          ],
          monitors: input.monitors!.map((m) => ({ ...m, intervalSeconds: 900 }))
        })
        const exit = yield* Effect.exit(ConfigApply.apply(editor, config))
        expect(fieldErrors(exit).map((f) => f.field)).toEqual(["servers[0].authProfiles[2].tokenEnv"])
        expect(yield* snapshot).toEqual(before)
        expect(ctx.puts).toHaveLength(putsBefore)
      })
    )
  )

  it.effect(
    "connection and profile settings are checked before anything is written, named as in the file",
    () =>
      run(
        (ctx) =>
          Effect.gen(function* () {
            const input = fileInput()
            const config = yield* parse({
              ...input,
              servers: [
                ...input.servers!,
                {
                  name: "Insecure",
                  baseUrl: "http://insecure.example.com/mcp",
                  authProfiles: [
                    { name: "key", kind: "api_key_header", tokenEnv: "KEY" },
                    { name: "oauth", kind: "oauth_client_credentials", tokenUrl: "nope", tokenEnv: "KEY" }
                  ]
                }
              ]
            })
            const exit = yield* Effect.exit(ConfigApply.apply(editor, config))
            expect(
              fieldErrors(exit)
                .map((f) => f.field)
                .sort()
            ).toEqual([
              "servers[1].authProfiles[0].headerName",
              "servers[1].authProfiles[1].clientId",
              "servers[1].authProfiles[1].tokenUrl",
              "servers[1].baseUrl"
            ])
            // The valid first server was not registered either.
            expect(yield* snapshot).toEqual({
              servers: [],
              profiles: [],
              workflows: [],
              versions: [],
              monitors: []
            })
            expect(ctx.puts).toEqual([])
            expect(ctx.server.connects).toBe(0)
          }),
        { ...defaultEnv, KEY: "s3cr3t-key" }
      )
  )

  it.effect("an existing auth profile with other settings is a field error, and nothing is written", () =>
    run((ctx) =>
      Effect.gen(function* () {
        const before = yield* applied
        const putsBefore = ctx.puts.length
        const input = fileInput()
        const server = input.servers![0]!
        const config = yield* parse({
          ...input,
          servers: [
            {
              ...server,
              baseUrl: "https://weather.example.org/mcp",
              authProfiles: [
                server.authProfiles![0]!,
                { name: "ci", kind: "api_key_header", headerName: "X-Api-Key", tokenEnv: "WEATHER_TOKEN" }
              ]
            }
          ],
          workflows: [{ ...input.workflows![0]!, prompt: "Something else." }],
          monitors: input.monitors!.map((m) => ({ ...m, intervalSeconds: 900 }))
        })
        const exit = yield* Effect.exit(ConfigApply.apply(editor, config))
        const errors = fieldErrors(exit)
        expect(errors.map((f) => f.field)).toEqual(["servers[0].authProfiles[1]"])
        expect(errors[0]!.message).toContain("ci")
        expect(errors[0]!.message).toContain("kind")
        expect(yield* snapshot).toEqual(before)
        expect(ctx.puts).toHaveLength(putsBefore)
        // plan reports the same error.
        const planned = yield* Effect.exit(ConfigApply.plan(editor, config))
        expect(fieldErrors(planned).map((f) => f.field)).toEqual(["servers[0].authProfiles[1]"])
      })
    )
  )

  it.effect("viewers may plan but not apply; a refused apply writes nothing", () =>
    run((ctx) =>
      Effect.gen(function* () {
        const config = yield* parse(fileInput())
        const plan = yield* ConfigApply.plan(viewer, config)
        expect(ConfigApply.hasChanges(plan)).toBe(true)
        const exit = yield* Effect.exit(ConfigApply.apply(viewer, config))
        expect(failureOf(exit)._tag).toBe("ForbiddenRole")
        expect((yield* snapshot).servers).toEqual([])
        expect(ctx.puts).toEqual([])

        // Also once the organization has the servers: a viewer cannot update a monitor.
        const before = yield* applied
        const input = fileInput()
        const changed = yield* parse({
          ...input,
          monitors: input.monitors!.map((m) => ({ ...m, intervalSeconds: 900 }))
        })
        const refused = yield* Effect.exit(ConfigApply.apply(viewer, changed))
        expect(failureOf(refused)._tag).toBe("ForbiddenRole")
        expect(yield* snapshot).toEqual(before)
      })
    )
  )

  it.effect("notInFile lists what the organization has beyond the file; nothing is deleted", () =>
    run(() =>
      Effect.gen(function* () {
        yield* applied
        const legacy = yield* Servers.register(editor, {
          name: "Legacy",
          baseUrl: "https://legacy.example.com/mcp"
        })
        yield* Monitors.create(editor, {
          name: "Legacy ping",
          mcpServerId: legacy.server.id,
          toolName: "get_order",
          arguments: { id: "1" }
        })
        const input = fileInput()
        const config = yield* parse({ ...input, workflows: [], monitors: [input.monitors![0]!] })
        const plan = yield* ConfigApply.plan(editor, config)
        expect(plan.notInFile).toEqual([
          { kind: "server", name: "Legacy" },
          { kind: "workflow", name: "Forecast" },
          { kind: "monitor", name: "Order lookup" },
          { kind: "monitor", name: "Legacy ping" }
        ])
        expect(ConfigApply.hasChanges(plan)).toBe(false)
        const before = yield* snapshot
        yield* ConfigApply.apply(editor, config)
        const after = yield* snapshot
        expect(after).toEqual(before)
        expect(after.servers.map((s) => s.name).sort()).toEqual(["Legacy", "Weather"])
        expect(after.monitors).toHaveLength(3)
        expect(after.workflows).toHaveLength(1)
      })
    )
  )
})

describe("ConfigApply.render", () => {
  it("renders one line per step, the entries beyond the file, and a count", () => {
    const plan: ConfigApply.Plan = {
      steps: [
        { kind: "server", name: "Weather", action: "create", changes: [] },
        { kind: "auth_profile", name: "Weather/ci", action: "create", changes: [] },
        { kind: "workflow", name: "Forecast", action: "update", changes: ["prompt", "schedule"] },
        { kind: "monitor", name: "Weather answers", action: "unchanged", changes: [] }
      ],
      notInFile: [{ kind: "monitor", name: "Legacy ping" }]
    }
    expect(ConfigApply.render(plan).split("\n")).toEqual([
      '+ create    server "Weather"',
      '+ create    auth profile "Weather/ci"',
      '~ update    workflow "Forecast" (prompt, schedule)',
      '= unchanged monitor "Weather answers"',
      '  not in file monitor "Legacy ping" (left as it is)',
      "",
      "2 to create, 1 to update, 1 unchanged."
    ])
    expect(ConfigApply.hasChanges(plan)).toBe(true)
  })

  it("an all-unchanged plan has no changes", () => {
    const plan: ConfigApply.Plan = {
      steps: [{ kind: "server", name: "Weather", action: "unchanged", changes: [] }],
      notInFile: []
    }
    expect(ConfigApply.hasChanges(plan)).toBe(false)
    expect(ConfigApply.render(plan)).toBe(
      '= unchanged server "Weather"\n\n0 to create, 0 to update, 1 unchanged.'
    )
    expect(ConfigApply.hasChanges({ steps: [], notInFile: [] })).toBe(false)
  })

  it.effect("renders a real plan of an empty organization", () =>
    run(() =>
      Effect.gen(function* () {
        const text = ConfigApply.render(yield* ConfigApply.plan(editor, yield* parse(fileInput())))
        expect(text).toContain('+ create    server "Weather"')
        expect(text).toContain('+ create    auth profile "Weather/ci"')
        expect(text).toContain('+ create    workflow "Forecast"')
        expect(text).toContain('+ create    monitor "Order lookup"')
        expect(text.endsWith("6 to create, 0 to update, 0 unchanged.")).toBe(true)
        expect(text).not.toContain(token)
      })
    )
  )
})

describe("review fixes: names, normalisation, rotation, atomic writes", () => {
  it.effect(
    "names differing only in case or space are duplicates in a file, and references ignore case",
    () =>
      run(() =>
        Effect.gen(function* () {
          const input = fileInput()
          const exit = yield* Effect.exit(
            parse({
              ...input,
              servers: [...input.servers!, { name: " weather ", baseUrl: "https://other.example.com/mcp" }]
            })
          )
          expect(fieldErrors(exit).map((f) => f.field)).toEqual(["servers[1].name"])
          const profiles = yield* Effect.exit(
            parse({
              servers: [
                {
                  name: "W",
                  baseUrl: "https://w.example.com/mcp",
                  authProfiles: [
                    { name: "ci", kind: "none" },
                    { name: "CI", kind: "none" }
                  ]
                }
              ]
            })
          )
          expect(fieldErrors(profiles).map((f) => f.field)).toEqual(["servers[0].authProfiles[1].name"])
          const config = yield* parse({
            ...input,
            monitors: [{ ...input.monitors![0]!, server: "WEATHER", authProfile: "CI" }]
          })
          yield* ConfigApply.apply(editor, config)
          expect(ConfigApply.hasChanges(yield* ConfigApply.plan(editor, config))).toBe(false)
        })
      )
  )

  it.effect("values are trimmed as the store trims them, so padding is not a change on every apply", () =>
    run(() =>
      Effect.gen(function* () {
        const input = fileInput()
        const padded = yield* parse({
          ...input,
          servers: [
            { ...input.servers![0]!, name: " Weather ", baseUrl: " https://weather.example.com/mcp " }
          ]
        })
        yield* ConfigApply.apply(editor, padded)
        const again = yield* ConfigApply.plan(editor, padded)
        expect(again.steps.filter((s) => s.action !== "unchanged")).toEqual([])
      })
    )
  )

  it.effect("a rotated secret in tokenEnv is an update that replaces the stored one", () =>
    run(() =>
      Effect.gen(function* () {
        const config = yield* parse(fileInput())
        yield* ConfigApply.apply(editor, config)
        const profiles = Effect.flatMap(ServerStore, (s) => s.listServers(orgId)).pipe(
          Effect.flatMap(([server]) =>
            Effect.flatMap(ServerStore, (s) => s.listAuthProfiles(orgId, server!.id))
          )
        )
        const before = (yield* profiles).find((p) => p.name === "ci")!
        const rotated = "rotated-token-value-1234"
        const withRotated = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          Effect.withConfigProvider(effect, ConfigProvider.fromMap(new Map([["WEATHER_TOKEN", rotated]])))

        const plan = yield* withRotated(ConfigApply.plan(editor, config))
        expect(plan.steps.filter((s) => s.action !== "unchanged")).toEqual([
          { kind: "auth_profile", name: "Weather/ci", action: "update", changes: ["secret"] }
        ])
        expect(ConfigApply.render(plan)).not.toContain(rotated)

        yield* withRotated(ConfigApply.apply(editor, config))
        const after = (yield* profiles).find((p) => p.name === "ci")!
        expect(after.id).toBe(before.id)
        const secrets = yield* SecretStore
        expect(Redacted.value(yield* secrets.get(orgId, after.secretRef!))).toBe(rotated)
        expect((yield* Effect.flip(secrets.get(orgId, before.secretRef!)))._tag).toBe("SecretNotFound")
        expect(ConfigApply.hasChanges(yield* withRotated(ConfigApply.plan(editor, config)))).toBe(false)
        // The old value is now the rotated one: a plan with it would replace the secret again.
        expect(ConfigApply.hasChanges(yield* ConfigApply.plan(editor, config))).toBe(true)
      })
    )
  )

  it.effect(
    "a write the use cases refuse leaves nothing of the file behind, its field named as in the file",
    () =>
      run(() =>
        Effect.gen(function* () {
          const before = yield* snapshot
          const input = fileInput()
          const config = yield* parse({
            ...input,
            workflows: [
              ...input.workflows!,
              { ...input.workflows![0]!, name: "Second", testerModels: ["acme:unknown"] }
            ]
          })
          const exit = yield* Effect.exit(ConfigApply.apply(editor, config))
          expect(fieldErrors(exit).map((f) => f.field)).toEqual(["workflows[1].testerModels[0]"])
          expect(yield* snapshot).toEqual(before)
        })
      )
  )
})

describe("operator changes the file does not mention", () => {
  it.effect("a monitor paused or muted by an operator stays so; a file that sets state wins", () =>
    run(() =>
      Effect.gen(function* () {
        const config = yield* parse(fileInput())
        yield* ConfigApply.apply(editor, config)
        const monitor = (yield* Effect.flatMap(MonitorStore, (m) => m.listMonitors(orgId))).find(
          (m) => m.name === "Weather answers"
        )!
        yield* Monitors.setState(editor, monitor.id, "paused")
        yield* Monitors.setMuted(editor, monitor.id, true)
        expect(ConfigApply.hasChanges(yield* ConfigApply.plan(editor, config))).toBe(false)
        const input = fileInput()
        const active = yield* parse({ ...input, monitors: [{ ...input.monitors![0]!, state: "active" }] })
        const step = (yield* ConfigApply.plan(editor, active)).steps.find((s) => s.name === "Weather answers")
        expect(step).toMatchObject({ action: "update", changes: ["state"] })
      })
    )
  )
})
