import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option, Redacted, TestClock } from "effect"
import * as Alerting from "../src/Alerting.js"
import type { ValidationFailed } from "../src/Errors.js"
import * as Monitors from "../src/Monitors.js"
import type { AlertSink } from "../src/ports/AlertSink.js"
import { AlertStore } from "../src/ports/AlertStore.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import { SecretStore } from "../src/ports/SecretStore.js"
import { ServerStore } from "../src/ports/ServerStore.js"
import * as Servers from "../src/Servers.js"
import {
  callerOf,
  connectorLayer,
  createOrder,
  type FakeServer,
  fakeServer,
  getOrder,
  orgId,
  refused,
  sinkLayer,
  sinkState,
  type TestServices,
  testLayer,
  weather
} from "./useCaseSupport.js"

const editor = callerOf("editor")
const admin = callerOf("admin")
/** The deployment's operator (config file, CLI): the only caller that may set stdio commands. */
const operator = { ...callerOf("owner"), operator: true }

const run = <A, E>(
  server: FakeServer,
  effect: Effect.Effect<A, E, TestServices<McpConnector | AlertSink>>,
  policy?: Layer.Layer<Servers.ServerPolicy>
) =>
  effect.pipe(
    Effect.provide(
      testLayer(Layer.mergeAll(connectorLayer(server), sinkLayer(sinkState()), policy ?? Layer.empty))
    )
  )

const fieldErrors = <A>(exit: Exit.Exit<A, unknown>) => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error =
    (exit.cause as { _tag: string; error?: ValidationFailed })._tag === "Fail"
      ? (exit.cause as any).error
      : null
  expect(error?._tag).toBe("ValidationFailed")
  return (error as ValidationFailed).fieldErrors
}

const base = { name: "Weather", baseUrl: "https://weather.example.com/mcp" }

