import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { createServer as createHttpServer, type Server } from "node:http"
import { createServer as createHttpsServer } from "node:https"
import { createServer as createTcpServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { McpConnector, type McpServer, type ServerUnreachable } from "@armature/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import * as Ssrf from "../src/internal/ssrf.js"
import * as Connector from "../src/McpConnector.js"
import { type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { startSseFixture } from "./fixtures/sseServer.js"
import { connectorLayer, profile, secretsLayer, server, stdioFixture } from "./helpers.js"

const listen = (s: Server) =>
  new Promise<number>((r) => s.listen(0, "127.0.0.1", () => r((s.address() as { port: number }).port)))

/** The reason a connect fails with (or "connected"). */
const connectReason = (srv: McpServer, layer = connectorLayer(), timeoutMs = 2000) =>
  Effect.gen(function* () {
    const connector = yield* McpConnector
    const result = yield* Effect.either(connector.connect(srv, null, { connectTimeoutMs: timeoutMs }))
    return Either.match(result, {
      onLeft: (e: ServerUnreachable) => ({ reason: e.reason, status: e.httpStatus, message: e.message }),
      onRight: () => ({ reason: "connected" as const, status: undefined, message: "" })
    })
  }).pipe(Effect.scoped, Effect.provide(layer))

describe("McpConnector over Streamable HTTP", () => {
  let fixture: Fixture
  beforeAll(async () => {
    fixture = await startFixture()
  })
  afterAll(() => fixture.close())
  const srv = () => server({ baseUrl: fixture.url })

  it.effect("initializes, lists every tool and calls one", () =>
    Effect.gen(function* () {
      const connector = yield* McpConnector
      const session = yield* connector.connect(srv(), null)
      expect(session.serverInfo).toEqual({ name: "fixture-shop", version: "1.2.3" })
      expect(session.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      const tools = yield* session.listTools
      expect(tools.map((t) => t.name)).toContain("get_order")
      expect(tools.find((t) => t.name === "create_order")?.annotations?.destructiveHint).toBe(true)
      const r = yield* session.callTool("get_order", { orderId: "ord-1" }, { timeoutMs: 2000 })
      expect(r.isError).toBe(false)
      expect(r.structuredContent).toMatchObject({ id: "ord-1", status: "shipped" })
    }).pipe(Effect.scoped, Effect.provide(connectorLayer()))
  )

  it.effect("closes the session with its scope", () =>
    Effect.gen(function* () {
      const before = fixture.sessions()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* (yield* McpConnector).connect(srv(), null)
          expect(fixture.sessions()).toBe(before + 1)
        })
      )
      expect(fixture.sessions()).toBe(before)
    }).pipe(Effect.provide(connectorLayer()))
  )

  it.effect("sends extra headers and api_key_header credentials", () =>
    Effect.gen(function* () {
      const connector = yield* McpConnector
      const s = yield* connector.connect(
        server({ baseUrl: fixture.url, extraHeaders: { authorization: "Custom abc" } }),
        null
      )
      const r = yield* s.callTool("whoami", {}, { timeoutMs: 2000 })
      expect(JSON.stringify(r.content)).toContain("Custom abc")
      const k = yield* connector.connect(
        srv(),
        profile({ kind: "api_key_header", headerName: "authorization" })
      )
      const r2 = yield* k.callTool("whoami", {}, { timeoutMs: 2000 })
      expect(JSON.stringify(r2.content)).toContain("key-value")
    }).pipe(Effect.scoped, Effect.provide(connectorLayer({ "ref-1": "key-value" })))
  )

  describe("per-call timeout", () => {
    const call = (args: Record<string, unknown>, timeoutMs: number, maxTotalTimeoutMs?: number) =>
      Effect.gen(function* () {
        const session = yield* (yield* McpConnector).connect(srv(), null)
        let progress = 0
        const r = yield* Effect.either(
          session.callTool(
            "slow_echo",
            { text: "hi", ...args },
            {
              timeoutMs,
              ...(maxTotalTimeoutMs === undefined ? {} : { maxTotalTimeoutMs }),
              onProgress: () => {
                progress++
              }
            }
          )
        )
        return { r, progress }
      }).pipe(Effect.scoped, Effect.provide(connectorLayer()))

    it.effect("fails with kind timeout when no answer comes in time", () =>
      Effect.gen(function* () {
        const { r } = yield* call({ delayMs: 600 }, 200)
        expect(Either.isLeft(r) && r.left.kind).toBe("timeout")
      })
    )
    it.effect("restarts on every progress notification", () =>
      Effect.gen(function* () {
        const { r, progress } = yield* call({ delayMs: 600, progressEveryMs: 50 }, 200)
        expect(Either.isRight(r)).toBe(true)
        expect(progress).toBeGreaterThan(3)
      })
    )
    it.effect("stops at the absolute cap even with progress", () =>
      Effect.gen(function* () {
        const { r } = yield* call({ delayMs: 900, progressEveryMs: 50 }, 200, 400)
        expect(Either.isLeft(r) && r.left.kind).toBe("timeout")
      })
    )
  })

  describe("faults are classified", () => {
    const cases = [
      ["http_401", "auth_rejected", 401],
      ["http_500", "http_status", 500],
      ["invalid_json", "not_mcp", undefined],
      ["not_mcp", "not_mcp", undefined]
    ] as const
    for (const [fault, reason, status] of cases) {
      it.effect(`${fault} → ${reason}`, () =>
        Effect.gen(function* () {
          fixture.setFault(fault)
          const r = yield* connectReason(srv()).pipe(
            Effect.ensuring(Effect.sync(() => fixture.setFault("none")))
          )
          expect(r.reason).toBe(reason)
          expect(r.status).toBe(status)
        })
      )
    }
  })
})

