/**
 * `armature test`'s engine in process, with the tester and judge scripted through the real `ai`
 * SDK path: a workflow run passes against the healthy demo server and fails, with the broken
 * assertion named in the JUnit report, once the demo regression is on. A tester model the
 * deployment lacks is skipped while the workflow's other models run. Latency budgets: a slow
 * tool fails under `failOn: ["degraded"]` or over its `failAboveMs`, naming the budget and the
 * measured time, and passes again once it is fast. Every server's tools are scanned for
 * poisoning: each poisoned variant of the fixture fails the test with its rule, the clean
 * catalogs pass.
 */
import { ConfigFile } from "@armature/core"
import { PgStore } from "@armature/store-postgres"
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Effect, Layer, Logger, LogLevel } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../examples/demo-mcp-server/server.js"
import {
  type PoisonedServer,
  poisonedVariants,
  startPoisonedServer
} from "../../runner/test/fixtures/poisonedServer.js"
import * as App from "../src/app/App.js"
import * as ServerConfig from "../src/config/ServerConfig.js"
import * as Junit from "../src/localTest/junit.js"
import * as LocalTest from "../src/localTest/LocalTest.js"
import { scriptedModels } from "./support/scriptedModels.js"
import { startSlowServer } from "./support/slowServer.js"

const fileFor = (url: string) =>
  Effect.runPromise(
    ConfigFile.parse({
      servers: [{ name: "demo-shop", baseUrl: url }],
      monitors: [{ name: "Products", server: "demo-shop", toolName: "list_products", intervalSeconds: 60 }],
      workflows: [
        {
          name: "Order lookup",
          server: "demo-shop",
          prompt: "Find order A-1001 and tell the customer its status and total.",
          criteria: [{ text: "The agent looked the order up with get_order" }],
          assertions: [{ type: "tool_called", tool: "get_order" }, { type: "no_tool_errors" }],
          testerModels: ["scripted:tester", "openai:gpt-5-mini"],
          judgeModel: "scripted:judge"
        }
      ]
    })
  )

const runLocally = (config: ConfigFile.ConfigFile, options: LocalTest.Options = {}) => {
  const reported: LocalTest.CaseResult[] = []
  const started: string[] = []
  const services = App.servicesWith(PgStore.layerPglite(), {
    models: scriptedModels
  }).pipe(
    Layer.provide(ServerConfig.layer),
    Layer.provide(NodeContext.layer),
    Layer.provide(
      Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["ARMATURE_ALLOW_LOOPBACK", "true"]])))
    ),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  )
  return Effect.runPromise(
    LocalTest.run(
      config,
      {
        started: (c) => Effect.sync(() => started.push(c.name)),
        finished: (r) => Effect.sync(() => reported.push(r))
      },
      options
    ).pipe(
      Effect.provide(services),
      Effect.scoped,
      Effect.map((results) => ({ results, reported, started }))
    )
  )
}