describe("Servers.register", () => {
  it.effect("probes live and stores catalog version 1 on success", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const result = yield* Servers.register(editor, base)
        expect(result.probe).toEqual({ ok: true })
        expect(result.server.state).toBe("active")
        expect(result.server.transport).toBe("streamable_http")
        expect(result.catalog?.version).toBe(1)
        expect(result.catalog?.toolCount).toBe(3)
        expect(result.catalog?.serverInfo).toEqual({ name: "fake", version: "1.0.0" })
        // No profile given: a `none` profile named default.
        expect(result.authProfiles.map((p) => [p.name, p.kind])).toEqual([["default", "none"]])
      })
    )
  )

  it.effect("an unreachable server is still saved, unreachable, with the precise reason", () => {
    const server = fakeServer()
    server.failure = refused()
    return run(
      server,
      Effect.gen(function* () {
        const result = yield* Servers.register(editor, base)
        expect(result.probe.ok).toBe(false)
        expect(result.probe.error?.reason).toBe("connection_refused")
        expect(result.catalog).toBeUndefined()
        const saved = yield* Servers.get(editor, result.server.id)
        expect(saved.server.state).toBe("unreachable")
        expect(saved.server.lastProbeError).toMatch(/^connection_refused: .*ECONNREFUSED/)
        expect(saved.catalog).toBeNull()
      })
    )
  })

  it.effect("secrets go to the SecretStore and are never returned", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const result = yield* Servers.register(editor, {
          ...base,
          authProfiles: [
            { name: "token", kind: "bearer", token: "Bearer s3cr3t-bearer-value" },
            {
              name: "header",
              kind: "api_key_header",
              headerName: "X-Api-Key",
              headerValue: "s3cr3t-header-value"
            },
            {
              name: "oauth",
              kind: "oauth_client_credentials",
              tokenUrl: "https://auth.example.com/token",
              clientId: "client",
              clientSecret: "s3cr3t-client-secret",
              scopes: ["read"]
            }
          ]
        })
        const reads = [result, yield* Servers.get(editor, result.server.id), yield* Servers.list(editor)]
        for (const read of reads) {
          const text = JSON.stringify(read)
          expect(text).not.toContain("s3cr3t")
          expect(text).not.toContain("secretRef")
        }
        expect(result.authProfiles.every((p) => p.kind === "none" || p.hasSecret)).toBe(true)
        // The stored profile keeps only a reference; the value (prefix stripped) is in the SecretStore.
        const profiles = yield* Effect.flatMap(ServerStore, (s) =>
          s.listAuthProfiles(orgId, result.server.id)
        )
        const bearer = profiles.find((p) => p.kind === "bearer")!
        const secret = yield* Effect.flatMap(SecretStore, (s) => s.get(orgId, bearer.secretRef!))
        expect(Redacted.value(secret)).toBe("s3cr3t-bearer-value")
      })
    )
  )

  it.effect("stdio environment values are stored as secret references", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const result = yield* Servers.register(operator, {
          name: "Local",
          transport: "stdio",
          command: "node",
          args: ["server.js"],
          env: { API_TOKEN: "s3cr3t-env" }
        })
        expect(JSON.stringify(result)).not.toContain("s3cr3t-env")
        expect(result.server.env.API_TOKEN).toMatch(/^secret:/)
      })
    )
  )

  it.effect("credentials in extra headers or in a URL are refused with a pointer to auth profiles", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const headers = yield* Effect.exit(
          Servers.register(editor, {
            ...base,
            extraHeaders: {
              Authorization: "Bearer abc",
              cookie: "sid=1",
              "X-API-Key": "k",
              "Proxy-Authorization": "Basic eA==",
              "X-Auth-Token": "t",
              "X-Team": "core",
              "Idempotency-Key": "fine"
            }
          })
        )
        const errors = fieldErrors(headers)
        expect(errors.map((f) => f.field)).toEqual([
          "extraHeaders.Authorization",
          "extraHeaders.cookie",
          "extraHeaders.X-API-Key",
          "extraHeaders.Proxy-Authorization",
          "extraHeaders.X-Auth-Token"
        ])
        expect(errors[0]!.message).toContain("auth profile")
        const url = yield* Effect.exit(
          Servers.register(editor, { ...base, baseUrl: "https://user:pa55@weather.example.com/mcp" })
        )
        expect(fieldErrors(url)).toEqual([
          { field: "baseUrl", message: expect.stringContaining("must not contain credentials") }
        ])
        expect((yield* Servers.list(editor)).items).toEqual([])
      })
    )
  )

  it.effect(
    "a URL the address guard refuses is a 400 naming the field; nothing is saved or contacted",
    () => {
      const server = fakeServer()
      return run(
        server,
        Effect.gen(function* () {
          const metadata = "https://169.254.169.254/mcp"
          const exit = yield* Effect.exit(Servers.register(editor, { ...base, baseUrl: metadata }))
          expect(fieldErrors(exit)).toEqual([
            { field: "baseUrl", message: expect.stringContaining("address guard") }
          ])
          const oauth = yield* Effect.exit(
            Servers.register(editor, {
              ...base,
              authProfiles: [
                {
                  name: "m2m",
                  kind: "oauth_client_credentials",
                  tokenUrl: metadata,
                  clientId: "c",
                  clientSecret: "s"
                }
              ]
            })
          )
          expect(fieldErrors(oauth).map((f) => f.field)).toEqual(["authProfiles[0].tokenUrl"])
          expect((yield* Servers.list(editor)).items).toEqual([])
          expect(server.connects).toBe(0)

          const { server: saved } = yield* Servers.register(editor, base)
          const moved = yield* Effect.exit(Servers.update(editor, saved.id, { baseUrl: metadata }))
          expect(fieldErrors(moved).map((f) => f.field)).toEqual(["baseUrl"])
          expect((yield* Servers.get(editor, saved.id)).server.baseUrl).toBe(base.baseUrl)
        })
      )
    }
  )

  it.effect("extraHeaders must be an object of string values", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          Servers.register(editor, { ...base, extraHeaders: { "X-Team": "core", "X-Count": 3 } })
        )
        expect(fieldErrors(exit).map((f) => f.field)).toEqual(["extraHeaders.X-Count"])
      })
    )
  )

  it.effect("kind-specific auth fields are required and named by path", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          Servers.register(editor, {
            ...base,
            authProfiles: [
              { name: "a", kind: "bearer", token: "Bearer " },
              { name: "b", kind: "api_key_header", headerValue: "x" },
              { name: "c", kind: "oauth_client_credentials", tokenUrl: "not a url", clientId: "id" },
              { name: "d", kind: "none", token: "stray" }
            ]
          })
        )
        expect(
          fieldErrors(exit)
            .map((f) => f.field)
            .sort()
        ).toEqual([
          "authProfiles[0].token",
          "authProfiles[1].headerName",
          "authProfiles[2].clientSecret",
          "authProfiles[2].tokenUrl",
          "authProfiles[3].token"
        ])
      })
    )
  )

  it.effect("baseUrl is required and must be https unless loopback", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const missing = yield* Effect.exit(Servers.register(editor, { name: "x" }))
        expect(fieldErrors(missing)).toEqual([
          { field: "baseUrl", message: "is required for the streamable_http transport" }
        ])
        const insecure = yield* Effect.exit(
          Servers.register(editor, { name: "x", baseUrl: "http://example.com/mcp" })
        )
        expect(fieldErrors(insecure).map((f) => f.field)).toEqual(["baseUrl"])
        const invalid = yield* Effect.exit(Servers.register(editor, { name: "x", baseUrl: "example" }))
        expect(fieldErrors(invalid).map((f) => f.field)).toEqual(["baseUrl"])
        for (const [i, url] of [
          "http://localhost:3000/mcp",
          "http://127.0.0.2/mcp",
          "http://[::1]:8080/mcp"
        ].entries()) {
          const ok = yield* Servers.register(editor, { name: `local ${i}`, baseUrl: url })
          expect(ok.server.baseUrl).toBe(url)
        }
      })
    )
  )

  it.effect("ServerPolicy.allowInsecureHttp allows plain http anywhere", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const ok = yield* Servers.register(editor, { name: "x", baseUrl: "http://mcp.internal:8080/mcp" })
        expect(ok.server.state).toBe("active")
      }),
      Layer.succeed(Servers.ServerPolicy, { allowInsecureHttp: true, probeTimeoutMs: 30_000 })
    )
  )

  it.effect("viewers cannot register", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const exit = yield* Effect.exit(Servers.register(callerOf("viewer"), base))
        expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("ForbiddenRole")
      })
    )
  )

  it.effect(
    "a name taken by another server, ignoring case and space, is a 409 conflict naming the field",
    () =>
      run(
        fakeServer(),
        Effect.gen(function* () {
          yield* Servers.register(editor, base)
          const exit = yield* Effect.exit(Servers.register(editor, { ...base, name: "  WEATHER " }))
          const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : null
          expect(error?._tag).toBe("Conflict")
          expect(error?._tag === "Conflict" && error.fieldErrors.map((f) => f.field)).toEqual(["name"])
        })
      )
  )

  it.effect("a blank name is refused as stored (trimmed), and nothing is written", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const exit = yield* Effect.exit(Servers.register(editor, { ...base, name: " \t " }))
        expect(fieldErrors(exit)).toEqual([{ field: "name", message: "must not be empty or only spaces" }])
        expect((yield* Servers.list(editor)).items).toEqual([])
        const { server } = yield* Servers.register(editor, { ...base, name: "  Weather  " })
        expect(server.name).toBe("Weather")
      })
    )
  )
})