describe("auth profiles", () => {
  it.effect("bearer: the right token connects, a wrong one is auth_rejected", () =>
    Effect.gen(function* () {
      const fixture = yield* Effect.acquireRelease(
        Effect.promise(() => startFixture({ bearerToken: "s3cret-token" })),
        (f) => Effect.promise(() => f.close())
      )
      const srv = server({ baseUrl: fixture.url })
      const ok = yield* Effect.scoped(
        Effect.gen(function* () {
          const s = yield* (yield* McpConnector).connect(srv, profile())
          return yield* s.callTool("whoami", {}, { timeoutMs: 2000 })
        })
      ).pipe(Effect.provide(connectorLayer({ "ref-1": "s3cret-token" })))
      expect(JSON.stringify(ok.content)).toContain("Bearer s3cret-token")
      const bad = yield* Effect.gen(function* () {
        return yield* Effect.flip((yield* McpConnector).connect(srv, profile()))
      }).pipe(Effect.scoped, Effect.provide(connectorLayer({ "ref-1": "wrong" })))
      expect(bad.reason).toBe("auth_rejected")
      expect(bad.httpStatus).toBe(401)
    }).pipe(Effect.scoped)
  )

  it.live("oauth_client_credentials: fetches, caches and refreshes the token before expiry", () =>
    Effect.gen(function* () {
      const oauth = { clientId: "armature", clientSecret: "client-secret", ttlSeconds: 31 }
      const fixture = yield* Effect.acquireRelease(
        Effect.promise(() => startFixture({ oauth })),
        (f) => Effect.promise(() => f.close())
      )
      const p = profile({
        kind: "oauth_client_credentials",
        tokenUrl: fixture.url.replace("/mcp", "/token"),
        clientId: "armature"
      })
      const srv = server({ baseUrl: fixture.url })
      const session = yield* (yield* McpConnector).connect(srv, p)
      expect(fixture.tokensIssued()).toBe(1)
      // 31 s lifetime with a 30 s refresh margin: after a second the token counts as expiring.
      yield* Effect.sleep("1100 millis")
      const r = yield* session.callTool("list_products", {}, { timeoutMs: 2000 })
      expect(r.isError).toBe(false)
      expect(fixture.tokensIssued()).toBe(2)
      const bad = yield* Effect.flip(
        Effect.flatMap(McpConnector, (c) => c.connect(srv, p)).pipe(
          Effect.provide(connectorLayer({ "ref-1": "nope" }))
        )
      )
      expect(bad.reason).toBe("auth_rejected")
    }).pipe(Effect.scoped, Effect.provide(connectorLayer({ "ref-1": "client-secret" })))
  )
})

