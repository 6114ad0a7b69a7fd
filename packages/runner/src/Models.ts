/**
 * The default `LanguageModels` adapter: OpenAI and any OpenAI-compatible endpoint (base URL and key
 * from configuration) through `@ai-sdk/openai`'s chat-completions model, plus any other `ai` SDK
 * provider registered with `register`.
 *
 * ```ts
 * import { createAnthropic } from "@ai-sdk/anthropic"
 * const anthropic = createAnthropic({ apiKey })
 * Models.layer({
 *   openai: { apiKey: Redacted.make(key) },
 *   models: [Models.register("anthropic:claude-sonnet-4-5", anthropic("claude-sonnet-4-5"),
 *     { displayName: "Claude Sonnet 4.5", inputPricePerMTok: 3, outputPricePerMTok: 15 })]
 * })
 * ```
 */
import { createOpenAI } from "@ai-sdk/openai"
import type { LanguageModelV4 } from "@ai-sdk/provider"
import { LanguageModels, type ModelCatalogEntry, ModelNotConfigured } from "@armature/core"
import { Config, type ConfigError, Effect, Layer, Redacted, Schema } from "effect"

/** A model added to the catalog: any `ai` SDK `LanguageModelV4` with its catalog entry. */
export interface Registration {
  readonly entry: ModelCatalogEntry
  readonly model: LanguageModelV4
}

/** Registers any `ai` SDK model under an id `provider:model`; the provider defaults to the id's prefix. */
export const register = (
  id: string,
  model: LanguageModelV4,
  entry: Partial<Omit<ModelCatalogEntry, "id">> = {}
): Registration => ({
  model,
  entry: {
    id,
    displayName: entry.displayName ?? id,
    provider: entry.provider ?? id.split(":")[0] ?? "custom",
    inputPricePerMTok: entry.inputPricePerMTok ?? 0,
    outputPricePerMTok: entry.outputPricePerMTok ?? 0
  }
})

/** OpenAI models with list prices (USD per million tokens); override or extend with `openai.models`. */
export const openaiCatalog: ReadonlyArray<ModelCatalogEntry> = [
  {
    id: "openai:gpt-5",
    displayName: "GPT-5",
    provider: "openai",
    inputPricePerMTok: 1.25,
    outputPricePerMTok: 10
  },
  {
    id: "openai:gpt-5-mini",
    displayName: "GPT-5 mini",
    provider: "openai",
    inputPricePerMTok: 0.25,
    outputPricePerMTok: 2
  },
  {
    id: "openai:gpt-5-nano",
    displayName: "GPT-5 nano",
    provider: "openai",
    inputPricePerMTok: 0.05,
    outputPricePerMTok: 0.4
  },
  {
    id: "openai:gpt-4.1",
    displayName: "GPT-4.1",
    provider: "openai",
    inputPricePerMTok: 2,
    outputPricePerMTok: 8
  },
  {
    id: "openai:gpt-4.1-mini",
    displayName: "GPT-4.1 mini",
    provider: "openai",
    inputPricePerMTok: 0.4,
    outputPricePerMTok: 1.6
  },
  {
    id: "openai:gpt-4o-mini",
    displayName: "GPT-4o mini",
    provider: "openai",
    inputPricePerMTok: 0.15,
    outputPricePerMTok: 0.6
  }
]

export interface Options {
  /** OpenAI or an OpenAI-compatible endpoint; absent = no `openai:` models. */
  readonly openai?: {
    readonly apiKey: Redacted.Redacted<string>
    /** e.g. `http://127.0.0.1:11434/v1` for a local OpenAI-compatible server. */
    readonly baseURL?: string
    /** Catalog entries (`openai:<model>`) replacing or adding to `openaiCatalog`. */
    readonly models?: ReadonlyArray<ModelCatalogEntry>
    /** Resolve `openai:<any>` ids not in the catalog (priced 0). Default true: compatible servers name models freely. */
    readonly allowUncataloged?: boolean
  }
  readonly models?: ReadonlyArray<Registration>
}

/** Builds the adapter. */
export const make = (options: Options): LanguageModels["Type"] => {
  const registered = new Map<string, Registration>()
  const openai = options.openai
  if (openai !== undefined) {
    const provider = createOpenAI({
      apiKey: Redacted.value(openai.apiKey),
      ...(openai.baseURL === undefined ? {} : { baseURL: openai.baseURL })
    })
    const entries = new Map(openaiCatalog.map((e) => [e.id, e]))
    for (const e of openai.models ?? []) entries.set(e.id, e)
    for (const e of entries.values())
      registered.set(e.id, { entry: e, model: provider.chat(e.id.slice("openai:".length)) })
    if (openai.allowUncataloged !== false) {
      // Models built on first use, so any name an OpenAI-compatible server knows resolves.
      const lazy = (id: string): Registration | undefined =>
        id.startsWith("openai:") && id.length > "openai:".length
          ? register(id, provider.chat(id.slice("openai:".length)), { provider: "openai" })
          : undefined
      return build(registered, options.models ?? [], lazy)
    }
  }
  return build(registered, options.models ?? [], () => undefined)
}

const build = (
  registered: Map<string, Registration>,
  extra: ReadonlyArray<Registration>,
  fallback: (id: string) => Registration | undefined
): LanguageModels["Type"] => {
  for (const r of extra) registered.set(r.entry.id, r)
  return LanguageModels.of({
    catalog: Effect.sync(() => [...registered.values()].map((r) => r.entry)),
    resolve: (modelId) =>
      Effect.suspend(() => {
        const hit = registered.get(modelId) ?? fallback(modelId)
        if (hit === undefined) {
          return Effect.fail(
            new ModelNotConfigured({
              message: `Model ${modelId} is not configured in this deployment`,
              modelId
            })
          )
        }
        registered.set(modelId, hit)
        return Effect.succeed(hit)
      })
  })
}

/** The adapter from explicit options. */
export const layer = (options: Options): Layer.Layer<LanguageModels> =>
  Layer.sync(LanguageModels, () => make(options))

/**
 * Catalog entries of an OpenAI-compatible endpoint as an operator writes them: a JSON array of
 * `{ id, displayName?, inputPricePerMTok?, outputPricePerMTok? }`, ids with or without `openai:`.
 */
export const OpenAiModelsJson = Schema.parseJson(
  Schema.Array(
    Schema.Struct({
      id: Schema.String,
      displayName: Schema.optional(Schema.String),
      inputPricePerMTok: Schema.optionalWith(Schema.Number, { default: () => 0 }),
      outputPricePerMTok: Schema.optionalWith(Schema.Number, { default: () => 0 })
    })
  )
)

/** Those entries in the catalog: ids `openai:<model>`, named by their id unless given a name. */
export const openAiEntries = (models: typeof OpenAiModelsJson.Type): ReadonlyArray<ModelCatalogEntry> =>
  models.map((m) => ({
    id: m.id.startsWith("openai:") ? m.id : `openai:${m.id}`,
    displayName: m.displayName ?? m.id,
    provider: "openai",
    inputPricePerMTok: m.inputPricePerMTok,
    outputPricePerMTok: m.outputPricePerMTok
  }))

/** The adapter with its options from configuration (a `Config.Wrap` of `Options`). */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<LanguageModels, ConfigError.ConfigError> =>
  Layer.effect(LanguageModels, Effect.map(Config.unwrap(config), make))