describe("Servers.addAuthProfile", () => {
  it.effect("adds a profile, returning a view without the secret", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server } = yield* Servers.register(editor, base)
        const view = yield* Servers.addAuthProfile(editor, server.id, {
          name: "ci",
          kind: "bearer",
          token: "s3cr3t-x"
        })
        expect(view).toMatchObject({ name: "ci", kind: "bearer", hasSecret: true })
        expect(JSON.stringify(view)).not.toContain("s3cr3t")
        const exit = yield* Effect.exit(
          Servers.addAuthProfile(editor, server.id, { name: "ci", kind: "none" })
        )
        expect(fieldErrors(exit).map((f) => f.field)).toEqual(["name"])
      })
    )
  )
})

describe("Servers.replaceAuthProfileSecret", () => {
  const profileOf = (serverId: string, id: string) =>
    Effect.flatMap(ServerStore, (s) => s.getAuthProfile(orgId, id)).pipe(
      Effect.map(Option.getOrThrow),
      Effect.tap((p) => expect(p.serverId).toBe(serverId))
    )
  const secretOf = (ref: string) =>
    Effect.flatMap(SecretStore, (s) => s.get(orgId, ref)).pipe(Effect.map(Redacted.value))

  it.effect("stores the new secret, deletes the old one and changes nothing else", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server } = yield* Servers.register(editor, base)
        const added = yield* Servers.addAuthProfile(editor, server.id, {
          name: "ci",
          kind: "api_key_header",
          headerName: "X-Api-Key",
          headerValue: "old-value-1"
        })
        const before = yield* profileOf(server.id, added.id)
        const view = yield* Servers.replaceAuthProfileSecret(editor, server.id, added.id, {
          headerValue: "new-value-2"
        })
        expect(view).toEqual(added)
        expect(JSON.stringify(view)).not.toContain("new-value")
        const after = yield* profileOf(server.id, added.id)
        expect({ ...after, secretRef: null }).toEqual({ ...before, secretRef: null })
        expect(after.secretRef).not.toBe(before.secretRef)
        expect(yield* secretOf(after.secretRef!)).toBe("new-value-2")
        expect((yield* Effect.flip(secretOf(before.secretRef!)))._tag).toBe("SecretNotFound")
      })
    )
  )

  it.effect("checks the secret by its kind's rules, naming the field; nothing changes on refusal", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server } = yield* Servers.register(editor, {
          ...base,
          authProfiles: [
            { name: "public", kind: "none" },
            { name: "ci", kind: "bearer", token: "old-token-1" }
          ]
        })
        const [none, bearer] = yield* Effect.flatMap(ServerStore, (s) => s.listAuthProfiles(orgId, server.id))
        const refuse = (id: string, input: unknown) =>
          Effect.exit(Servers.replaceAuthProfileSecret(editor, server.id, id, input)).pipe(
            Effect.map(fieldErrors)
          )
        expect((yield* refuse(bearer!.id, { token: "Bearer " })).map((f) => f.field)).toEqual(["token"])
        expect((yield* refuse(bearer!.id, { headerValue: "x" })).map((f) => f.field)).toEqual([
          "headerValue",
          "token"
        ])
        expect((yield* refuse(bearer!.id, { token: 42 })).map((f) => f.field)).toEqual(["token"])
        expect((yield* refuse(none!.id, {})).map((f) => f.field)).toEqual(["kind"])
        expect(yield* secretOf((yield* profileOf(server.id, bearer!.id)).secretRef!)).toBe("old-token-1")
      })
    )
  )

  it.effect("needs an editor, and a profile of that server", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server } = yield* Servers.register(editor, {
          ...base,
          authProfiles: [{ name: "ci", kind: "bearer", token: "old-token-1" }]
        })
        const { server: other } = yield* Servers.register(editor, { ...base, name: "Other" })
        const [profile] = yield* Effect.flatMap(ServerStore, (s) => s.listAuthProfiles(orgId, server.id))
        const input = { token: "new-token-2" }
        const viewer = callerOf("viewer")
        expect(
          (yield* Effect.flip(Servers.replaceAuthProfileSecret(viewer, server.id, profile!.id, input)))._tag
        ).toBe("ForbiddenRole")
        const elsewhere = yield* Effect.flip(
          Servers.replaceAuthProfileSecret(editor, other.id, profile!.id, input)
        )
        expect(elsewhere).toMatchObject({ _tag: "NotFound", entity: "auth_profile" })
        expect(yield* secretOf((yield* profileOf(server.id, profile!.id)).secretRef!)).toBe("old-token-1")
      })
    )
  )
})

