/**
 * The MCP API over stdio (`armature mcp`, a proxy to a running deployment's `/api/mcp`) and from
 * a standard client without any SDK (examples/mcp-client/list-tools.mjs). The whole server runs
 * in this process; the CLI and the example run as real child processes: the CLI from source
 * through tsx, driven by the MCP SDK's own `Client` over `StdioClientTransport` or by raw lines.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { ToolTable } from "@armature/mcp-api"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type AppServer, startAppServer } from "../http/support/appServer.js"
import { runCli } from "../support/serverProcess.js"
import { apiError, connect, failure } from "./support/mcpClient.js"

const bin = fileURLToPath(new URL("../../src/bin.ts", import.meta.url))
const example = fileURLToPath(new URL("../../../../examples/mcp-client/list-tools.mjs", import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), "armature-mcp-stdio-"))
const unknownId = "00000000-0000-4000-8000-000000000000"
const badKey = "amt_abcd1234_bm90LWEtcmVhbC1rZXktc2VjcmV0"

let server: AppServer
let viewerKey = ""
let direct: Client

/** This process's environment (the child needs PATH, HOME…) with `env` over it. */
const childEnv = (env: Record<string, string>) => {
  const merged: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== "ARMATURE_API_KEY" && k !== "ARMATURE_URL") merged[k] = v
  }
  return { ...merged, ...env }
}

const cliArgs = (url: string) => [
  "--conditions=@armature/source",
  "--import",
  "tsx",
  bin,
  "mcp",
  "--url",
  url
]

/** `armature mcp` started by the SDK's stdio client, the key in the environment as agents pass it. */
const connectStdio = async (url: string, key: string) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: cliArgs(url),
    env: childEnv({ ARMATURE_API_KEY: key }),
    stderr: "pipe"
  })
  let stderr = ""
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const client = new Client({ name: "armature-stdio-test", version: "0.0.0" })
  return { client, transport, stderr: () => stderr, connected: client.connect(transport) }
}

/** `armature mcp` fed `lines` on stdin, which then closes: everything it printed, and its exit code. */
const pipeThrough = (url: string, key: string, lines: ReadonlyArray<unknown>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(url), {
      env: childEnv({ ARMATURE_API_KEY: key }),
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString()
    })
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString()
    })
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`armature mcp did not exit after stdin closed:\n${stderr}`))
    }, 45_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(lines.map((l) => `${JSON.stringify(l)}\n`).join(""))
  })

/** Runs the example client to completion. */
const runExample = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [example, ...args], {
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString()
    })
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString()
    })
    child.once("exit", (code) => resolve({ code, stdout, stderr }))
  })

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer()
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw-lines", version: "0.0.0" }
  }
}
const forbiddenCall = {
  jsonrpc: "2.0",
  id: 2,
  method: "tools/call",
  params: { name: "run_workflow_now", arguments: { workflowId: unknownId } }
}

beforeAll(async () => {
  server = await startAppServer({
    ARMATURE_DATA_DIR: dataDir,
    ARMATURE_ALLOW_LOOPBACK: "true",
    ARMATURE_SHUTDOWN_GRACE_SECONDS: "1",
    ARMATURE_AUTH_FAILURE_LIMIT: "50"
  })
  viewerKey = await server.key("viewer")
  direct = await connect(server.origin, viewerKey)
}, 120_000)

afterAll(async () => {
  await direct?.close()
  await server?.close()
  rmSync(dataDir, { recursive: true, force: true })
}, 60_000)

