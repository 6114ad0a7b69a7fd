/**
 * The judge (SPEC §3.2 step 6, §4.2): one structured-output call that grades every criterion
 * independently from the transcript and trace — verdict, short reasoning, evidence ids —
 * validated by schema, retried once, then `judge_failed`.
 */
import type { LanguageModelV4 } from "@ai-sdk/provider"
import type { Criterion, CriterionResult, ToolCall, TraceEvent } from "@armature/core"
import { generateText, jsonSchema, Output } from "ai"
import { Data, Effect, Either, Schema } from "effect"

export interface JudgeInput {
  readonly model: LanguageModelV4
  readonly criteria: ReadonlyArray<Criterion>
  readonly prompt: string
  readonly finalAnswer: string | null
  /** Already redacted. */
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly trace: ReadonlyArray<TraceEvent>
}

export interface JudgeOutcome {
  readonly criteria: ReadonlyArray<CriterionResult>
  readonly inputTokens: number
  readonly outputTokens: number
}

/** The judge's output did not validate twice, or the judge model failed. */
export class JudgeFailed extends Data.TaggedError("JudgeFailed")<{
  readonly message: string
  readonly inputTokens: number
  readonly outputTokens: number
}> {}

const Verdicts = Schema.Struct({
  verdicts: Schema.Array(
    Schema.Struct({
      criterionId: Schema.String,
      verdict: Schema.Literal("pass", "partial", "fail"),
      reasoning: Schema.String,
      evidence: Schema.Array(Schema.String)
    })
  )
})

/** JSON Schema of the output, for providers with structured-output modes. */
const outputSchema = {
  type: "object",
  properties: {
    verdicts: {
      type: "array",
      items: {
        type: "object",
        properties: {
          criterionId: { type: "string" },
          verdict: { type: "string", enum: ["pass", "partial", "fail"] },
          reasoning: { type: "string" },
          evidence: { type: "array", items: { type: "string" } }
        },
        required: ["criterionId", "verdict", "reasoning", "evidence"],
        additionalProperties: false
      }
    }
  },
  required: ["verdicts"],
  additionalProperties: false
} as const

const system =
  "You are a strict test judge. Grade each criterion independently, only from the evidence in the " +
  "transcript: `pass` when it is fully met, `partial` when partly met, `fail` otherwise. Give a " +
  "short reasoning and cite evidence by the ids of tool calls (tc-N) and trace events (ev-N). " +
  "Answer with JSON only: one entry in `verdicts` per criterion id."

const clip = (v: unknown, max = 1500) => {
  const s = typeof v === "string" ? v : JSON.stringify(v)
  return s.length > max ? `${s.slice(0, max)}…` : s
}

/** The transcript the judge reads. */
const transcript = (input: JudgeInput): string =>
  [
    `# Task given to the tester agent\n${input.prompt}`,
    `# Tool calls\n${
      input.toolCalls
        .map(
          (c) =>
            `[${c.id}] ${c.phase} ${c.name}(${clip(c.arguments, 500)}) → ${
              c.refused
                ? `REFUSED: ${c.error}`
                : c.error
                  ? `ERROR: ${c.error}`
                  : `${c.isError ? "isError " : ""}${clip(c.structuredContent ?? c.content)}`
            }`
        )
        .join("\n") || "(none)"
    }`,
    `# Trace events\n${input.trace
      .filter((e) => e.type !== "progress")
      .map((e) => `[${e.id}] ${e.type}${e.role ? `/${e.role}` : ""}: ${clip(e.text ?? "", 800)}`)
      .join("\n")}`,
    `# Final answer\n${input.finalAnswer ?? "(no final answer)"}`,
    `# Criteria\n${input.criteria.map((c) => `- ${c.id}: ${c.text}`).join("\n")}`
  ].join("\n\n")

/** Grades every criterion; fails with `JudgeFailed` after one retry. */
export const judge = (input: JudgeInput): Effect.Effect<JudgeOutcome, JudgeFailed> =>
  Effect.gen(function* () {
    const known = new Set([...input.toolCalls.map((c) => c.id), ...input.trace.map((e) => e.id)])
    const prompt = transcript(input)
    let inputTokens = 0
    let outputTokens = 0
    let lastError = ""
    for (let attempt = 1; attempt <= 2; attempt++) {
      const r = yield* Effect.either(
        Effect.tryPromise((signal) =>
          generateText({
            model: input.model,
            system,
            prompt,
            temperature: 0,
            maxRetries: 1,
            abortSignal: signal,
            output: Output.object({ schema: jsonSchema<unknown>(outputSchema as never) })
          })
        )
      )
      if (Either.isLeft(r)) {
        const cause = (r.left as { error?: unknown }).error ?? r.left
        lastError = cause instanceof Error ? cause.message : String(cause)
        continue
      }
      inputTokens += r.right.usage.inputTokens ?? 0
      outputTokens += r.right.usage.outputTokens ?? 0
      const decoded = Schema.decodeUnknownEither(Verdicts)(r.right.output)
      if (Either.isLeft(decoded)) {
        lastError = "output does not match the verdict schema"
        continue
      }
      const byId = new Map(decoded.right.verdicts.map((v) => [v.criterionId, v]))
      const missing = input.criteria.filter((c) => !byId.has(c.id))
      if (missing.length > 0) {
        lastError = `no verdict for ${missing.map((c) => c.id).join(", ")}`
        continue
      }
      return {
        criteria: input.criteria.map((c) => {
          const v = byId.get(c.id)!
          return {
            criterionId: c.id,
            text: c.text,
            required: c.required,
            verdict: v.verdict,
            reasoning: v.reasoning,
            // Only ids that exist in this run count as evidence.
            evidence: v.evidence.filter((id) => known.has(id))
          }
        }),
        inputTokens,
        outputTokens
      }
    }
    return yield* new JudgeFailed({
      message: `Judge output invalid after a retry: ${lastError}`.slice(0, 500),
      inputTokens,
      outputTokens
    })
  })