describe("SSRF guard", () => {
  const strict = Connector.layer({}).pipe(Layer.provide(secretsLayer()))
  for (const [url, why] of [
    ["http://169.254.169.254/mcp", "metadata"],
    ["http://[fe80::1]/mcp", "link-local v6"],
    ["http://127.0.0.1:9/mcp", "loopback"],
    ["http://localhost:9/mcp", "loopback by name"],
    ["http://10.1.2.3/mcp", "private"],
    ["http://[::ffff:192.168.1.1]/mcp", "mapped private"],
    ["http://[::ffff:7f00:1]/mcp", "mapped loopback in hex"],
    ["http://[64:ff9b::a9fe:a9fe]/mcp", "NAT64 of metadata"],
    ["http://[64:ff9b::10.0.0.1]/mcp", "NAT64 of private"],
    ["http://[64:ff9b:1::7f00:1]/mcp", "local-use NAT64 of loopback"],
    ["http://[::127.0.0.1]/mcp", "IPv4-compatible loopback"],
    ["http://[::a9fe:a9fe]/mcp", "IPv4-compatible metadata"],
    ["http://[::ffff:0:a00:1]/mcp", "IPv4-translated private"],
    ["http://[2002:c0a8:101::1]/mcp", "6to4 of private"]
  ] as const) {
    it.effect(`refuses ${why} (${url})`, () =>
      Effect.gen(function* () {
        const r = yield* connectReason(server({ baseUrl: url }), strict)
        expect(r.reason).toBe("ssrf_blocked")
      })
    )
  }
  it("an embedded public IPv4 address is not refused for being embedded", () => {
    expect(Ssrf.refusal("64:ff9b::808:808", { allowLoopback: false, allowPrivateNetworks: false })).toBeNull()
    expect(Ssrf.refusal("2606:4700::1111", { allowLoopback: false, allowPrivateNetworks: false })).toBeNull()
    expect(Ssrf.embeddedIPv4("::1")).toBeNull()
  })

  it.effect("checkAddress refuses what the guard refuses, and leaves an unresolvable name to the probe", () =>
    Effect.gen(function* () {
      const connector = yield* McpConnector
      const blocked = yield* Effect.flip(connector.checkAddress("http://[64:ff9b::a9fe:a9fe]/mcp"))
      expect(blocked.reason).toBe("ssrf_blocked")
      expect(blocked.message).toContain("169.254.169.254")
      yield* connector.checkAddress("https://no-such-host.invalid/mcp")
    }).pipe(Effect.provide(strict))
  )

  it.effect("refuses metadata even when private networks and loopback are allowed", () =>
    Effect.gen(function* () {
      const open = Connector.layer({ allowLoopback: true, allowPrivateNetworks: true }).pipe(
        Layer.provide(secretsLayer())
      )
      const r = yield* connectReason(server({ baseUrl: "http://169.254.169.254/latest" }), open)
      expect(r.reason).toBe("ssrf_blocked")
    })
  )
})

