/**
 * `secret:<ref>` values in a stdio server's environment are resolved through the SecretStore
 * before the process is spawned; the stored server record only ever holds the reference.
 */
import { McpConnector } from "@armature/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { connectorLayer, server, stdioFixture } from "./helpers.js"

describe("stdio environment secrets", () => {
  it.effect("a secret:<ref> value reaches the process as the secret itself", () =>
    Effect.gen(function* () {
      const connector = yield* McpConnector
      // The fixture crashes on its first call only when FIXTURE_FAULT is literally `crash`: an
      // unresolved `secret:fault` would leave it healthy.
      const session = yield* connector.connect(stdioFixture({ FIXTURE_FAULT: "secret:fault" }), null)
      const e = yield* Effect.flip(session.callTool("list_products", {}, { timeoutMs: 5000 }))
      expect(e.kind).toBe("transport")
    }).pipe(Effect.scoped, Effect.provide(connectorLayer({ fault: "crash" })))
  )

  it.effect("a missing reference fails before spawning, as auth_rejected naming the variable", () =>
    Effect.gen(function* () {
      const connector = yield* McpConnector
      // Spawning this command would fail as `transport`; resolution fails first.
      const srv = server({
        transport: "stdio",
        launchApproved: true,
        command: "/nonexistent/armature-mcp",
        env: { PLAIN: "value", API_TOKEN: "secret:missing-ref" }
      })
      const e = yield* Effect.flip(connector.connect(srv, null))
      expect(e._tag).toBe("ServerUnreachable")
      expect(e.reason).toBe("auth_rejected")
      expect(e.message).toContain("API_TOKEN")
    }).pipe(Effect.scoped, Effect.provide(connectorLayer()))
  )
})