describe("who may set a stdio command (it starts a process on the host)", () => {
  const shell = { name: "Shell", transport: "stdio", command: "sh", args: ["-c", "id"] }
  const owner = callerOf("owner")
  const optIn = (commands: ReadonlyArray<string>) =>
    Layer.succeed(Servers.ServerPolicy, {
      allowInsecureHttp: false,
      probeTimeoutMs: 30_000,
      apiStdioCommands: commands
    })
  const failure = <A>(exit: Exit.Exit<A, unknown>) =>
    Exit.isFailure(exit) && exit.cause._tag === "Fail" ? (exit.cause.error as { code: string }) : null
  const stored = Effect.flatMap(ServerStore, (s) => s.listServers(orgId))

  it.effect("only the operator registers one, and it is approved to launch", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        for (const caller of [editor, admin, owner]) {
          const exit = yield* Effect.exit(Servers.register(caller, shell))
          expect(failure(exit)?.code).toBe("stdio_not_allowed")
        }
        expect(yield* stored).toEqual([])
        const { server } = yield* Servers.register(operator, shell)
        expect(server.launchApproved).toBe(true)
        const http = yield* Servers.register(operator, base)
        expect(http.server.launchApproved).toBe(false)
      })
    )
  )

  it.effect("API callers can neither change a stdio server nor turn a server into one", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server: local } = yield* Servers.register(operator, shell)
        const { server: remote } = yield* Servers.register(editor, base)
        const before = yield* stored
        for (const [id, patch] of [
          [local.id, { args: ["-c", "cat /etc/passwd"] }],
          [local.id, { transport: "streamable_http", baseUrl: "https://x.example.com/mcp" }],
          [remote.id, { transport: "stdio", command: "sh" }]
        ] as const) {
          expect(failure(yield* Effect.exit(Servers.update(owner, id, patch)))?.code).toBe(
            "stdio_not_allowed"
          )
        }
        expect(yield* stored).toEqual(before)
      })
    )
  )

  it.effect("with the operator's allow-list, owners register listed commands only", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const listed = { ...shell, command: "mcp-weather" }
        expect(failure(yield* Effect.exit(Servers.register(editor, listed)))?.code).toBe("forbidden_role")
        const unlisted = yield* Effect.exit(Servers.register(owner, shell))
        expect(failure(unlisted)?.code).toBe("stdio_not_allowed")
        expect(yield* stored).toEqual([])
        const { server } = yield* Servers.register(owner, listed)
        expect(server.launchApproved).toBe(true)
        const changed = yield* Effect.exit(Servers.update(owner, server.id, { command: "sh" }))
        expect(failure(changed)?.code).toBe("stdio_not_allowed")
      }),
      optIn(["mcp-weather"])
    )
  )
})

