/**
 * The tool-poisoning scan on the real catalogs of well-known public MCP servers from npm: none of
 * them may get a `suspicious` finding, since they describe what their tools do rather than
 * instruct the model. The servers (devDependencies of this package, pinned), each started over
 * stdio and listed through the runner's own `McpConnector`:
 *
 * - `@modelcontextprotocol/server-everything` — its `get-env` ("Returns all environment
 *   variables") is behaviour, not an instruction;
 * - `@modelcontextprotocol/server-memory` — a knowledge-graph server;
 * - `@modelcontextprotocol/server-filesystem` — file tools over an allowed directory (long
 *   descriptions about reading and writing files).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Drift, McpConnector, type McpServer, Poisoning, type Tool } from "@armature/core"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { connectorLayer, everythingStdio, server } from "./helpers.js"

const require = createRequire(import.meta.url)
const root = mkdtempSync(join(tmpdir(), "armature-poisoning-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const stdio = (name: string, script: string, args: ReadonlyArray<string>): McpServer =>
  server({
    name,
    transport: "stdio",
    launchApproved: true,
    command: process.execPath,
    args: [require.resolve(script), ...args],
    env: { MEMORY_FILE_PATH: join(root, "memory.jsonl") }
  })

const servers: ReadonlyArray<{
  readonly name: string
  readonly record: () => McpServer
  readonly min: number
}> = [
  { name: "@modelcontextprotocol/server-everything", record: everythingStdio, min: 5 },
  {
    name: "@modelcontextprotocol/server-memory",
    record: () => stdio("memory", "@modelcontextprotocol/server-memory/dist/index.js", []),
    min: 5
  },
  {
    name: "@modelcontextprotocol/server-filesystem",
    record: () => stdio("filesystem", "@modelcontextprotocol/server-filesystem/dist/index.js", [root]),
    min: 5
  }
]

const listTools = (record: McpServer) =>
  Effect.gen(function* () {
    const session = yield* (yield* McpConnector).connect(record, null, { connectTimeoutMs: 15_000 })
    return yield* session.listTools
  }).pipe(Effect.scoped, Effect.provide(connectorLayer()))

const catalogs = new Map<string, ReadonlyArray<Tool>>()

describe("tool-poisoning scan: no false positive on public MCP servers", () => {
  for (const s of servers) {
    it.live(
      s.name,
      () =>
        Effect.gen(function* () {
          const tools = yield* listTools(s.record())
          expect(tools.length).toBeGreaterThanOrEqual(s.min)
          catalogs.set(s.name, tools)
          expect(Poisoning.scan(tools)).toEqual([])
          // As a first catalog version: every tool added, nothing suspicious.
          const first = Drift.diff([], tools)
          expect(first.changed.filter((c) => c.classification === "suspicious")).toEqual([])
          expect(first.severity).toBe("non_breaking")
        }),
      30_000
    )
  }

  it("server-everything's get-env describes behaviour and is not flagged", () => {
    const tools = catalogs.get("@modelcontextprotocol/server-everything") ?? []
    const getEnv = tools.find((t) => t.name === "get-env")
    expect(getEnv?.description).toMatch(/environment variables/i)
    expect(Poisoning.scan(tools.filter((t) => t.name === "get-env"))).toEqual([])
  })

  it("the three servers side by side shadow nobody", () => {
    const all = [...catalogs.entries()]
    expect(all).toHaveLength(3)
    for (const [name, tools] of all) {
      const others = all
        .filter(([other]) => other !== name)
        .map(([other, t]) => ({ server: other, tools: t }))
      expect(Poisoning.scan(tools, { others })).toEqual([])
    }
  })
})