describe("armature mcp (stdio proxy to a deployment)", () => {
  let proxied: Awaited<ReturnType<typeof connectStdio>>

  beforeAll(async () => {
    // The deployment's origin: the proxy adds /api/mcp.
    proxied = await connectStdio(server.origin, viewerKey)
    await proxied.connected
  }, 60_000)

  afterAll(async () => {
    await proxied?.client.close()
  })

  it("serves the same tools, resources and prompts as the HTTP endpoint", async () => {
    const { tools } = await proxied.client.listTools()
    expect(tools.map((t) => t.name)).toEqual(ToolTable.tools.map((t) => t.name))
    expect(tools).toHaveLength(10)
    expect(tools).toEqual((await direct.listTools()).tools)
    expect(await proxied.client.listResources()).toEqual(await direct.listResources())
    expect(await proxied.client.listResourceTemplates()).toEqual(await direct.listResourceTemplates())
    expect(await proxied.client.listPrompts()).toEqual(await direct.listPrompts())
    expect(proxied.client.getServerVersion()).toEqual(direct.getServerVersion())
  })

  it("a tool call succeeds", async () => {
    const health = await proxied.client.callTool({ name: "get_organization_health", arguments: {} })
    expect(health.isError).toBeFalsy()
    expect(health.structuredContent).toHaveProperty("workflows")
    expect(JSON.parse((health.content as Array<{ text: string }>)[0]!.text)).toEqual(health.structuredContent)
  })

  it("a viewer calling run_workflow_now gets -32003 forbidden_role, exactly as over HTTP", async () => {
    const call = { name: "run_workflow_now", arguments: { workflowId: unknownId } }
    const viaStdio = await failure(proxied.client.callTool(call))
    const viaHttp = await failure(direct.callTool(call))
    expect(viaStdio.code).toBe(-32003)
    expect(apiError(viaStdio).code).toBe("forbidden_role")
    expect({ code: viaStdio.code, message: viaStdio.message, data: viaStdio.data }).toEqual({
      code: viaHttp.code,
      message: viaHttp.message,
      data: viaHttp.data
    })
  })

  it("writes only protocol messages to stdout, passes errors through byte for byte, never prints the key, and exits when stdin closes", async () => {
    const { code, stdout, stderr } = await pipeThrough(`${server.origin}/api/mcp`, viewerKey, [
      initialize,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      forbiddenCall
    ])
    expect(code).toBe(0)
    const lines = stdout.trim().split("\n")
    const messages = lines.map((line) => JSON.parse(line) as { jsonrpc: string; id: number; error?: unknown })
    expect(messages.every((m) => m.jsonrpc === "2.0")).toBe(true)
    expect(messages.map((m) => m.id).sort()).toEqual([1, 2])

    const raw = (await (
      await fetch(`${server.origin}/api/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${viewerKey}`
        },
        body: JSON.stringify(forbiddenCall)
      })
    ).json()) as { error: unknown }
    expect(messages.find((m) => m.id === 2)).toEqual({ jsonrpc: "2.0", id: 2, error: raw.error })
    expect(stdout + stderr).not.toContain(viewerKey)
  }, 60_000)

  it("a bad key fails the connection with -32001 unauthenticated, on stderr too, without printing the key", async () => {
    const refused = await connectStdio(server.origin, badKey)
    try {
      const error = await failure(refused.connected)
      expect(error.code).toBe(-32001)
      expect(apiError(error).code).toBe("unauthenticated")
      expect(error.message).toContain("HTTP 401")
      expect(error.message).toContain("ARMATURE_API_KEY")
      expect(refused.stderr()).toContain("unauthenticated")
      expect(refused.stderr() + error.message).not.toContain(badKey)
    } finally {
      await refused.client.close()
    }
  }, 60_000)

  it("an unreachable deployment fails the connection at once with an error naming the URL", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const unreachable = await connectStdio(url, viewerKey)
    try {
      const error = await failure(unreachable.connected)
      expect(error.message).toContain(`Cannot reach Armature at ${url}/api/mcp`)
      expect(error.message).toContain("ECONNREFUSED")
      expect(unreachable.stderr()).toContain("Cannot reach Armature")
    } finally {
      await unreachable.client.close()
    }
  }, 60_000)

  it("a bad --url, or no key, is a usage error naming the option", async () => {
    const badUrl = await runCli(["mcp", "--url", "armature.example.com"], { ARMATURE_API_KEY: viewerKey })
    expect(badUrl.code).toBe(1)
    expect(badUrl.output).toContain("--url: must be an http(s) URL")
    expect(badUrl.output).not.toContain(viewerKey)

    const notAKey = await runCli(["mcp", "--url", server.origin], { ARMATURE_API_KEY: "hunter2" })
    expect(notAKey.code).toBe(1)
    expect(notAKey.output).toContain("--key: must be an Armature API key")
    expect(notAKey.output).not.toContain("hunter2")

    const noKey = await runCli(["mcp", "--url", server.origin], { ARMATURE_API_KEY: undefined })
    expect(noKey.code).toBe(1)
    expect(noKey.output).toContain("--key")
  }, 60_000)
})

describe("a standard MCP client without any SDK (examples/mcp-client/list-tools.mjs)", () => {
  it("initializes, lists the 10 tools and calls get_organization_health over raw JSON-RPC", async () => {
    const { code, stdout, stderr } = await runExample([`${server.origin}/api/mcp`], {
      ARMATURE_API_KEY: viewerKey
    })
    expect(stderr).toBe("")
    expect(code).toBe(0)
    expect(stdout).toMatch(/^server: armature \S+ \(protocol 2025-06-18\)$/m)
    expect(stdout).toContain("tools (10):")
    for (const tool of ToolTable.tools) expect(stdout).toContain(`  ${tool.name} — `)
    const result = stdout.slice(
      stdout.indexOf("get_organization_health:\n") + "get_organization_health:\n".length
    )
    const health = (await direct.callTool({ name: "get_organization_health", arguments: {} }))
      .structuredContent as Record<string, unknown>
    const { generatedAt: _at, since: _since, ...stable } = health
    expect(Object.keys(JSON.parse(result)).sort()).toEqual(Object.keys(health).sort())
    expect(JSON.parse(result)).toMatchObject(stable)
    expect(stdout).not.toContain(viewerKey)
  }, 60_000)

  it("shows a JSON-RPC error with its data and exits 1", async () => {
    const { code, stderr } = await runExample(
      [`${server.origin}/api/mcp`, "run_workflow_now", JSON.stringify({ workflowId: unknownId })],
      { ARMATURE_API_KEY: viewerKey }
    )
    expect(code).toBe(1)
    expect(stderr).toContain("JSON-RPC error -32003: forbidden_role")
    expect(stderr).toContain('"code": "forbidden_role"')
  }, 60_000)
})
