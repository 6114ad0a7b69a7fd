/**
 * A consumer of the published packages, in plain JavaScript: Armature monitoring itself.
 *
 * On embedded PGlite (in memory, with a secret key), it bootstraps an organization, serves the
 * agent-facing MCP API (`@armature/mcp-api`) on 127.0.0.1, registers that endpoint as an MCP server
 * with the owner's key as its bearer secret (encrypted by the store), creates a monitor of its
 * `get_organization_health` tool with an assertion, runs one check through the runner and records
 * it. Along the way it renders the check as a Slack alert (`@armature/alerts`), and reads the
 * server's configuration (`@armature/server`) and its REST contract (`@armature/server/api`).
 * No language model is configured: the MCP API needs the port, this check no model.
 *
 * Prints one JSON line: `{ ok, ... }`, `ok` true when the check passed and every step held.
 */
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import { SlackMessage } from "@armature/alerts"
import { ApiKeys, IdsLayer, Monitors, profilesInOrder, ServerStore, Servers, Team } from "@armature/core"
import { McpHttp } from "@armature/mcp-api"
import { McpConnector, Models, MonitorCheck, SessionPool } from "@armature/runner"
import { ServerConfig } from "@armature/server"
import { ArmatureApi } from "@armature/server/api"
import { PgSecretStore, PgStore } from "@armature/store-postgres"
import { OpenApi } from "@effect/platform"
import { ConfigProvider, Effect, Either, Layer, Logger, LogLevel, ManagedRuntime, Option } from "effect"

const secretKey = Either.getOrThrow(PgSecretStore.parseKey(randomBytes(32).toString("base64")))

// Everything the use cases, the MCP API and the runner need, on one in-memory database.
const runtime = ManagedRuntime.make(
  Layer.mergeAll(SessionPool.layer(), Models.layer({}), IdsLayer.layer).pipe(
    Layer.provideMerge(McpConnector.layer({ allowLoopback: true })),
    Layer.provideMerge(PgStore.layerPglite({ secretKeys: [secretKey] })),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
)

/** Serves a `fetch`-style handler on 127.0.0.1 through node:http. */
const listen = (handle) =>
  new Promise((resolve) => {
    const server = createServer(async (req, res) => {
      const chunks = []
      for await (const chunk of req) chunks.push(chunk)
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : [])),
        ...(body === undefined ? {} : { body })
      })
      const response = await handle(request)
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.end(Buffer.from(await response.arrayBuffer()))
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}/mcp`, close: () => server.close() })
    )
  })

const mcp = await listen(McpHttp.toWebHandler(runtime, { allowedOrigins: [] }))

const program = Effect.gen(function* () {
  const boot = yield* Team.bootstrap({
    orgName: "Consumer",
    ownerEmail: "owner@example.com",
    ownerName: "Owner"
  })
  if (!boot.created) return yield* Effect.dieMessage("a fresh database had an organization")
  const auth = yield* ApiKeys.authenticate(boot.token)
  const caller = { orgId: auth.orgId, actor: auth.actor }

  const registered = yield* Servers.register(caller, {
    name: "Armature MCP API",
    baseUrl: mcp.url,
    authProfiles: [{ name: "owner key", kind: "bearer", token: boot.token }]
  })
  const monitor = yield* Monitors.create(caller, {
    name: "Organization health answers",
    mcpServerId: registered.server.id,
    toolName: "get_organization_health",
    assertions: [{ type: "jsonPath", path: "$.windowDays", equals: 7 }],
    timeoutMs: 20_000
  })

  const store = yield* ServerStore
  const server = Option.getOrThrow(yield* store.getServer(caller.orgId, monitor.mcpServerId))
  const profiles = yield* store.listAuthProfiles(caller.orgId, server.id)
  const catalog = Option.getOrNull(yield* store.latestCatalog(caller.orgId, server.id))
  const check = yield* MonitorCheck.execute({
    monitor,
    server,
    profile: profiles.find((p) => p.id === monitor.authProfileId) ?? profilesInOrder(profiles)[0] ?? null,
    scheduledAt: new Date(),
    ...(catalog === null ? {} : { tools: catalog.tools })
  })
  const recorded = yield* Monitors.recordCheck(check)
  const stored = yield* Monitors.checks(caller, monitor.id)

  const slack = SlackMessage.render({
    kind: check.outcome === "pass" ? "recovery" : "firing",
    ruleName: "Consumer check",
    subject: `${monitor.name}: ${check.outcome}`,
    objectName: monitor.name,
    outcome: check.outcome,
    summary: check.error ?? "answered",
    link: null,
    at: check.startedAt
  })
  const config = yield* ServerConfig.config.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["PORT", "0"]])))
  )
  const paths = Object.keys(OpenApi.fromApi(ArmatureApi).paths)

  return {
    ok:
      registered.probe.ok &&
      check.outcome === "pass" &&
      recorded.recorded &&
      stored.length === 1 &&
      slack.text.includes(monitor.name) &&
      config.port === 0 &&
      ServerConfig.isEmbedded(config) &&
      paths.some((p) => p.endsWith("/monitors")),
    probe: registered.probe,
    tools: registered.catalog?.toolCount ?? null,
    outcome: check.outcome,
    attempts: check.attempts,
    error: check.error,
    storedChecks: stored.length,
    slackText: slack.text,
    restPaths: paths.length
  }
})

try {
  console.log(JSON.stringify(await runtime.runPromise(program)))
} finally {
  await runtime.dispose()
  mcp.close()
}