describe("armature test (engine)", () => {
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  beforeAll(async () => {
    demo = await startDemoServer({ port: 0 })
  })
  afterAll(async () => {
    await demo?.close()
  })

  it("runs monitors and workflows once and reports each as it completes", async () => {
    const { results, reported, started } = await runLocally(await fileFor(demo.url))
    expect(reported).toEqual(results)
    expect(started).toEqual(["Order lookup [scripted:tester]"])
    const byName = new Map(results.map((r) => [r.name, r]))
    expect(byName.get("Products")?.status).toBe("pass")
    const scripted = byName.get("Order lookup [scripted:tester]")!
    expect(scripted.status).toBe("pass")
    expect(scripted.message).toBe("1/1 criteria passed, 1 tool calls")
    // A tester model the deployment lacks is skipped, while the workflow's other model runs.
    const openai = byName.get("Order lookup [openai:gpt-5-mini]")!
    expect(openai.status).toBe("skipped")
    expect(openai.message).toContain("OPENAI_API_KEY")
    expect(LocalTest.failed(results)).toBe(false)
    expect(demo.state.calls.get_order).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it("fails the run a regression breaks and names the broken assertion in JUnit", async () => {
    demo.state.regression = true
    try {
      const { results } = await runLocally(await fileFor(demo.url))
      const run = results.find((r) => r.name === "Order lookup [scripted:tester]")!
      expect(run.status).toBe("fail")
      expect(run.details.join("\n")).toContain("assertion no_tool_errors failed")
      expect(LocalTest.failed(results)).toBe(true)
      const xml = Junit.render(results)
      expect(xml).toMatch(
        /<testcase name="Order lookup \[scripted:tester\]" classname="armature\.workflows\.demo-shop"[^>]*>\s*<failure /
      )
      expect(xml).toContain(
        '<testsuite name="armature workflows" tests="2" failures="1" errors="0" skipped="1"'
      )
    } finally {
      demo.state.regression = false
    }
  }, 60_000)
})

describe("armature test latency budgets", () => {
  let slow: Awaited<ReturnType<typeof startSlowServer>>
  beforeAll(async () => {
    slow = await startSlowServer()
  })
  afterAll(async () => {
    await slow?.close()
  })

  const budgets = (url: string) =>
    Effect.runPromise(
      ConfigFile.parse({
        servers: [{ name: "slow", baseUrl: url }],
        monitors: [
          {
            name: "Degraded budget",
            server: "slow",
            toolName: "lookup",
            arguments: { id: "a" },
            degradedAboveMs: 1000
          },
          {
            name: "Fail budget",
            server: "slow",
            toolName: "lookup",
            arguments: { id: "b" },
            failAboveMs: 3000
          }
        ]
      })
    )

  it("a slow tool is degraded (a pass) without the flag, and fails with failOn degraded", async () => {
    slow.state.delayMs = 1500
    try {
      const config = await budgets(slow.url)
      const plain = (await runLocally(config)).results
      const degraded = plain.find((r) => r.name === "Degraded budget")!
      expect(degraded.status).toBe("pass")
      expect(degraded.message).toMatch(
        /answered in \d+ ms \(degraded: over the degradedAboveMs budget of 1000 ms\)/
      )
      expect(plain.find((r) => r.name === "Fail budget")!.status).toBe("pass")
      expect(LocalTest.failed(plain)).toBe(false)

      const strict = (await runLocally(config, { failOn: ["degraded"] })).results
      const failed = strict.find((r) => r.name === "Degraded budget")!
      expect(failed.status).toBe("fail")
      expect(failed.message).toMatch(
        /^lookup: degraded: answered in (\d+) ms, over the degradedAboveMs budget of 1000 ms \(--fail-on degraded\)$/
      )
      expect(Number(/answered in (\d+) ms/.exec(failed.message)![1])).toBeGreaterThanOrEqual(1500)
      expect(LocalTest.failed(strict)).toBe(true)
      const xml = Junit.render(strict)
      expect(xml).toMatch(
        /<testcase name="Degraded budget" classname="armature\.monitors\.slow"[^>]*>\s*<failure message="lookup: degraded: answered in \d+ ms, over the degradedAboveMs budget of 1000 ms/
      )
      // The undone fault recovers: fast again, the same strict run passes.
      slow.state.delayMs = 0
      const fast = (await runLocally(config, { failOn: ["degraded"] })).results
      expect(fast.map((r) => r.status)).toEqual(["pass", "pass", "pass"])
    } finally {
      slow.state.delayMs = 0
    }
  }, 60_000)

  it("a check over its failAboveMs fails, naming the budget and the measured time", async () => {
    slow.state.delayMs = 3500
    try {
      const { results } = await runLocally(await budgets(slow.url))
      const failed = results.find((r) => r.name === "Fail budget")!
      expect(failed.status).toBe("fail")
      expect(failed.message).toMatch(
        /^lookup: over the failAboveMs budget: answered in \d+ ms, budget 3000 ms$/
      )
      expect(LocalTest.failed(results)).toBe(true)
      expect(Junit.render(results)).toMatch(
        /<testcase name="Fail budget"[^>]*>\s*<failure message="lookup: over the failAboveMs budget: answered in \d+ ms, budget 3000 ms"/
      )
    } finally {
      slow.state.delayMs = 0
    }
  }, 60_000)

  it("names a rejected monitor's fields at its place in the file", async () => {
    const config = await Effect.runPromise(
      ConfigFile.parse({
        servers: [{ name: "slow", baseUrl: slow.url }],
        monitors: [
          { name: "first", server: "slow", toolName: "lookup", arguments: { id: "a" } },
          { name: "second", server: "slow", toolName: "lookup", arguments: { id: "b" } },
          { name: "third", server: "slow", toolName: "lookup", arguments: { id: 3 } }
        ]
      })
    )
    const { results } = await runLocally(config)
    const third = results.find((r) => r.name === "third")!
    expect(third.status).toBe("fail")
    expect(third.message).toContain("monitors[2].arguments.id")
    expect(third.message).not.toContain("monitors[0]")
  }, 60_000)
})

describe("JUnit", () => {
  it("escapes markup, and newlines in attributes, so the report parses to the same text", () => {
    const xml = Junit.render([
      {
        kind: "monitor",
        name: 'a <b> & "c"',
        server: "s",
        status: "fail",
        durationMs: 12,
        message: "line one\nline\ttwo",
        details: ["<detail>"]
      }
    ])
    expect(xml).toContain('name="a &lt;b&gt; &amp; &quot;c&quot;"')
    expect(xml).toContain('message="line one&#10;line&#9;two"')
    expect(xml).toContain("&lt;detail&gt;")
    expect(xml).not.toMatch(/message="[^"]*\n/)
  })
})

describe("armature test scans every server's tools", () => {
  let weather: PoisonedServer
  let mail: PoisonedServer
  beforeAll(async () => {
    weather = await startPoisonedServer()
    mail = await startPoisonedServer({ catalog: "mail" })
  })
  afterAll(async () => {
    await weather?.close()
    await mail?.close()
  })

  const file = () =>
    Effect.runPromise(
      ConfigFile.parse({
        servers: [
          { name: "weather", baseUrl: weather.url },
          { name: "mail", baseUrl: mail.url }
        ],
        monitors: [
          { name: "Forecast", server: "weather", toolName: "get_forecast", arguments: { city: "Oslo" } }
        ]
      })
    )

  it("a poisoned catalog fails the test with the rule, tool and excerpt; the clean one passes", async () => {
    weather.setVariant("clean")
    const clean = await runLocally(await file())
    const scans = clean.results.filter((r) => r.kind === "server")
    expect(scans.map((r) => [r.server, r.status])).toEqual([
      ["weather", "pass"],
      ["mail", "pass"]
    ])
    expect(scans[0]!.message).toMatch(/^\d+ tools? scanned: nothing suspicious$/)
    expect(LocalTest.failed(clean.results)).toBe(false)

    for (const { variant, rules } of poisonedVariants) {
      weather.setVariant(variant)
      const { results } = await runLocally(await file())
      const scan = results.find((r) => r.kind === "server" && r.server === "weather")!
      expect({ variant, status: scan.status }).toEqual({ variant, status: "fail" })
      for (const rule of rules) expect(scan.details.join("\n")).toContain(`suspicious (${rule})`)
      expect(scan.message).toMatch(/^\d+ suspicious findings?: /)
      // The monitor itself still passes: the scan is what fails the run.
      expect(results.find((r) => r.name === "Forecast")?.status).toBe("pass")
      expect(LocalTest.failed(results)).toBe(true)
      if (variant === "shadow") expect(scan.details.join("\n")).toContain("send_email")
    }
    weather.setVariant("clean")
    const xml = Junit.render((await runLocally(await file())).results)
    expect(xml).toContain('<testsuite name="armature servers" tests="2" failures="0"')
  }, 120_000)
})
