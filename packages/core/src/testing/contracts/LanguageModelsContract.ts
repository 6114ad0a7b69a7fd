/**
 * The language-models contract: what every `LanguageModels` resolver must do, as tests. Workflows
 * name models by the catalog's ids and runs are priced by its entries, so the catalog must be well
 * formed, every id in it must resolve to its own entry and an `ai` SDK model, and an id the
 * deployment does not serve must be refused as `ModelNotConfigured` naming it.
 */
import { expect, layer as withLayer } from "@effect/vitest"
import { Effect, Either, type Layer, Schema } from "effect"
import { ModelId } from "../../domain/Workflow.js"
import { LanguageModels, ModelCatalogEntry } from "../../ports/LanguageModels.js"
import { uid } from "./fixtures.js"

export interface Options {
  /**
   * Ids the resolver does not serve, beside the contract's own (a fresh unknown provider and a
   * bare model name without one): e.g. a known provider's model that is not configured.
   */
  readonly unknownIds?: ReadonlyArray<string>
  /**
   * Also call every catalog model once (`doGenerate`, a one-line prompt) and expect a text
   * answer. For a test that points the models at a loopback or scripted backend; default false.
   */
  readonly generate?: boolean
}

const isPrice = (n: number) => Number.isFinite(n) && n >= 0

/** What is wrong with one catalog entry, as `field: problem` lines (none when it is well formed). */
const problemsOf = (entry: unknown): ReadonlyArray<string> => {
  const decoded = Schema.decodeUnknownEither(ModelCatalogEntry)(entry)
  if (Either.isLeft(decoded)) return [String(decoded.left)]
  const e = decoded.right
  return [
    ...(Schema.is(ModelId)(e.id) ? [] : [`id: ${JSON.stringify(e.id)} is not \`provider:model\``]),
    ...(e.displayName.trim() === "" ? ["displayName: empty"] : []),
    ...(e.provider.trim() === "" ? ["provider: empty"] : []),
    ...(isPrice(e.inputPricePerMTok) ? [] : [`inputPricePerMTok: ${e.inputPricePerMTok}`]),
    ...(isPrice(e.outputPricePerMTok) ? [] : [`outputPricePerMTok: ${e.outputPricePerMTok}`])
  ]
}

/** Runs the `LanguageModels` contract against `layer` (configured with at least one model). */
export const languageModelsContract = <R = never>(
  name: string,
  layer: Layer.Layer<LanguageModels | R, unknown>,
  options: Options = {}
): void =>
  withLayer(layer)(name, (it) => {
    it.effect("the catalog lists well-formed entries under unique provider:model ids", () =>
      Effect.gen(function* () {
        const catalog = yield* Effect.flatMap(LanguageModels, (m) => m.catalog)
        expect(catalog.length, "the adapter's test must configure at least one model").toBeGreaterThan(0)
        for (const entry of catalog)
          expect({ entry, problems: problemsOf(entry) }).toEqual({ entry, problems: [] })
        const ids = catalog.map((e) => e.id)
        expect(
          ids.filter((id, i) => ids.indexOf(id) !== i),
          "ids listed twice"
        ).toEqual([])
      })
    )

    it.effect("every catalog id resolves to its own entry and an ai SDK model", () =>
      Effect.gen(function* () {
        const models = yield* LanguageModels
        for (const entry of yield* models.catalog) {
          const resolved = yield* models.resolve(entry.id)
          expect(resolved.entry).toEqual(entry)
          expect(resolved.model.specificationVersion).toBe("v4")
          expect(typeof resolved.model.provider).toBe("string")
          expect(resolved.model.modelId.length).toBeGreaterThan(0)
          expect(typeof resolved.model.doGenerate).toBe("function")
          expect(typeof resolved.model.doStream).toBe("function")
          // Resolving is repeatable: the run and its cost see the same entry each time.
          expect((yield* models.resolve(entry.id)).entry).toEqual(entry)
        }
      })
    )

    it.effect("an id the deployment does not serve is ModelNotConfigured naming the id", () =>
      Effect.gen(function* () {
        const models = yield* LanguageModels
        const unknown = [
          `unconfigured-${uid().slice(0, 8)}:model`,
          "gpt-5-mini",
          ...(options.unknownIds ?? [])
        ]
        for (const modelId of unknown) {
          const result = yield* Effect.either(models.resolve(modelId))
          const refusal = Either.isLeft(result)
            ? {
                tag: result.left._tag,
                modelId: result.left.modelId,
                named: result.left.message.includes(modelId)
              }
            : { tag: "resolved" }
          expect({ id: modelId, refusal }).toEqual({
            id: modelId,
            refusal: { tag: "ModelNotConfigured", modelId, named: true }
          })
        }
        const ids = (yield* models.catalog).map((e) => e.id)
        for (const modelId of options.unknownIds ?? []) expect(ids).not.toContain(modelId)
      })
    )

    if (options.generate === true) {
      it.effect("every catalog model answers a prompt with text", () =>
        Effect.gen(function* () {
          const models = yield* LanguageModels
          for (const entry of yield* models.catalog) {
            const { model } = yield* models.resolve(entry.id)
            const result = yield* Effect.tryPromise({
              try: (abortSignal) =>
                Promise.resolve(
                  model.doGenerate({
                    prompt: [
                      { role: "user", content: [{ type: "text", text: "Answer with one word: ready?" }] }
                    ],
                    maxOutputTokens: 16,
                    abortSignal
                  })
                ),
              catch: (cause) => new Error(`${entry.id} failed to answer: ${String(cause)}`)
            })
            const text = result.content.flatMap((part) => (part.type === "text" ? [part.text] : []))
            expect({ id: entry.id, answered: text.join("").length > 0 }).toEqual({
              id: entry.id,
              answered: true
            })
          }
        })
      )
    }
  })