describe("unreachable servers", () => {
  it.effect("connection refused", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(async () => {
        const s = createHttpServer()
        const p = await listen(s)
        await new Promise((r) => s.close(r))
        return p
      })
      const r = yield* connectReason(server({ baseUrl: `http://127.0.0.1:${port}/mcp` }))
      expect(r.reason).toBe("connection_refused")
    })
  )

  it.effect("a server that accepts and never answers times out at the connect timeout", () =>
    Effect.gen(function* () {
      const tcp = createTcpServer(() => {})
      const port = yield* Effect.promise(
        () => new Promise<number>((r) => tcp.listen(0, "127.0.0.1", () => r((tcp.address() as any).port)))
      )
      const started = Date.now()
      const r = yield* connectReason(
        server({ baseUrl: `http://127.0.0.1:${port}/mcp` }),
        connectorLayer(),
        300
      )
      tcp.close()
      expect(r.reason).toBe("timeout")
      expect(Date.now() - started).toBeLessThan(2000)
    })
  )

  it.live("an SSE server that never sends its endpoint event times out, and nothing is left open", () =>
    Effect.gen(function* () {
      const open = new Set<import("node:http").ServerResponse>()
      const http = createHttpServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" })
        open.add(res)
      })
      const port = yield* Effect.promise(() => listen(http))
      const r = yield* connectReason(
        server({ transport: "sse", baseUrl: `http://127.0.0.1:${port}/sse` }),
        connectorLayer(),
        300
      )
      expect(r.reason).toBe("timeout")
      // The client gave up its stream: the server sees the connection closed.
      yield* Effect.sleep("100 millis")
      expect([...open].every((res) => res.destroyed || res.writableEnded || res.closed)).toBe(true)
      http.closeAllConnections()
      http.close()
    })
  )

  it.effect("an unsupported protocol version", () =>
    Effect.gen(function* () {
      const http = createHttpServer((req, res) => {
        let body = ""
        req.on("data", (c) => {
          body += c
        })
        req.on("end", () => {
          const id = JSON.parse(body || "{}").id
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              jsonrpc: "2.0",
              id,
              result: {
                protocolVersion: "1999-01-01",
                capabilities: {},
                serverInfo: { name: "old", version: "0" }
              }
            })
          )
        })
      })
      const port = yield* Effect.promise(() => listen(http))
      const r = yield* connectReason(server({ baseUrl: `http://127.0.0.1:${port}/mcp` }))
      http.close()
      expect(r.reason).toBe("protocol_version")
    })
  )

  it.effect("an untrusted TLS certificate", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "armature-tls-"))
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem")
        ],
        { stdio: "ignore" }
      )
      const https = createHttpsServer(
        { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
        (_req, res) => res.end()
      )
      const port = yield* Effect.promise(() => listen(https as unknown as Server))
      const r = yield* connectReason(server({ baseUrl: `https://127.0.0.1:${port}/mcp` }))
      https.close()
      expect(r.reason).toBe("tls")
    })
  )
})

describe("McpConnector over SSE", () => {
  it.live("connects, lists, calls with credentials on both the stream and the posts", () =>
    Effect.gen(function* () {
      const sse = yield* Effect.acquireRelease(
        Effect.promise(() => startSseFixture()),
        (f) => Effect.promise(() => f.close())
      )
      const session = yield* (yield* McpConnector).connect(
        server({ transport: "sse", baseUrl: sse.url }),
        profile()
      )
      expect(session.serverInfo.name).toBe("fixture-shop")
      expect((yield* session.listTools).length).toBe(5)
      const r = yield* session.callTool("whoami", {}, { timeoutMs: 2000 })
      expect(JSON.stringify(r.content)).toContain("Bearer sse-token")
      let progress = 0
      const slow = yield* session.callTool(
        "slow_echo",
        { text: "x", delayMs: 300, progressEveryMs: 50 },
        { timeoutMs: 200, onProgress: () => void progress++ }
      )
      expect(progress).toBeGreaterThan(3)
      expect(slow.isError).toBe(false)
    }).pipe(Effect.scoped, Effect.provide(connectorLayer({ "ref-1": "sse-token" })))
  )
})

describe("McpConnector over stdio", () => {
  it.effect("starts the process, calls a tool, and a crash fails the call as transport", () =>
    Effect.gen(function* () {
      const connector = yield* McpConnector
      const ok = yield* connector.connect(stdioFixture(), null)
      const r = yield* ok.callTool("list_products", {}, { timeoutMs: 5000 })
      expect(r.isError).toBe(false)
      const crashing = yield* connector.connect(stdioFixture({ FIXTURE_FAULT: "crash" }), null)
      const e = yield* Effect.flip(crashing.callTool("list_products", {}, { timeoutMs: 5000 }))
      expect(e.kind).toBe("transport")
    }).pipe(Effect.scoped, Effect.provide(connectorLayer()))
  )

  it.effect("a missing command is a transport failure", () =>
    Effect.gen(function* () {
      const r = yield* connectReason(
        server({ transport: "stdio", launchApproved: true, command: "/nonexistent/armature-mcp" })
      )
      expect(r.reason).toBe("transport")
    })
  )

  it.effect("a command the operator did not approve is never started", () =>
    Effect.gen(function* () {
      const marker = join(mkdtempSync(join(tmpdir(), "armature-launch-")), "ran")
      const unapproved = server({ transport: "stdio", command: "sh", args: ["-c", `touch ${marker}`] })
      const r = yield* connectReason(unapproved)
      expect(r.reason).toBe("ssrf_blocked")
      expect(r.message).toContain("operator")
      expect(existsSync(marker)).toBe(false)
    })
  )
})
