/**
 * `armature test` and `validate` through the real CLI in child processes: `--fail-on degraded`
 * turns a slow tool into exit 1 with the budget and measured time in the JUnit report (and the
 * same file passes without the flag); a missing file exits 2 and replaces the report; a `.ts`
 * config loads outside a `"type": "module"` package.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./support/serverProcess.js"
import { startSlowServer } from "./support/slowServer.js"

describe("armature test from the command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "armature-test-cli-"))
  let slow: Awaited<ReturnType<typeof startSlowServer>>
  const env = { ARMATURE_DATA_DIR: join(dir, "data"), DATABASE_URL: undefined, OPENAI_API_KEY: undefined }

  beforeAll(async () => {
    slow = await startSlowServer()
  })
  afterAll(async () => {
    await slow?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("--fail-on degraded fails a slow tool, naming the budget and the measured time", async () => {
    const file = join(dir, "budget.yaml")
    writeFileSync(
      file,
      [
        "servers:",
        "  - name: slow",
        `    baseUrl: ${slow.url}`,
        "monitors:",
        "  - name: Lookup",
        "    server: slow",
        "    toolName: lookup",
        "    arguments: { id: a }",
        "    degradedAboveMs: 1000"
      ].join("\n")
    )
    const junit = join(dir, "budget.xml")
    slow.state.delayMs = 1500
    try {
      const lenient = await runCli(["test", file, "--junit", junit], env)
      expect(lenient.output).toMatch(/✓ monitor {2}Lookup \(slow\) — lookup answered in \d+ ms \(degraded/)
      expect(lenient.code, lenient.output).toBe(0)

      const strict = await runCli(["test", "--fail-on", "degraded", file, "--junit", junit], env)
      expect(strict.code, strict.output).toBe(1)
      expect(strict.output).toContain("✗ monitor  Lookup (slow)")
      const xml = readFileSync(junit, "utf8")
      expect(xml).toContain('failures="1"')
      expect(xml).toMatch(
        /<testcase name="Lookup"[^>]*>\s*<failure message="lookup: degraded: answered in \d+ ms, over the degradedAboveMs budget of 1000 ms \(--fail-on degraded\)"/
      )
    } finally {
      slow.state.delayMs = 0
    }
  }, 300_000)

  it("a missing file exits 2 and rewrites the JUnit report with the error", async () => {
    const junit = join(dir, "stale.xml")
    writeFileSync(junit, "<testsuites>stale</testsuites>")
    const missing = await runCli(["test", join(dir, "nope.yaml"), "--junit", junit], env)
    expect(missing.code).toBe(2)
    expect(missing.output).toContain("no such file")
    const xml = readFileSync(junit, "utf8")
    expect(xml).not.toContain("stale")
    expect(xml).toMatch(
      /<testcase name="armature test"[^>]*>\s*<error message="[^"]*no such file[^"]*nope\.yaml/
    )
  }, 60_000)

  it("loads a .ts config file in a package that is not an ES module package", async () => {
    const project = join(dir, "cjs")
    const { mkdirSync } = await import("node:fs")
    mkdirSync(project, { recursive: true })
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "cjs-project" }))
    const file = join(project, "armature.config.ts")
    writeFileSync(
      file,
      [
        "const url: string = process.env.SLOW_URL ?? ''",
        "export default {",
        "  servers: [{ name: 'slow', baseUrl: url }],",
        "  monitors: [{ name: 'Lookup', server: 'slow', toolName: 'lookup', arguments: { id: 'a' }, failAboveMs: 5000 }]",
        "}"
      ].join("\n")
    )
    const validated = await runCli(["validate", file], { ...env, SLOW_URL: slow.url })
    expect(validated.output).toContain("is valid")
    expect(validated.output).toContain("fails above 5000 ms")
    expect(validated.code).toBe(0)
  }, 60_000)
})
