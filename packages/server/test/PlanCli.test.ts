/**
 * `armature plan set|show` (manual billing, SPEC §11): the operator sets an organization's plan
 * and subscription status with direct database access; a bad plan is refused naming `plan`.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { runCli } from "./support/serverProcess.js"

describe("armature plan", () => {
  const dir = mkdtempSync(join(tmpdir(), "armature-plan-"))
  const env: Record<string, string | undefined> = {
    ARMATURE_DATA_DIR: join(dir, "data"),
    DATABASE_URL: undefined,
    OPENAI_API_KEY: undefined,
    ARMATURE_URL: undefined,
    ARMATURE_API_KEY: undefined
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("sets the plan and status, shows them, and refuses an unknown plan naming `plan`", async () => {
    expect((await runCli(["init"], env)).code).toBe(0)

    const shown = await runCli(["plan", "show"], env)
    expect(shown.code).toBe(0)
    expect(shown.output).toContain("Plan: Free (free)")

    const set = await runCli(["plan", "set", "team"], env)
    expect(set.code).toBe(0)
    expect(set.output).toContain("Plan: Team (team); status active")
    expect(set.output).toContain("servers 10")

    const lapsed = await runCli(
      ["plan", "set", "team", "--status", "past_due", "--period-end", "2020-01-01"],
      env
    )
    expect(lapsed.code).toBe(0)
    expect(lapsed.output).toContain("READ-ONLY")

    const bad = await runCli(["plan", "set", "gold"], env)
    expect(bad.code).not.toBe(0)
    expect(bad.output).toContain("plan")
  }, 120_000)
})