describe("Servers.update", () => {
  const stdio = {
    name: "Local",
    transport: "stdio",
    command: "node",
    args: ["server.js"],
    env: { API_TOKEN: "s3cr3t-one", REGION: "eu" }
  }
  const secretValue = (ref: string) =>
    Effect.flatMap(SecretStore, (s) => s.get(orgId, ref.slice("secret:".length))).pipe(
      Effect.map(Redacted.value)
    )

  it.effect("a new URL is stored and probed again with a fresh session", () => {
    const server = fakeServer()
    return run(
      server,
      Effect.gen(function* () {
        yield* TestClock.setTime(1_000)
        const { server: s } = yield* Servers.register(editor, base)
        yield* TestClock.setTime(2_000)
        const connects = server.connects
        const result = yield* Servers.update(editor, s.id, { baseUrl: "https://weather.example.org/mcp" })
        expect(server.connects).toBe(connects + 1)
        expect(result.probe).toEqual({ ok: true })
        expect(result.server).toMatchObject({
          id: s.id,
          name: "Weather",
          transport: "streamable_http",
          baseUrl: "https://weather.example.org/mcp",
          state: "active"
        })
        expect(result.server.updatedAt.getTime()).toBe(2_000)
        expect(result.server.createdAt.getTime()).toBe(1_000)
        const saved = yield* Servers.get(editor, s.id)
        expect(saved.server.baseUrl).toBe("https://weather.example.org/mcp")
        // Profiles are kept; the catalog is not versioned again by a probe.
        expect(saved.authProfiles.map((p) => p.name)).toEqual(["default"])
        expect(saved.catalog?.version).toBe(1)

        // The re-probe reports an unreachable new address and marks the server so.
        server.failure = refused()
        const down = yield* Servers.update(editor, s.id, { baseUrl: "https://down.example.org/mcp" })
        expect(down.probe).toMatchObject({ ok: false, error: { reason: "connection_refused" } })
        const after = yield* Servers.get(editor, s.id)
        expect(after.server.state).toBe("unreachable")
        expect(after.server.baseUrl).toBe("https://down.example.org/mcp")
      })
    )
  })

  it.effect("an invalid URL is a field error and leaves the stored server as it was", () => {
    const server = fakeServer()
    return run(
      server,
      Effect.gen(function* () {
        const { server: s } = yield* Servers.register(editor, base)
        const stored = (yield* Servers.get(editor, s.id)).server
        const connects = server.connects
        for (const baseUrl of ["not a url", "http://example.com/mcp", "ftp://example.com/mcp", null]) {
          const exit = yield* Effect.exit(Servers.update(editor, s.id, { baseUrl }))
          expect(fieldErrors(exit).map((f) => f.field)).toEqual(["baseUrl"])
        }
        const headers = yield* Effect.exit(
          Servers.update(editor, s.id, { extraHeaders: { "Bad Header": "x" } })
        )
        expect(fieldErrors(headers).map((f) => f.field)).toEqual(["extraHeaders.Bad Header"])
        // Settings of another transport are refused, as at registration.
        const stray = yield* Effect.exit(Servers.update(editor, s.id, { args: ["x"], env: { A: "b" } }))
        expect(
          fieldErrors(stray)
            .map((f) => f.field)
            .sort()
        ).toEqual(["args", "env"])
        const shape = yield* Effect.exit(Servers.update(editor, s.id, { baseUrl: 42 }))
        expect(new Set(fieldErrors(shape).map((f) => f.field))).toEqual(new Set(["baseUrl"]))
        expect((yield* Servers.get(editor, s.id)).server).toEqual(stored)
        expect(server.connects).toBe(connects)
      })
    )
  })

  it.effect("stdio environment values become secret references; replaced ones are deleted", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server: s } = yield* Servers.register(operator, stdio)
        const before = s.env
        expect(yield* secretValue(before.API_TOKEN!)).toBe("s3cr3t-one")

        // A changed value and a kept reference (as a client sends back what it read).
        const result = yield* Servers.update(operator, s.id, {
          env: { API_TOKEN: "s3cr3t-two", REGION: before.REGION!, DEBUG: "1" }
        })
        expect(JSON.stringify(result)).not.toContain("s3cr3t")
        const env = result.server.env
        expect(Object.values(env).every((v) => v.startsWith("secret:"))).toBe(true)
        expect(env.REGION).toBe(before.REGION)
        expect(env.API_TOKEN).not.toBe(before.API_TOKEN)
        expect(yield* secretValue(env.API_TOKEN!)).toBe("s3cr3t-two")
        expect(yield* secretValue(env.DEBUG!)).toBe("1")
        expect(yield* secretValue(env.REGION!)).toBe("eu")
        const replaced = yield* Effect.exit(secretValue(before.API_TOKEN!))
        expect(Exit.isFailure(replaced) && JSON.stringify(replaced.cause)).toContain("SecretNotFound")

        // Dropping a key deletes its secret; leaving env out keeps the environment.
        const dropped = yield* Servers.update(operator, s.id, { env: { API_TOKEN: env.API_TOKEN! } })
        expect(Object.keys(dropped.server.env)).toEqual(["API_TOKEN"])
        expect(Exit.isFailure(yield* Effect.exit(secretValue(env.REGION!)))).toBe(true)
        expect(Exit.isFailure(yield* Effect.exit(secretValue(env.DEBUG!)))).toBe(true)
        const args = yield* Servers.update(operator, s.id, { args: ["server.js", "--verbose"] })
        expect(args.server.env).toEqual(dropped.server.env)
        expect(args.server.args).toEqual(["server.js", "--verbose"])
        expect(yield* secretValue(env.API_TOKEN!)).toBe("s3cr3t-two")
      })
    )
  )

  it.effect("a secret reference of another record cannot be adopted, so it is never deleted by mistake", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server: a } = yield* Servers.register(operator, stdio)
        const { server: b } = yield* Servers.register(operator, { ...stdio, name: "Other", env: {} })
        const foreignRef = a.env.API_TOKEN!
        const adopted = yield* Effect.exit(Servers.update(operator, b.id, { env: { STOLEN: foreignRef } }))
        expect(fieldErrors(adopted).map((f) => f.field)).toEqual(["env.STOLEN"])
        const registered = yield* Effect.exit(
          Servers.register(operator, { ...stdio, name: "Third", env: { STOLEN: foreignRef } })
        )
        expect(fieldErrors(registered).map((f) => f.field)).toEqual(["env.STOLEN"])
        // Server A's secret is intact and still its own.
        expect(yield* secretValue(foreignRef)).toBe("s3cr3t-one")
        expect((yield* Servers.get(operator, b.id)).server.env).toEqual({})
      })
    )
  )

  it.effect("switching transport drops the settings of the old one and deletes its secrets", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server: s } = yield* Servers.register(operator, stdio)
        const missing = yield* Effect.exit(Servers.update(operator, s.id, { transport: "streamable_http" }))
        expect(fieldErrors(missing).map((f) => f.field)).toEqual(["baseUrl"])
        const http = yield* Servers.update(operator, s.id, {
          transport: "streamable_http",
          baseUrl: "https://local.example.com/mcp"
        })
        expect(http.server).toMatchObject({
          transport: "streamable_http",
          baseUrl: "https://local.example.com/mcp",
          command: null,
          args: [],
          env: {}
        })
        expect(Exit.isFailure(yield* Effect.exit(secretValue(s.env.API_TOKEN!)))).toBe(true)
        const back = yield* Servers.update(operator, s.id, { transport: "stdio", command: "python" })
        expect(back.server).toMatchObject({ transport: "stdio", baseUrl: null, command: "python" })
      })
    )
  )

  it.effect("an unknown server is not found; viewers are refused", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const missing = yield* Effect.exit(
          Servers.update(editor, "00000000-0000-4000-8000-00000000ffff", { baseUrl: "https://x.example.com" })
        )
        expect(Exit.isFailure(missing) && JSON.stringify(missing.cause)).toContain("NotFound")
        const { server: s } = yield* Servers.register(editor, base)
        // Another organization's caller does not see it either.
        const foreign = yield* Effect.exit(
          Servers.update(callerOf("editor", "00000000-0000-4000-8000-0000000000bb"), s.id, {
            baseUrl: "https://x.example.com"
          })
        )
        expect(Exit.isFailure(foreign) && JSON.stringify(foreign.cause)).toContain("NotFound")
        const refusedExit = yield* Effect.exit(
          Servers.update(callerOf("viewer"), s.id, { baseUrl: "https://x.example.com" })
        )
        expect(Exit.isFailure(refusedExit) && JSON.stringify(refusedExit.cause)).toContain("ForbiddenRole")
        expect((yield* Servers.get(editor, s.id)).server.baseUrl).toBe(base.baseUrl)
      })
    )
  )
})

