import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { LanguageModels } from "@armature/core"
import { Fixtures, LanguageModelsContract } from "@armature/core/testing"
import { Judge } from "@armature/runner"
import { generateText } from "ai"
import { Config, ConfigProvider, Effect, Redacted } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as AnthropicModels from "./AnthropicModels.js"

interface Received {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: any
}

const goodKey = "sk-ant-loopback-0123456789"

/**
 * A loopback stand-in for Anthropic's Messages API: POST /v1/messages with the right
 * `x-api-key` gets a message whose text `reply` chooses; any other key gets Anthropic's 401.
 */
const startFakeAnthropic = () =>
  new Promise<{ url: string; received: Array<Received>; close: () => Promise<void> }>((resolve) => {
    const received: Array<Received> = []
    const server = createServer(async (req, res) => {
      let raw = ""
      for await (const chunk of req) raw += chunk
      const body = raw === "" ? null : JSON.parse(raw)
      received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body })
      if (req.method !== "POST" || req.url !== "/v1/messages") return res.writeHead(404).end()
      if (req.headers["x-api-key"] !== goodKey) {
        return res
          .writeHead(401, { "content-type": "application/json" })
          .end('{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}')
      }
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: `msg_${received.length}`,
          type: "message",
          role: "assistant",
          model: body.model,
          content: [{ type: "text", text: reply(body) }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 1200, output_tokens: 80 }
        })
      )
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        received,
        close: () => new Promise((done) => server.close(() => done()))
      })
    )
  })

/** The fake's answer: verdicts when the request asks for the judge's JSON, "ready" otherwise. */
let reply = (body: any): string =>
  body.output_config?.format?.type === "json_schema"
    ? JSON.stringify({
        verdicts: [
          {
            criterionId: "c1",
            verdict: "pass",
            reasoning: "get_weather returned 21C",
            evidence: ["tc-1", "tc-9"]
          },
          { criterionId: "c2", verdict: "fail", reasoning: "no umbrella advice", evidence: [] }
        ]
      })
    : "ready"

const fake = await startFakeAnthropic()
afterAll(() => fake.close())

const claude = (apiKey = goodKey) =>
  AnthropicModels.layer({ apiKey: Redacted.make(apiKey), baseURL: fake.url })

/** The `ai` SDK model behind an id, as a worker resolves it for a run. */
const resolve = (id: string, apiKey?: string) =>
  Effect.runPromise(
    Effect.flatMap(LanguageModels, (models) => models.resolve(id)).pipe(Effect.provide(claude(apiKey)))
  )

LanguageModelsContract.languageModelsContract("AnthropicModels", claude(), {
  generate: true,
  unknownIds: ["anthropic:claude-2.1", "openai:gpt-5-mini"]
})

const judgeInput = {
  criteria: [
    { id: "c1", text: "Reports the temperature in Oslo.", required: true },
    { id: "c2", text: "Advises whether to take an umbrella.", required: false }
  ],
  prompt: "What is the weather in Oslo?",
  finalAnswer: "It is 21C in Oslo.",
  toolCalls: [Fixtures.toolCall("get_weather", { id: "tc-1" })],
  trace: [
    {
      id: "ev-1",
      at: new Date("2026-01-01T00:00:00Z"),
      type: "message" as const,
      role: "user",
      text: "Weather?"
    }
  ]
}

describe("Claude through @ai-sdk/anthropic, registered in runner's Models", () => {
  it("a tester call is a Messages API request with the key, the version header and the model name", async () => {
    fake.received.length = 0
    const { entry, model } = await resolve("anthropic:claude-haiku-4-5")
    expect(entry).toMatchObject({ provider: "anthropic", inputPricePerMTok: 1, outputPricePerMTok: 5 })
    const result = await generateText({ model, system: "You test MCP servers.", prompt: "Ready?" })
    expect(result.text).toBe("ready")
    expect(result.usage).toMatchObject({ inputTokens: 1200, outputTokens: 80 })
    const [request] = fake.received
    expect(request).toMatchObject({ method: "POST", path: "/v1/messages" })
    expect(request?.headers["x-api-key"]).toBe(goodKey)
    expect(request?.headers["anthropic-version"]).toBe("2023-06-01")
    expect(request?.body).toMatchObject({
      model: "claude-haiku-4-5",
      system: [{ type: "text", text: "You test MCP servers." }],
      messages: [{ role: "user", content: [{ type: "text", text: "Ready?" }] }]
    })
  })

  it("runner's judge grades a run with Claude, through Anthropic's structured output", async () => {
    fake.received.length = 0
    const { model } = await resolve("anthropic:claude-sonnet-4-5")
    const outcome = await Effect.runPromise(Judge.judge({ model, ...judgeInput }))
    expect(outcome.criteria.map((c) => [c.criterionId, c.verdict])).toEqual([
      ["c1", "pass"],
      ["c2", "fail"]
    ])
    // Only ids of this run count as evidence: tc-9 does not exist.
    expect(outcome.criteria[0]?.evidence).toEqual(["tc-1"])
    expect(outcome).toMatchObject({ inputTokens: 1200, outputTokens: 80 })
    expect(fake.received).toHaveLength(1)
    const body = fake.received[0]?.body
    expect(body.model).toBe("claude-sonnet-4-5")
    expect(body.output_config.format).toMatchObject({ type: "json_schema" })
    expect(JSON.stringify(body.messages)).toContain("[tc-1] agent get_weather")
  })

  it("a judge answer that is not the verdict JSON is retried once, then JudgeFailed", async () => {
    const saved = reply
    reply = () => "I think it passed."
    try {
      fake.received.length = 0
      const { model } = await resolve("anthropic:claude-haiku-4-5")
      const error = await Effect.runPromise(Effect.flip(Judge.judge({ model, ...judgeInput })))
      expect(error._tag).toBe("JudgeFailed")
      expect(fake.received).toHaveLength(2)
    } finally {
      reply = saved
    }
  })

  it("a key Anthropic refuses fails the judge with Anthropic's reason, and the key is not in it", async () => {
    const { model } = await resolve("anthropic:claude-haiku-4-5", "sk-ant-revoked-key")
    const error = await Effect.runPromise(Effect.flip(Judge.judge({ model, ...judgeInput })))
    expect(error._tag).toBe("JudgeFailed")
    expect(error.message).toContain("invalid x-api-key")
    expect(error.message).not.toContain("sk-ant-revoked-key")
  })

  it("layerConfig reads the key and the endpoint under the names the application gives them", async () => {
    const layer = AnthropicModels.layerConfig({
      apiKey: Config.redacted("CLAUDE_KEY"),
      baseURL: Config.string("CLAUDE_URL")
    })
    const models = await Effect.runPromise(
      LanguageModels.pipe(
        Effect.provide(layer),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["CLAUDE_KEY", goodKey],
              ["CLAUDE_URL", fake.url]
            ])
          )
        )
      )
    )
    expect((await Effect.runPromise(models.catalog)).map((e) => e.id)).toEqual([
      "anthropic:claude-haiku-4-5",
      "anthropic:claude-sonnet-4-5",
      "anthropic:claude-opus-4-5"
    ])
    const { model } = await Effect.runPromise(models.resolve("anthropic:claude-opus-4-5"))
    expect((await generateText({ model, prompt: "Ready?" })).text).toBe("ready")
  })
})
