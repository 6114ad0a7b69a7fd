/**
 * Claude as a tester or judge model: `@ai-sdk/anthropic` registered in runner's default
 * `LanguageModels` adapter (`Models`) under ids `anthropic:<model>`. Nothing in Armature knows
 * about Anthropic: the provider package builds an `ai` SDK model, `Models.register` gives it a
 * catalog entry (name and prices, so runs are costed), and workflows name it like any other
 * (`"judgeModel": "anthropic:claude-haiku-4-5"`).
 */
import { createAnthropic } from "@ai-sdk/anthropic"
import type { LanguageModels } from "@armature/core"
import { Models } from "@armature/runner"
import { Config, type ConfigError, Effect, Layer, Redacted } from "effect"

/** One Claude model offered to workflows, with its prices (USD per million tokens). */
export interface Claude {
  /** Anthropic's model name, e.g. `claude-haiku-4-5`; the Armature id is `anthropic:<model>`. */
  readonly model: string
  readonly displayName: string
  readonly inputPricePerMTok: number
  readonly outputPricePerMTok: number
}

/** Anthropic's list prices when this was written; pass `models` to offer others or correct them. */
export const claudeCatalog: ReadonlyArray<Claude> = [
  { model: "claude-haiku-4-5", displayName: "Claude Haiku 4.5", inputPricePerMTok: 1, outputPricePerMTok: 5 },
  {
    model: "claude-sonnet-4-5",
    displayName: "Claude Sonnet 4.5",
    inputPricePerMTok: 3,
    outputPricePerMTok: 15
  },
  { model: "claude-opus-4-5", displayName: "Claude Opus 4.5", inputPricePerMTok: 5, outputPricePerMTok: 25 }
]

export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /**
   * `https://api.anthropic.com/v1` by default; any gateway speaking the Messages API otherwise.
   * Given explicitly so the provider's own `ANTHROPIC_BASE_URL` fallback never applies unseen.
   */
  readonly baseURL?: string
  /** The models offered; `claudeCatalog` by default. */
  readonly models?: ReadonlyArray<Claude>
}

/** Registrations for `Models.layer({ models })`: one per Claude model, ids `anthropic:<model>`. */
export const registrations = (options: Options): ReadonlyArray<Models.Registration> => {
  const anthropic = createAnthropic({
    apiKey: Redacted.value(options.apiKey),
    baseURL: options.baseURL ?? "https://api.anthropic.com/v1"
  })
  return (options.models ?? claudeCatalog).map((claude) =>
    Models.register(`anthropic:${claude.model}`, anthropic(claude.model), {
      displayName: claude.displayName,
      provider: "anthropic",
      inputPricePerMTok: claude.inputPricePerMTok,
      outputPricePerMTok: claude.outputPricePerMTok
    })
  )
}

/**
 * `LanguageModels` offering Claude only. To keep OpenAI too, pass `registrations(...)` as the
 * `models` of your own `Models.layer({ openai: {...}, models })`.
 */
export const layer = (options: Options): Layer.Layer<LanguageModels> =>
  Models.layer({ models: registrations(options) })

/** `layer` with its options from configuration, under names the application chooses. */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<LanguageModels, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
