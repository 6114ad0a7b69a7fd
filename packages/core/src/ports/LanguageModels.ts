import type { LanguageModelV4 } from "@ai-sdk/provider"
import { Context, type Effect, Schema } from "effect"

/** A model the deployment can use, with its prices (USD per million tokens). */
export const ModelCatalogEntry = Schema.Struct({
  id: Schema.String,
  displayName: Schema.String,
  provider: Schema.String,
  inputPricePerMTok: Schema.Number,
  outputPricePerMTok: Schema.Number
})
export type ModelCatalogEntry = typeof ModelCatalogEntry.Type

export class ModelNotConfigured extends Schema.TaggedError<ModelNotConfigured>()("ModelNotConfigured", {
  message: Schema.String,
  modelId: Schema.String
}) {}

/** Resolves model ids (`openai:gpt-5-mini`) to `ai` SDK language models. */
export class LanguageModels extends Context.Tag("@armature/core/LanguageModels")<
  LanguageModels,
  {
    readonly catalog: Effect.Effect<ReadonlyArray<ModelCatalogEntry>>
    readonly resolve: (
      modelId: string
    ) => Effect.Effect<
      { readonly entry: ModelCatalogEntry; readonly model: LanguageModelV4 },
      ModelNotConfigured
    >
  }
>() {}

/** Cost of a model call from catalog prices. */
export const costOf = (entry: ModelCatalogEntry, inputTokens: number, outputTokens: number): number =>
  (inputTokens * entry.inputPricePerMTok + outputTokens * entry.outputPricePerMTok) / 1_000_000
