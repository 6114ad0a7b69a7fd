/**
 * Monitoring-as-code through the real CLI in child processes: `apply` shows its plan, writes
 * once and then nothing; `serve --apply` applies at startup; `test` runs the example file
 * against the demo server, writes JUnit, and fails — naming the broken check — once the demo
 * server's regression is switched on.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import { rest, runCli, startServer } from "./support/serverProcess.js"

const exampleConfig = fileURLToPath(new URL("../../../examples/armature.config.ts", import.meta.url))

describe("monitoring-as-code from the command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "armature-mac-"))
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  let env: Record<string, string | undefined> = {}

  beforeAll(async () => {
    demo = await startDemoServer({ port: 0 })
    env = {
      ARMATURE_DATA_DIR: join(dir, "data"),
      ARMATURE_ALLOW_LOOPBACK: "true",
      DEMO_MCP_URL: demo.url,
      // The embedded store, and no model: whatever the developer's shell has set.
      DATABASE_URL: undefined,
      OPENAI_API_KEY: undefined
    }
  })

  afterAll(async () => {
    await demo?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("apply prints a plan, writes once, then finds nothing to do; serve --apply agrees", async () => {
    expect((await runCli(["init"], env)).code).toBe(0)

    const dry = await runCli(["apply", "--dry-run", exampleConfig], env)
    expect(dry.code).toBe(0)
    expect(dry.output).toContain('+ create    server "demo-shop"')
    expect(dry.output).toContain('+ create    monitor "Order lookup answers"')
    expect(dry.output).toContain("Dry run: nothing was written.")

    const applied = await runCli(["apply", exampleConfig], env)
    expect(applied.code).toBe(0)
    expect(applied.output).toContain("4 to create, 0 to update, 0 unchanged.")
    expect(applied.output).toContain("Applied.")

    const again = await runCli(["apply", exampleConfig], env)
    expect(again.code).toBe(0)
    expect(again.output).toContain("0 to create, 0 to update, 4 unchanged.")
    expect(again.output).toContain("Nothing to apply.")

    // A YAML file that changes one monitor's interval updates that monitor and nothing else.
    const yaml = join(dir, "changed.yaml")
    writeFileSync(
      yaml,
      [
        "servers:",
        "  - name: demo-shop",
        `    baseUrl: ${demo.url}`,
        "monitors:",
        "  - name: Product list answers",
        "    server: demo-shop",
        "    toolName: list_products",
        "    arguments: { maxPriceEur: 20 }",
        "    intervalSeconds: 300"
      ].join("\n")
    )
    const changed = await runCli(["apply", yaml], env)
    expect(changed.code).toBe(0)
    expect(changed.output).toContain('~ update    monitor "Product list answers" (intervalSeconds)')
    expect(changed.output).toContain('not in file monitor "Order lookup answers" (left as it is)')

    // Invalid input names the field and writes nothing.
    const invalid = join(dir, "invalid.yaml")
    writeFileSync(invalid, "monitors:\n  - name: x\n    server: nowhere\n    toolName: get_order\n")
    const rejected = await runCli(["apply", invalid], env)
    expect(rejected.code).toBe(1)
    expect(rejected.output).toContain("is not valid")
    expect(rejected.output).toContain('monitors[0].server: unknown server "nowhere"')

    const server = await startServer(env, ["--apply", exampleConfig])
    try {
      expect(server.output()).toContain('~ update    monitor "Product list answers" (intervalSeconds)')
      // One process at a time holds the embedded store: commands say so instead of corrupting it.
      const locked = await runCli(["keys", "create", "--name", "test"], env)
      expect(locked.code).toBe(1)
      expect(locked.output).toContain("is in use by process")
    } finally {
      expect(await server.stop()).toBe(0)
    }
    const listed = await runCli(["keys", "create", "--name", "test", "--role", "viewer"], env)
    const token = /\b(amt_[a-z0-9]+_[A-Za-z0-9_-]+)/.exec(listed.output)?.[1]
    expect(token).toBeDefined()
    const restarted = await startServer(env)
    try {
      const monitors = await rest(restarted.baseUrl, token!, "GET", "/monitors")
      expect(monitors.items.map((m: { name: string }) => m.name).sort()).toEqual([
        "Order lookup answers",
        "Product list answers"
      ])
      expect(
        monitors.items.find((m: { name: string }) => m.name === "Product list answers").intervalSeconds
      ).toBe(60)
    } finally {
      await restarted.stop()
    }
  }, 180_000)

  it("test runs the example file, writes JUnit, and fails naming the check a regression breaks", async () => {
    const junit = join(dir, "out.xml")
    // No ARMATURE_ALLOW_LOOPBACK: a local test run may reach the developer's own servers.
    const local = { ...env, ARMATURE_ALLOW_LOOPBACK: undefined }
    const healthy = await runCli(["test", exampleConfig, "--junit", junit], local)
    expect(healthy.output).toContain("✓ monitor  Order lookup answers (demo-shop)")
    // Every server's tools are scanned for poisoning first; the demo server's are clean.
    expect(healthy.output).toMatch(
      /✓ server {3}tool-poisoning scan \(demo-shop\) — \d+ tools scanned: nothing suspicious/
    )
    expect(healthy.output).toContain("skipped: model openai:gpt-5-mini is not configured")
    expect(healthy.code).toBe(0)
    const passing = readFileSync(junit, "utf8")
    expect(passing).toContain('<testsuites name="armature" tests="4" failures="0" errors="0" skipped="1">')

    // A file whose only case is skipped tests nothing, which must not pass a CI job.
    const workflowOnly = join(dir, "workflow-only.yaml")
    writeFileSync(
      workflowOnly,
      [
        "servers:",
        "  - name: demo-shop",
        `    baseUrl: ${demo.url}`,
        "workflows:",
        "  - name: Order lookup",
        "    server: demo-shop",
        "    prompt: Find order A-1001.",
        "    criteria: [{ text: The order was looked up }]",
        "    testerModels: [openai:gpt-5-mini]",
        "    judgeModel: openai:gpt-5-mini"
      ].join("\n")
    )
    const nothing = await runCli(["test", workflowOnly, "--junit", junit], local)
    expect(nothing.code).toBe(1)
    expect(nothing.output).toContain("nothing was tested")

    // A test that cannot run exits 2 and still replaces the report, so CI never reads a stale one.
    const missing = join(dir, "missing-secret.yaml")
    writeFileSync(
      missing,
      [
        "servers:",
        "  - name: demo-shop",
        `    baseUrl: ${demo.url}`,
        "    authProfiles: [{ name: ci, kind: bearer, tokenEnv: ARMATURE_TEST_NO_SUCH_VARIABLE }]"
      ].join("\n")
    )
    const stopped = await runCli(["test", missing, "--junit", junit], local)
    expect(stopped.code).toBe(2)
    expect(stopped.output).toContain("servers[0].authProfiles[0].tokenEnv")
    expect(readFileSync(junit, "utf8")).toMatch(/<testcase name="armature test"[^>]*>\s*<error /)

    demo.state.regression = true
    try {
      const broken = await runCli(["test", exampleConfig, "--junit", junit], local)
      expect(broken.code).toBe(1)
      expect(broken.output).toContain("✗ monitor  Order lookup answers (demo-shop)")
      expect(broken.output).toContain("✓ monitor  Product list answers (demo-shop)")
      expect(broken.output).toContain("error: 1 check did not pass")
      const xml = readFileSync(junit, "utf8")
      expect(xml).toMatch(/<testcase name="Order lookup answers"[^>]*>\s*<failure message="[^"]*order_ref/)
      expect(xml).toContain('failures="1"')
    } finally {
      demo.state.regression = false
    }
  }, 120_000)
})