describe("Servers.sync", () => {
  it.effect("stores version n+1 only when the hash changes, with drift and affected monitors", () => {
    const server = fakeServer([weather, createOrder, getOrder])
    return run(
      server,
      Effect.gen(function* () {
        const { server: s } = yield* Servers.register(editor, base)
        const monitor = yield* Monitors.create(editor, {
          name: "order",
          mcpServerId: s.id,
          toolName: "get_order",
          arguments: { id: "1" }
        })
        const same = yield* Servers.sync(admin, s.id)
        expect(same).toMatchObject({ catalogVersion: 1, added: [], removed: [], changed: [] })

        server.tools = [
          weather,
          createOrder,
          { ...getOrder, inputSchema: { ...getOrder.inputSchema, required: ["id", "expand"] } }
        ]
        const connectsBefore = server.connects
        const result = yield* Servers.sync(admin, s.id)
        // Every sync is a fresh session.
        expect(server.connects).toBe(connectsBefore + 1)
        expect(result.catalogVersion).toBe(2)
        expect(result.changed.map((c) => [c.tool, c.classification])).toEqual([["get_order", "breaking"]])
        expect(result.affectedMonitors).toEqual([
          { monitorId: monitor.id, name: "order", tools: ["get_order"] }
        ])
        // Read later from the catalog history, the same change affects the same tests.
        const history = yield* Servers.catalog(callerOf("viewer"), s.id)
        const [impact] = yield* Servers.driftImpacts(callerOf("viewer"), s.id, [history.history[0]!.diff!])
        expect(impact!.affectedMonitors).toEqual(result.affectedMonitors)
        expect(
          (yield* Effect.flip(Servers.driftImpacts(callerOf("viewer"), "nope", [history.history[0]!.diff!])))
            .code
        ).toBe("mcp_server_not_found")

        server.tools = [weather, getOrder]
        const removed = yield* Servers.sync(admin, s.id)
        expect(removed).toMatchObject({ catalogVersion: 3, removed: ["create_order"] })
      })
    )
  })

  it.effect("a breaking drift fires the server's drift_breaking rules", () => {
    const server = fakeServer()
    return run(
      server,
      Effect.gen(function* () {
        const { server: s } = yield* Servers.register(editor, base)
        yield* Alerting.createRule(editor, {
          name: "Drift",
          target: { type: "mcp_server", id: s.id },
          destination: { type: "email", address: "ops@example.com" }
        })
        server.tools = [weather]
        yield* Servers.sync(admin, s.id)
        const outbox = yield* Effect.flatMap(AlertStore, (a) => a.listOutbox(orgId))
        expect(outbox).toHaveLength(1)
        expect(outbox[0]!.message).toMatchObject({
          kind: "firing",
          outcome: "drift_breaking",
          objectName: "Weather"
        })
        expect(outbox[0]!.message.summary).toContain("create_order: tool removed")
        expect(outbox[0]!.message).toMatchObject({
          target: { type: "mcp_server", id: s.id, name: "Weather" },
          server: { id: s.id, name: "Weather" }
        })
      })
    )
  })

  it.effect("a revert is a recovery: restored names the version, ends the drift and pages no drift", () => {
    const server = fakeServer()
    return run(
      server,
      Effect.gen(function* () {
        const { server: s } = yield* Servers.register(editor, base)
        const rule = yield* Alerting.createRule(editor, {
          name: "Drift",
          target: { type: "mcp_server", id: s.id },
          destination: { type: "email", address: "ops@example.com" },
          on: ["drift_breaking"]
        })
        server.tools = [weather, getOrder]
        const broken = yield* Servers.sync(admin, s.id)
        expect(broken).toMatchObject({ catalogVersion: 2, removed: ["create_order"], restoredVersion: null })
        expect((yield* Alerting.getRule(editor, rule.id)).status).toMatch(/^Firing since/)

        // Putting the tool back removes nothing, yet it is the old catalog again: a recovery.
        server.tools = [weather, createOrder, getOrder]
        const reverted = yield* Servers.sync(admin, s.id)
        expect(reverted).toMatchObject({ catalogVersion: 3, added: ["create_order"], restoredVersion: 1 })
        const outbox = yield* Effect.flatMap(AlertStore, (a) => a.listOutbox(orgId))
        expect(outbox.map((m) => [m.message.kind, m.message.outcome])).toEqual([
          ["firing", "drift_breaking"],
          ["recovery", "restored"]
        ])
        expect(outbox[1]!.message).toMatchObject({
          subject: "[Armature] Drift: Weather recovered",
          summary: expect.stringContaining("identical to version 1"),
          firingSince: outbox[0]!.message.at
        })
        expect((yield* Alerting.getRule(editor, rule.id)).status).toMatch(/^Last fired/)
      })
    )
  })

  it.effect(
    "a further breaking drift while firing fires again; a revert to a broken state ends nothing",
    () => {
      const server = fakeServer()
      const stricter = { ...getOrder, inputSchema: { ...getOrder.inputSchema, required: ["id", "expand"] } }
      return run(
        server,
        Effect.gen(function* () {
          const { server: s } = yield* Servers.register(editor, base)
          yield* Alerting.createRule(editor, {
            name: "Drift",
            target: { type: "mcp_server", id: s.id },
            destination: { type: "email", address: "ops@example.com" }
          })
          const kinds = Effect.map(
            Effect.flatMap(AlertStore, (a) => a.listOutbox(orgId)),
            (rows) => rows.map((m) => `${m.message.kind} ${m.message.outcome}`)
          )
          server.tools = [weather, getOrder] // v2: create_order removed
          yield* Servers.sync(admin, s.id)
          server.tools = [weather, stricter] // v3: get_order needs `expand` too
          yield* Servers.sync(admin, s.id)
          expect(yield* kinds).toEqual(["firing drift_breaking", "firing drift_breaking"])
          // Back to v2: still broken compared with v1, and already alerted on.
          server.tools = [weather, getOrder]
          expect((yield* Servers.sync(admin, s.id)).restoredVersion).toBe(2)
          expect(yield* kinds).toHaveLength(2)
          // Back to v1: the drift is over.
          server.tools = [weather, createOrder, getOrder]
          expect((yield* Servers.sync(admin, s.id)).restoredVersion).toBe(1)
          expect(yield* kinds).toEqual([
            "firing drift_breaking",
            "firing drift_breaking",
            "recovery restored"
          ])
        })
      )
    }
  )

  it.effect("an unreachable server fails with server_unreachable and is marked unreachable", () => {
    const server = fakeServer()
    return run(
      server,
      Effect.gen(function* () {
        const { server: s } = yield* Servers.register(editor, base)
        server.failure = refused()
        const exit = yield* Effect.exit(Servers.sync(admin, s.id))
        expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("connection_refused")
        const after = yield* Effect.flatMap(ServerStore, (st) => st.getServer(orgId, s.id))
        expect(Option.getOrThrow(after).state).toBe("unreachable")
      })
    )
  })

  it.effect("sync needs the admin role", () =>
    run(
      fakeServer(),
      Effect.gen(function* () {
        const { server } = yield* Servers.register(editor, base)
        const exit = yield* Effect.exit(Servers.sync(editor, server.id))
        expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("ForbiddenRole")
      })
    )
  )
})

describe("Servers.catalog", () => {
  it.effect("returns the latest version and the history newest first with diffs", () => {
    const server = fakeServer([weather])
    return run(
      server,
      Effect.gen(function* () {
        const { server: s } = yield* Servers.register(editor, base)
        server.tools = [weather, getOrder]
        yield* Servers.sync(admin, s.id)
        const { latest, history } = yield* Servers.catalog(callerOf("viewer"), s.id)
        expect(latest?.version).toBe(2)
        expect(history.map((h) => h.version)).toEqual([2, 1])
        expect(history[0]!.diff?.added).toEqual(["get_order"])
        expect(history[1]!.diff).toBeNull()
      })
    )
  })
})
