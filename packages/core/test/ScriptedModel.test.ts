import type { LanguageModelV4CallOptions } from "@ai-sdk/provider"
import { describe, expect, it } from "@effect/vitest"
import { generateText, Output, stepCountIs, streamText, tool } from "ai"
import { Effect } from "effect"
import { z } from "zod"
import { LanguageModels } from "../src/ports/LanguageModels.js"
import { ScriptedModel } from "../src/testing/index.js"

const weather = tool({
  description: "Current weather",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, tempC: 21 })
})

const promptText = (call: LanguageModelV4CallOptions) => JSON.stringify(call.prompt)

describe("ScriptedModel", () => {
  describe("drives the ai SDK's generateText", () => {
    it("through a two-step tool loop", async () => {
      const model = ScriptedModel.make({
        id: "openai:gpt-5-mini",
        steps: [
          {
            toolCalls: [{ toolName: "weather", input: { city: "Oslo" } }],
            usage: { inputTokens: 100, outputTokens: 20 }
          },
          { text: "It is 21C in Oslo." }
        ]
      })
      const result = await generateText({
        model,
        tools: { weather },
        prompt: "Weather in Oslo?",
        stopWhen: stepCountIs(5)
      })
      expect(result.steps).toHaveLength(2)
      expect(result.text).toBe("It is 21C in Oslo.")
      expect(result.steps[0]?.toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: "Oslo" } })
      expect(result.steps[0]?.toolResults[0]?.output).toEqual({ city: "Oslo", tempC: 21 })
      expect(result.totalUsage.inputTokens).toBe(110)
      expect(result.totalUsage.outputTokens).toBe(25)
      expect(model.calls).toHaveLength(2)
      expect(model.calls[1]?.prompt.map((m) => m.role)).toEqual(["user", "assistant", "tool"])
      expect(model.remaining).toBe(0)
      expect([model.provider, model.modelId]).toEqual(["openai", "gpt-5-mini"])
    })

    it("with structured output parsed from a scripted JSON answer", async () => {
      const model = ScriptedModel.make({
        steps: [{ json: { verdict: "pass", reasoning: "It reports 21C." } }]
      })
      const result = await generateText({
        model,
        prompt: "Grade the transcript.",
        output: Output.object({
          schema: z.object({ verdict: z.enum(["pass", "fail"]), reasoning: z.string() })
        })
      })
      expect(result.output).toEqual({ verdict: "pass", reasoning: "It reports 21C." })
      expect(model.calls[0]?.responseFormat?.type).toBe("json")
    })

    it("answers from the prompt with a function step", async () => {
      const judge = ScriptedModel.make({
        steps: (call) => ({ json: { verdict: promptText(call).includes("21C") ? "pass" : "fail" } })
      })
      const grade = (transcript: string) =>
        generateText({
          model: judge,
          prompt: transcript,
          output: Output.object({ schema: z.object({ verdict: z.string() }) })
        }).then((r) => r.output.verdict)
      expect([await grade("It is 21C."), await grade("No idea.")]).toEqual(["pass", "fail"])
      expect(judge.remaining).toBe(Number.POSITIVE_INFINITY)
    })

    it("fails the call on an error step, as a failing provider would", async () => {
      const model = ScriptedModel.make({ steps: [{ error: "HTTP 503 from provider" }] })
      await expect(generateText({ model, prompt: "hi", maxRetries: 0 })).rejects.toThrow(
        /HTTP 503 from provider/
      )
    })

    it("throws a clear error when the script runs out", async () => {
      const model = ScriptedModel.make({ id: "test:judge", steps: [{ text: "one" }] })
      await generateText({ model, prompt: "first" })
      await expect(generateText({ model, prompt: "second", maxRetries: 0 })).rejects.toThrow(
        /ScriptedModel test:judge: the script has 1 step\(s\) but the model was called 2 time\(s\)/
      )
    })

    it("honours the call's abort signal while delaying", async () => {
      const model = ScriptedModel.make({ steps: [{ text: "late", delayMs: 10_000 }] })
      await expect(
        generateText({ model, prompt: "hi", maxRetries: 0, abortSignal: AbortSignal.timeout(20) })
      ).rejects.toThrow()
    })
  })

  describe("drives the ai SDK's streamText", () => {
    it("through the same tool loop", async () => {
      const model = ScriptedModel.make({
        steps: [
          { toolCalls: [{ toolName: "weather", input: { city: "Bergen" }, id: "c1" }] },
          { text: "It is 21C in Bergen." }
        ]
      })
      const result = streamText({
        model,
        tools: { weather },
        prompt: "Weather in Bergen?",
        stopWhen: stepCountIs(5)
      })
      expect(await result.text).toBe("It is 21C in Bergen.")
      const steps = await result.steps
      expect(steps[0]?.toolCalls[0]).toMatchObject({
        toolCallId: "c1",
        toolName: "weather",
        input: { city: "Bergen" }
      })
      expect(steps[0]?.toolResults[0]?.output).toEqual({ city: "Bergen", tempC: 21 })
    })
  })

  describe("scriptedModels", () => {
    const tester = ScriptedModel.make({ id: "openai:gpt-5-mini", steps: [] })
    it.effect("serves the models by id with catalog entries", () =>
      Effect.gen(function* () {
        const models = yield* LanguageModels
        expect(yield* models.catalog).toEqual([
          {
            id: "openai:gpt-5-mini",
            displayName: "openai:gpt-5-mini",
            provider: "openai",
            inputPricePerMTok: 0,
            outputPricePerMTok: 0
          },
          {
            id: "anthropic:judge",
            displayName: "anthropic:judge",
            provider: "anthropic",
            inputPricePerMTok: 3,
            outputPricePerMTok: 15
          }
        ])
        const resolved = yield* models.resolve("openai:gpt-5-mini")
        expect(resolved.model).toBe(tester)
        const missing = yield* Effect.flip(models.resolve("openai:unknown"))
        expect(missing).toMatchObject({ _tag: "ModelNotConfigured", modelId: "openai:unknown" })
      }).pipe(
        Effect.provide(
          ScriptedModel.scriptedModels(
            {
              "openai:gpt-5-mini": tester,
              "anthropic:judge": ScriptedModel.make({ id: "anthropic:judge", steps: [] })
            },
            { "anthropic:judge": { inputPricePerMTok: 3, outputPricePerMTok: 15 } }
          )
        )
      )
    )
  })
})
