import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parse as parseYaml } from "yaml"
import * as ConfigFile from "../src/ConfigFile.js"

const example = () =>
  parseYaml(readFileSync(new URL("../../../examples/armature.config.yaml", import.meta.url), "utf8"))

describe("ConfigFile.parse", () => {
  it.effect("accepts the example file and fills defaults", () =>
    Effect.gen(function* () {
      const config = yield* ConfigFile.parse(example())
      expect(config.servers.map((s) => s.name)).toEqual(["demo-shop"])
      expect(config.workflows).toHaveLength(2)
      expect(config.workflows[1]!.schedule).toEqual({ cron: "*/30 * * * *", timezone: "UTC" })
      expect(config.workflows[0]!.limits.maxSteps).toBe(20)
      expect(config.monitors[1]!.timeoutMs).toBe(30_000)
    })
  )

  it.effect("reports schema, reference and schedule errors in one pass", () =>
    Effect.gen(function* () {
      const input = example()
      input.workflows[0].server = "nope"
      input.workflows[1].schedule = { cron: "61 * * * *", timezone: "Mars/Olympus" }
      input.monitors[0].intervalSeconds = 5
      input.monitors[1].authProfile = "missing"
      input.servers[0].baseUrl = undefined
      const error = yield* Effect.flip(ConfigFile.parse(input))
      expect(error._tag).toBe("ValidationFailed")
      expect(error.fieldErrors.map((f) => f.field)).toEqual([
        "monitors[0].intervalSeconds",
        "servers[0].baseUrl",
        "workflows[0].server",
        "workflows[1].schedule.timezone",
        "workflows[1].schedule.cron",
        "monitors[1].authProfile"
      ])
    })
  )

  it.effect("checks a refused workflow's schedule, and references to refused entries are not unknown", () =>
    Effect.gen(function* () {
      const input = example()
      input.servers[0].transport = "carrier-pigeon"
      input.workflows[1].limits = { maxSteps: 0 }
      input.workflows[1].schedule = { cron: "* * *" }
      const error = yield* Effect.flip(ConfigFile.parse(input))
      const fields = error.fieldErrors.map((f) => f.field)
      expect(fields).toContain("servers[0].transport")
      expect(fields).toContain("workflows[1].limits.maxSteps")
      expect(fields).toContain("workflows[1].schedule.cron")
      // The server the schema refused still exists: nothing is reported as an unknown server.
      expect(fields.filter((f) => f.endsWith(".server"))).toEqual([])
    })
  )

  it.effect("reports reference and schedule errors once the shape is valid", () =>
    Effect.gen(function* () {
      const input = example()
      input.workflows[0].server = "nope"
      input.workflows[1].schedule = { cron: "61 * * * *", timezone: "Mars/Olympus" }
      input.monitors[1].authProfile = "missing"
      delete input.servers[0].baseUrl
      const error = yield* Effect.flip(ConfigFile.parse(input))
      const fields = error.fieldErrors.map((f) => f.field)
      expect(fields).toContain("servers[0].baseUrl")
      expect(fields).toContain("workflows[0].server")
      expect(fields).toContain("workflows[1].schedule.cron")
      expect(fields).toContain("workflows[1].schedule.timezone")
      expect(fields).toContain("monitors[1].authProfile")
    })
  )

  it("rejects keys the schema does not know, naming them", async () => {
    const input = example()
    input.monitors[0].intervalSecs = 60
    const error = await Effect.runPromise(Effect.flip(ConfigFile.parse(input)))
    expect(error.fieldErrors.map((f) => f.field)).toContain("monitors[0].intervalSecs")
  })
})

describe("ConfigFile.explain", () => {
  it.effect("explains schedules, policies, coverage, budgets and assertions in words", () =>
    Effect.gen(function* () {
      const config = yield* ConfigFile.parse(example())
      const text = ConfigFile.explain(config, new Date("2026-11-24T10:10:00Z"))
      expect(text).toContain("1 server, 2 workflows, 2 monitors")
      expect(text).toContain("Hourly · across 2 models")
      expect(text).toContain("next fires: 2026-11-24T11:00:00.000Z")
      expect(text).toContain("counts for coverage: get_order, list_products")
      expect(text).toContain("counts for coverage: no tool (open policy or globs)")
      expect(text).toContain("calls get_order every 60s")
      expect(text).toContain("degraded above 800 ms")
      expect(text).toContain("fails above 2000 ms")
      expect(text).toContain('✓ get_order: $.orderId equals "A-1001"')
      expect(text).toContain("✓ get_order: $.items is an array of length at least 1")
    })
  )
})
