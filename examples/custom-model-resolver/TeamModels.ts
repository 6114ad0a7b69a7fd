/**
 * A custom `LanguageModels` resolver, written directly against core's port (not through runner's
 * `Models`): a model table the operators keep in a file, and one gateway per team. Ids are
 * `<team>:<model>` (`research:claude-sonnet-4-5`); a team's calls go to its own gateway with its
 * own key, so each team's spend and rate limits stay its own, and a team can only use the models
 * the table gives it.
 *
 * The gateways speak Anthropic's Messages API (Anthropic itself, or a proxy in front of it), so
 * the models are `@ai-sdk/anthropic`'s; any other `ai` SDK provider would do the same job.
 */
import { createAnthropic } from "@ai-sdk/anthropic"
import { type FieldError, LanguageModels, type ModelCatalogEntry, ModelNotConfigured } from "@armature/core"
import { Data, Effect, Either, Layer, ParseResult, Redacted, Schema } from "effect"

/** A team's gateway: an endpoint speaking the Messages API (`…/v1`) and the team's key for it. */
export interface Gateway {
  readonly baseURL: string
  readonly apiKey: Redacted.Redacted<string>
}

const Price = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())

/** One row of the model table: a model a team may use, and its prices (USD per million tokens). */
export const ModelRow = Schema.Struct({
  team: Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9_.-]*$/)),
  /** The gateway's name for the model. */
  model: Schema.NonEmptyTrimmedString,
  displayName: Schema.NonEmptyTrimmedString,
  inputPricePerMTok: Price,
  outputPricePerMTok: Price
})
export type ModelRow = typeof ModelRow.Type

/** The model table as operators write it: a JSON array of rows. */
export const ModelTableJson = Schema.parseJson(Schema.Array(ModelRow))

/** The table cannot be served; `fields` names every offending field (`[2].inputPricePerMTok`). */
export class InvalidModelTable extends Data.TaggedError("InvalidModelTable")<{
  readonly message: string
  readonly fields: ReadonlyArray<FieldError>
}> {}

const invalid = (fields: ReadonlyArray<FieldError>) =>
  new InvalidModelTable({
    message: `invalid model table: ${fields.map((f) => `${f.field} ${f.message}`).join("; ")}`,
    fields
  })

/** `[1].inputPricePerMTok` from a parse issue's path. */
const fieldOf = (path: ReadonlyArray<PropertyKey>) =>
  path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "")

/** Decodes the table's JSON text, every problem named by its field. */
export const decodeTable = (json: string): Either.Either<ReadonlyArray<ModelRow>, InvalidModelTable> =>
  Schema.decodeUnknownEither(ModelTableJson, { errors: "all" })(json).pipe(
    Either.mapLeft((error) =>
      invalid(
        ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
          field: fieldOf(issue.path) || "table",
          message: issue.message
        }))
      )
    )
  )

export interface Options {
  readonly table: ReadonlyArray<ModelRow>
  /** Every team named in the table needs its gateway. */
  readonly gateways: Readonly<Record<string, Gateway>>
}

/** The rows' problems a schema cannot see: a team without a gateway, a model listed twice. */
const problems = (options: Options): ReadonlyArray<FieldError> => {
  const seen = new Set<string>()
  return options.table.flatMap((row, i) => {
    const id = `${row.team}:${row.model}`
    const duplicate = seen.has(id)
    seen.add(id)
    return [
      ...(Object.hasOwn(options.gateways, row.team)
        ? []
        : [{ field: `[${i}].team`, message: `"${row.team}" has no gateway configured` }]),
      ...(duplicate ? [{ field: `[${i}].model`, message: `${id} is listed twice` }] : [])
    ]
  })
}

/** Builds the resolver; fails with every problem of the table at once. */
export const make = (options: Options): Effect.Effect<LanguageModels["Type"], InvalidModelTable> =>
  Effect.suspend(() => {
    const found = problems(options)
    if (found.length > 0) return Effect.fail(invalid(found))
    // One provider per team, made once; a model object per id, made on first use.
    const providers = new Map(
      Object.entries(options.gateways).map(([team, gateway]) => [
        team,
        createAnthropic({
          name: `${team}.messages`,
          baseURL: gateway.baseURL,
          apiKey: Redacted.value(gateway.apiKey)
        })
      ])
    )
    const rows = new Map(options.table.map((row) => [`${row.team}:${row.model}`, row]))
    const entryOf = (id: string, row: ModelRow): ModelCatalogEntry => ({
      id,
      displayName: row.displayName,
      provider: row.team,
      inputPricePerMTok: row.inputPricePerMTok,
      outputPricePerMTok: row.outputPricePerMTok
    })
    const catalog = [...rows].map(([id, row]) => entryOf(id, row))
    const models = new Map<string, ReturnType<ReturnType<typeof createAnthropic>>>()

    return Effect.succeed(
      LanguageModels.of({
        catalog: Effect.succeed(catalog),
        resolve: (modelId) =>
          Effect.suspend(() => {
            const row = rows.get(modelId)
            if (row === undefined) {
              const team = modelId.includes(":") ? modelId.slice(0, modelId.indexOf(":")) : null
              const why =
                team === null
                  ? "ids are <team>:<model>"
                  : providers.has(team)
                    ? `it is not in team "${team}"'s rows of the model table`
                    : `no team "${team}" is configured`
              return Effect.fail(
                new ModelNotConfigured({ message: `Model ${modelId} is not available: ${why}`, modelId })
              )
            }
            let model = models.get(modelId)
            if (model === undefined) {
              model = providers.get(row.team)!(row.model)
              models.set(modelId, model)
            }
            return Effect.succeed({ entry: entryOf(modelId, row), model })
          })
      })
    )
  })

/** Provides core's `LanguageModels` from a decoded table. */
export const layer = (options: Options): Layer.Layer<LanguageModels, InvalidModelTable> =>
  Layer.effect(LanguageModels, make(options))

/** Provides core's `LanguageModels` from the table's JSON text (a file's content). */
export const layerJson = (
  tableJson: string,
  gateways: Options["gateways"]
): Layer.Layer<LanguageModels, InvalidModelTable> =>
  Layer.effect(
    LanguageModels,
    Effect.flatMap(decodeTable(tableJson), (table) => make({ table, gateways }))
  )
