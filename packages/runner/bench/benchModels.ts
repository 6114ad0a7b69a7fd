/**
 * Scripted models for the benchmark. `@armature/core/testing` also exports vitest contract suites,
 * which cannot load outside vitest, so the benchmark plays its scripts on `ai/test`'s mock model.
 */
import type { LanguageModelV4 } from "@ai-sdk/provider"
import { LanguageModels, type ModelCatalogEntry, ModelNotConfigured } from "@armature/core"
import { MockLanguageModelV4 } from "ai/test"
import { Effect, Layer } from "effect"

export type Step =
  | { readonly toolCalls: ReadonlyArray<{ readonly name: string; readonly args: unknown }> }
  | { readonly text: string }
  | { readonly json: unknown }

const usage = {
  inputTokens: { total: 100, noCache: 100, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 20, text: 20, reasoning: undefined }
}

/** Plays `steps` in order (the last repeats). */
export const scripted = (steps: ReadonlyArray<Step>): LanguageModelV4 => {
  let i = 0
  let ids = 0
  return new MockLanguageModelV4({
    doGenerate: async () => {
      const step = steps[Math.min(i++, steps.length - 1)]!
      if ("toolCalls" in step) {
        return {
          content: step.toolCalls.map((c) => ({
            type: "tool-call" as const,
            toolCallId: `call_${++ids}`,
            toolName: c.name,
            input: JSON.stringify(c.args)
          })),
          finishReason: { unified: "tool-calls" as const, raw: "tool_calls" },
          usage,
          warnings: []
        }
      }
      const text = "text" in step ? step.text : JSON.stringify(step.json)
      return {
        content: [{ type: "text" as const, text }],
        finishReason: { unified: "stop" as const, raw: "stop" },
        usage,
        warnings: []
      }
    }
  })
}

const entry = (id: string): ModelCatalogEntry => ({
  id,
  displayName: id,
  provider: "bench",
  inputPricePerMTok: 1,
  outputPricePerMTok: 2
})

/** A `LanguageModels` layer over fixed models. */
export const modelsLayer = (models: Record<string, LanguageModelV4>) =>
  Layer.succeed(LanguageModels, {
    catalog: Effect.succeed(Object.keys(models).map(entry)),
    resolve: (id) =>
      id in models
        ? Effect.succeed({ entry: entry(id), model: models[id]! })
        : Effect.fail(new ModelNotConfigured({ message: `Model ${id} is not configured`, modelId: id }))
  })
