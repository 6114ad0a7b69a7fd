import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { LanguageModels } from "@armature/core"
import { LanguageModelsContract } from "@armature/core/testing"
import { generateText } from "ai"
import { Effect, Either, Redacted } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as TeamModels from "./TeamModels.js"

interface Received {
  readonly apiKey: string | undefined
  readonly model: string
}

/** A loopback stand-in for one team's gateway (Anthropic's Messages API), recording who called with which model. */
const startGateway = (name: string) =>
  new Promise<{ baseURL: string; received: Array<Received>; close: () => Promise<void> }>((resolve) => {
    const received: Array<Received> = []
    const server = createServer(async (req, res) => {
      let raw = ""
      for await (const chunk of req) raw += chunk
      const body = JSON.parse(raw)
      received.push({ apiKey: req.headers["x-api-key"] as string | undefined, model: body.model })
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: `msg_${received.length}`,
          type: "message",
          role: "assistant",
          model: body.model,
          content: [{ type: "text", text: `${name} gateway here` }],
          stop_reason: "end_turn",
          usage: { input_tokens: 10, output_tokens: 3 }
        })
      )
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        received,
        close: () => new Promise((done) => server.close(() => done()))
      })
    )
  })

const [research, support] = await Promise.all([startGateway("research"), startGateway("support")])
afterAll(() => Promise.all([research.close(), support.close()]))

const gateways = {
  research: { baseURL: research.baseURL, apiKey: Redacted.make("key-research") },
  support: { baseURL: support.baseURL, apiKey: Redacted.make("key-support") }
}

/** The model table as the operators' file holds it. */
const tableJson = JSON.stringify([
  {
    team: "research",
    model: "claude-sonnet-4-5",
    displayName: "Claude Sonnet 4.5 (research)",
    inputPricePerMTok: 3,
    outputPricePerMTok: 15
  },
  {
    team: "research",
    model: "claude-haiku-4-5",
    displayName: "Claude Haiku 4.5 (research)",
    inputPricePerMTok: 1,
    outputPricePerMTok: 5
  },
  {
    team: "support",
    model: "claude-haiku-4-5",
    displayName: "Claude Haiku 4.5 (support)",
    inputPricePerMTok: 1,
    outputPricePerMTok: 5
  }
])

LanguageModelsContract.languageModelsContract("TeamModels", TeamModels.layerJson(tableJson, gateways), {
  generate: true,
  unknownIds: ["marketing:claude-haiku-4-5", "support:claude-sonnet-4-5", "research:claude-opus-4-5"]
})

const resolver = () =>
  Effect.runPromise(Effect.provide(LanguageModels, TeamModels.layerJson(tableJson, gateways)))

describe("TeamModels, a custom LanguageModels resolver", () => {
  it("each team's calls go to its own gateway with its own key, under the gateway's model name", async () => {
    const models = await resolver()
    const research1 = await Effect.runPromise(models.resolve("research:claude-haiku-4-5"))
    const support1 = await Effect.runPromise(models.resolve("support:claude-haiku-4-5"))
    expect(research1.entry.provider).toBe("research")
    research.received.length = 0
    support.received.length = 0
    expect((await generateText({ model: research1.model, prompt: "Ready?" })).text).toBe(
      "research gateway here"
    )
    expect((await generateText({ model: support1.model, prompt: "Ready?" })).text).toBe(
      "support gateway here"
    )
    expect(research.received).toEqual([{ apiKey: "key-research", model: "claude-haiku-4-5" }])
    expect(support.received).toEqual([{ apiKey: "key-support", model: "claude-haiku-4-5" }])
  })

  it("a refusal says why: an unknown team, or a model outside the team's rows", async () => {
    const models = await resolver()
    const why = (id: string) => Effect.runPromise(Effect.flip(models.resolve(id))).then((e) => e.message)
    expect(await why("marketing:claude-haiku-4-5")).toContain('no team "marketing"')
    expect(await why("support:claude-sonnet-4-5")).toContain('not in team "support"')
    expect(await why("claude-haiku-4-5")).toContain("<team>:<model>")
  })

  it("a bad table is refused when the layer is built, naming every offending field", async () => {
    const bad = JSON.stringify([
      {
        team: "research",
        model: "claude-haiku-4-5",
        displayName: "",
        inputPricePerMTok: -1,
        outputPricePerMTok: 5
      },
      { team: "Research!", model: "m", displayName: "M", inputPricePerMTok: 1 }
    ])
    const decoded = TeamModels.decodeTable(bad)
    expect(Either.isLeft(decoded) && decoded.left.fields.map((f) => f.field).sort()).toEqual([
      "[0].displayName",
      "[0].inputPricePerMTok",
      "[1].outputPricePerMTok",
      "[1].team"
    ])
    const rows = Either.getOrThrow(TeamModels.decodeTable(tableJson))
    const error = await Effect.runPromise(
      Effect.flip(
        Effect.provide(
          LanguageModels,
          TeamModels.layer({ table: [...rows, rows[0]!, { ...rows[0]!, team: "ops" }], gateways })
        )
      )
    )
    expect(error.fields).toEqual([
      { field: "[3].model", message: "research:claude-sonnet-4-5 is listed twice" },
      { field: "[4].team", message: '"ops" has no gateway configured' }
    ])
    expect(String(error)).not.toContain("key-research")
  })
})
