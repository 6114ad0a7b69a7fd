import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { LanguageModels } from "@armature/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { MockLanguageModelV4 } from "ai/test"
import { Config, ConfigProvider, Effect, Layer, Redacted, Schema } from "effect"
import * as Models from "../src/Models.js"
import * as RunExecutor from "../src/RunExecutor.js"
import { type Fixture, startFixture } from "./fixtures/fixtureServer.js"
import { connectorLayer, pendingRun, secretsLayer, server, spec } from "./helpers.js"

/** A loopback OpenAI-compatible server playing a script of chat completions. */
const startOpenAi = async (script: ReadonlyArray<Record<string, unknown>>) => {
  const requests: Array<{ auth: string | undefined; body: any }> = []
  let i = 0
  const http = createServer(async (req: IncomingMessage, res) => {
    let raw = ""
    for await (const c of req) raw += c
    const body = JSON.parse(raw)
    requests.push({ auth: req.headers.authorization, body })
    const message = script[Math.min(i++, script.length - 1)]!
    const finish = "tool_calls" in message ? "tool_calls" : "stop"
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        id: `chatcmpl-${i}`,
        object: "chat.completion",
        created: 1_700_000_000,
        model: body.model,
        choices: [
          { index: 0, message: { role: "assistant", content: null, ...message }, finish_reason: finish }
        ],
        usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 }
      })
    )
  })
  const port = await new Promise<number>((r) =>
    http.listen(0, "127.0.0.1", () => r((http.address() as AddressInfo).port))
  )
  return { baseURL: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise((r) => http.close(r)) }
}

let fixture: Fixture
beforeAll(async () => {
  fixture = await startFixture()
})
afterAll(() => fixture.close())

describe("Models", () => {
  it.live("an end-to-end run through @ai-sdk/openai against a loopback OpenAI-compatible server", () =>
    Effect.gen(function* () {
      const openai = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startOpenAi([
            {
              tool_calls: [
                {
                  id: "call_1",
                  type: "function",
                  function: { name: "get_order", arguments: '{"orderId":"ord-1"}' }
                }
              ]
            },
            { content: "Order ord-1 is shipped." },
            {
              content: JSON.stringify({
                verdicts: [
                  { criterionId: "c1", verdict: "pass", reasoning: "called get_order", evidence: ["tc-1"] },
                  { criterionId: "c2", verdict: "partial", reasoning: "status only", evidence: [] }
                ]
              })
            }
          ])
        ),
        (o) => Effect.promise(() => o.close())
      )
      const models = Models.layer({
        openai: { apiKey: Redacted.make("sk-test-loopback"), baseURL: openai.baseURL }
      })
      const run = yield* RunExecutor.execute({
        run: pendingRun({ testerModel: "openai:gpt-5-mini", judgeModel: "openai:gpt-5-mini" }),
        spec: spec({ testerModels: ["openai:gpt-5-mini"], judgeModel: "openai:gpt-5-mini" }),
        server: server({ baseUrl: fixture.url }),
        profile: null
      }).pipe(Effect.provide(Layer.mergeAll(models, connectorLayer(), secretsLayer())))

      expect(run.status).toBe("partial")
      expect(run.toolCalls.map((c) => c.name)).toEqual(["get_order"])
      expect(run.finalAnswer).toBe("Order ord-1 is shipped.")
      expect(openai.requests).toHaveLength(3)
      expect(openai.requests[0]?.auth).toBe("Bearer sk-test-loopback")
      expect(openai.requests[0]?.body.model).toBe("gpt-5-mini")
      expect(openai.requests[0]?.body.tools.map((t: any) => t.function.name)).toContain("get_order")
      expect(openai.requests[1]?.body.messages.some((m: any) => m.role === "tool")).toBe(true)
      expect(openai.requests[2]?.body.response_format?.type).toBe("json_schema")
      // Catalog prices: 2 tester calls and 1 judge call of 1000 in / 100 out tokens at $0.25 / $2 per MTok.
      expect(run.costUsd).toBeCloseTo((3000 * 0.25 + 300 * 2) / 1e6)
    }).pipe(Effect.scoped)
  )

  it.effect("catalog and configuration: no key, no openai models; registered providers resolve", () =>
    Effect.gen(function* () {
      const custom = new MockLanguageModelV4()
      const noKey = Models.layer({ models: [Models.register("acme:m1", custom, { inputPricePerMTok: 1 })] })
      const lm = yield* Effect.provide(LanguageModels, noKey)
      expect((yield* lm.catalog).map((e) => e.id)).toEqual(["acme:m1"])
      expect((yield* lm.resolve("acme:m1")).entry.provider).toBe("acme")
      expect((yield* Effect.flip(lm.resolve("openai:gpt-5-mini")))._tag).toBe("ModelNotConfigured")

      // Configuration under the names the application chooses; the library names none.
      const configured = Models.layerConfig({
        openai: Config.all({
          apiKey: Config.redacted("LLM_KEY"),
          baseURL: Config.string("LLM_URL"),
          models: Config.map(Config.string("LLM_MODELS"), (json) =>
            Models.openAiEntries(Schema.decodeUnknownSync(Models.OpenAiModelsJson)(json))
          )
        })
      })
      const withKey = yield* LanguageModels.pipe(
        Effect.provide(configured),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["LLM_KEY", "sk-x"],
              ["LLM_URL", "http://127.0.0.1:1/v1"],
              ["LLM_MODELS", '[{"id":"llama3","displayName":"Llama 3","inputPricePerMTok":0.1}]']
            ])
          )
        )
      )
      const ids = (yield* withKey.catalog).map((e) => e.id)
      expect(ids).toContain("openai:gpt-5-mini")
      expect(ids).toContain("openai:llama3")
      expect((yield* withKey.resolve("openai:llama3")).entry.displayName).toBe("Llama 3")
      expect((yield* withKey.resolve("openai:some-local-model")).entry.inputPricePerMTok).toBe(0)
    })
  )
})
