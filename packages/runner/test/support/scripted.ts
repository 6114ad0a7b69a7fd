/**
 * Scripted models for runner tests, on core's `ScriptedModel` (the real `ai` SDK path): a terser
 * step form, plus an optional async hook before each call (to break the server mid-run).
 */
import type { LanguageModelV4 } from "@ai-sdk/provider"
import { ScriptedModel } from "@armature/core/testing"

export type Step =
  | { readonly toolCalls: ReadonlyArray<{ readonly name: string; readonly args: unknown }> }
  | { readonly text: string }
  | { readonly json: unknown }
  | { readonly error: string }
  | { readonly hangMs: number }

const usage = { inputTokens: 100, outputTokens: 20 }

const toCore = (step: Step): ScriptedModel.Step => {
  if ("toolCalls" in step) {
    return { usage, toolCalls: step.toolCalls.map((c) => ({ toolName: c.name, input: c.args })) }
  }
  if ("hangMs" in step) return { usage, text: "late", delayMs: step.hangMs }
  return { usage, ...step }
}

export type Scripted = ScriptedModel.ScriptedModel

/** A model that plays `steps` in order; the last step repeats when the script runs out. */
export const scripted = (
  steps: ReadonlyArray<Step>,
  hooks: { readonly beforeCall?: (index: number) => Promise<void> } = {}
): Scripted => {
  const model = ScriptedModel.make({
    steps: (_call, index) => toCore(steps[Math.min(index, steps.length - 1)]!)
  })
  if (hooks.beforeCall === undefined) return model
  let index = 0
  const doGenerate: LanguageModelV4["doGenerate"] = async (options) => {
    await hooks.beforeCall?.(index++)
    return model.doGenerate(options)
  }
  return Object.assign(Object.create(model), { doGenerate }) as Scripted
}

/** A `LanguageModels` layer over fixed models by id, priced $1 / $2 per million tokens. */
export const modelsLayer = (models: Record<string, LanguageModelV4>) =>
  ScriptedModel.scriptedModels(
    models,
    Object.fromEntries(Object.keys(models).map((id) => [id, { inputPricePerMTok: 1, outputPricePerMTok: 2 }]))
  )
