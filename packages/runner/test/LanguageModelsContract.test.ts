/**
 * The `LanguageModels` contract of `@armature/core/testing` against `Models.layer`: OpenAI through
 * `@ai-sdk/openai` pointed at a loopback OpenAI-compatible server, and registered providers.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { LanguageModelsContract, ScriptedModel } from "@armature/core/testing"
import { Effect, Layer, Redacted } from "effect"
import * as Models from "../src/Models.js"

/** A loopback OpenAI-compatible server answering every chat completion with "ready". */
const loopbackOpenAi = Effect.acquireRelease(
  Effect.promise(async () => {
    const http = createServer(async (req, res) => {
      let raw = ""
      for await (const c of req) raw += c
      const body = JSON.parse(raw)
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 1_700_000_000,
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content: "ready" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 }
        })
      )
    })
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r))
    return http
  }),
  (http) => Effect.promise(() => new Promise((r) => http.close(r)))
).pipe(Effect.map((http) => `http://127.0.0.1:${(http.address() as AddressInfo).port}/v1`))

/** `Models.layer` with OpenAI on the loopback server. */
const withOpenAi = (
  openai: Omit<NonNullable<Models.Options["openai"]>, "apiKey">,
  models: Models.Options["models"]
) =>
  Layer.unwrapScoped(
    Effect.map(loopbackOpenAi, (baseURL) =>
      Models.layer({
        openai: { apiKey: Redacted.make("sk-loopback"), baseURL, ...openai },
        ...(models ? { models } : {})
      })
    )
  )

const acme = () =>
  Models.register("acme:m1", ScriptedModel.make({ id: "acme:m1", steps: () => ({ text: "ready" }) }), {
    displayName: "Acme M1",
    inputPricePerMTok: 1,
    outputPricePerMTok: 4
  })

LanguageModelsContract.languageModelsContract(
  "Models.layer: OpenAI and a registered provider",
  withOpenAi({}, [acme()]),
  {
    generate: true,
    unknownIds: ["anthropic:claude-haiku-4-5", "acme:m2"]
  }
)

LanguageModelsContract.languageModelsContract(
  "Models.layer: OpenAI catalog only (allowUncataloged: false)",
  withOpenAi(
    {
      allowUncataloged: false,
      models: [
        {
          id: "openai:llama3",
          displayName: "Llama 3",
          provider: "openai",
          inputPricePerMTok: 0,
          outputPricePerMTok: 0
        }
      ]
    },
    undefined
  ),
  { generate: true, unknownIds: ["openai:not-in-the-catalog"] }
)

LanguageModelsContract.languageModelsContract(
  "Models.layer: registered providers, no OpenAI key",
  Models.layer({ models: [acme()] }),
  {
    generate: true,
    unknownIds: ["openai:gpt-5-mini"]
  }
)
