/**
 * A scripted `LanguageModelV4` (the `ai` SDK's provider interface): each call plays the next
 * step of a script — tool calls, a text answer, a JSON answer for structured output, or a
 * provider failure — so the tester agent and the judge run deterministically through the real
 * `ai` SDK code paths.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage
} from "@ai-sdk/provider"
import { Effect, Layer } from "effect"
import { LanguageModels, type ModelCatalogEntry, ModelNotConfigured } from "../ports/LanguageModels.js"

/** Tokens a step reports; the default is 10 in, 5 out. */
export interface StepUsage {
  readonly inputTokens: number
  readonly outputTokens: number
}

/** A tool call the model makes; `input` is the arguments object (sent JSON-encoded). */
export interface ScriptedToolCall {
  readonly toolName: string
  readonly input: unknown
  readonly id?: string
}

interface StepOptions {
  readonly usage?: StepUsage
  /** Wait this long before answering (aborted by the call's `abortSignal`), to exercise timeouts. */
  readonly delayMs?: number
}

/** What the model does on one call. */
export type Step = StepOptions &
  (
    | { readonly toolCalls: ReadonlyArray<ScriptedToolCall>; readonly text?: string }
    | { readonly text: string }
    /** Structured output (the judge's verdicts): answered as the JSON text of the value. */
    | { readonly json: unknown }
    /** The call rejects with this message, as a failing provider would. */
    | { readonly error: string }
  )

/** A step, or a function choosing the step from the call (to answer based on the prompt). */
export type ScriptEntry = Step | ((call: LanguageModelV4CallOptions, index: number) => Step)

export interface Options {
  /** The model id, `provider:model`; default `scripted:model`. */
  readonly id?: string
  /** One entry per call, in order; or one function answering every call (never exhausted). */
  readonly steps: ReadonlyArray<ScriptEntry> | ((call: LanguageModelV4CallOptions, index: number) => Step)
}

/** A scripted model: a `LanguageModelV4` that also exposes the calls it received. */
export interface ScriptedModel extends LanguageModelV4 {
  /** The full model id (`provider:model`). */
  readonly id: string
  /** Every call received, in order (by `doGenerate` and `doStream` alike). */
  readonly calls: ReadonlyArray<LanguageModelV4CallOptions>
  /** Steps left in the script (`Infinity` for a function script). */
  readonly remaining: number
}

const usageOf = (usage: StepUsage = { inputTokens: 10, outputTokens: 5 }): LanguageModelV4Usage => ({
  inputTokens: {
    total: usage.inputTokens,
    noCache: usage.inputTokens,
    cacheRead: undefined,
    cacheWrite: undefined
  },
  outputTokens: { total: usage.outputTokens, text: usage.outputTokens, reasoning: undefined }
})

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener("abort", () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })

/** The `provider` part of a `provider:model` id. */
export const providerOf = (id: string): string =>
  id.includes(":") ? id.slice(0, id.indexOf(":")) : "scripted"

/** Creates a model that follows `options.steps`; running past the end of the script throws. */
export const make = (options: Options): ScriptedModel => {
  const id = options.id ?? "scripted:model"
  const calls: Array<LanguageModelV4CallOptions> = []
  const script = options.steps

  const nextStep = (call: LanguageModelV4CallOptions): Step => {
    const index = calls.length
    calls.push(call)
    if (typeof script === "function") return script(call, index)
    const entry = script[index]
    if (entry === undefined) {
      throw new Error(
        `ScriptedModel ${id}: the script has ${script.length} step(s) but the model was called ${index + 1} time(s)`
      )
    }
    return typeof entry === "function" ? entry(call, index) : entry
  }

  const generate = async (call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> => {
    const step = nextStep(call)
    if (step.delayMs !== undefined) await sleep(step.delayMs, call.abortSignal)
    if ("error" in step) throw new Error(step.error)
    const usage = usageOf(step.usage)
    if ("toolCalls" in step) {
      const content: Array<LanguageModelV4Content> = []
      if (step.text !== undefined) content.push({ type: "text", text: step.text })
      for (const [i, c] of step.toolCalls.entries()) {
        content.push({
          type: "tool-call",
          toolCallId: c.id ?? `call_${calls.length}_${i + 1}`,
          toolName: c.toolName,
          input: JSON.stringify(c.input ?? {})
        })
      }
      return { content, finishReason: { unified: "tool-calls", raw: "tool_calls" }, usage, warnings: [] }
    }
    const text = "text" in step ? step.text : JSON.stringify(step.json)
    return {
      content: [{ type: "text", text }],
      finishReason: { unified: "stop", raw: "stop" },
      usage,
      warnings: []
    }
  }

  return {
    specificationVersion: "v4",
    provider: providerOf(id),
    modelId: id.includes(":") ? id.slice(id.indexOf(":") + 1) : id,
    id,
    calls,
    get remaining() {
      return typeof script === "function"
        ? Number.POSITIVE_INFINITY
        : Math.max(0, script.length - calls.length)
    },
    supportedUrls: {},
    doGenerate: generate,
    // The same step as doGenerate, replayed as stream parts, so `streamText` works too.
    doStream: async (call) => {
      const result = await generate(call)
      const parts: Array<LanguageModelV4StreamPart> = [{ type: "stream-start", warnings: [] }]
      result.content.forEach((part, i) => {
        if (part.type === "text") {
          const partId = `text_${i}`
          parts.push({ type: "text-start", id: partId })
          parts.push({ type: "text-delta", id: partId, delta: part.text })
          parts.push({ type: "text-end", id: partId })
        } else if (part.type === "tool-call") {
          parts.push({ type: "tool-input-start", id: part.toolCallId, toolName: part.toolName })
          parts.push({ type: "tool-input-delta", id: part.toolCallId, delta: part.input })
          parts.push({ type: "tool-input-end", id: part.toolCallId })
          parts.push(part)
        }
      })
      parts.push({ type: "finish", usage: result.usage, finishReason: result.finishReason })
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part)
            controller.close()
          }
        })
      }
    }
  }
}

/** Prices (USD per million tokens) of a model in the catalog. */
export interface Prices {
  readonly inputPricePerMTok: number
  readonly outputPricePerMTok: number
}

/** A `LanguageModels` layer serving `models` by id, each with a catalog entry (price 0 unless given). */
export const scriptedModels = (
  models: Readonly<Record<string, LanguageModelV4>>,
  prices: Readonly<Record<string, Prices>> = {}
): Layer.Layer<LanguageModels> => {
  const entries = new Map<string, ModelCatalogEntry>(
    Object.keys(models).map((id) => [
      id,
      {
        id,
        displayName: id,
        provider: providerOf(id),
        inputPricePerMTok: prices[id]?.inputPricePerMTok ?? 0,
        outputPricePerMTok: prices[id]?.outputPricePerMTok ?? 0
      }
    ])
  )
  return Layer.succeed(LanguageModels, {
    catalog: Effect.sync(() => Array.from(entries.values())),
    resolve: (modelId) => {
      const entry = entries.get(modelId)
      const model = models[modelId]
      return entry !== undefined && model !== undefined
        ? Effect.succeed({ entry, model })
        : Effect.fail(new ModelNotConfigured({ message: `Model ${modelId} is not configured`, modelId }))
    }
  })
}

/** Same as `scriptedModels`, under the usual layer name. */
export const layer = scriptedModels
