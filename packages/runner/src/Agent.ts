/**
 * The tester agent (SPEC §3.2 steps 2–4): an `ai` SDK tool loop over the server's tools that the
 * tool policy allows, within the workflow's limits, with every step recorded in the trace.
 *
 * The `ai` SDK calls tools through Promise callbacks. Our own sessions are called there through
 * their Promise form (`Recorder.callPromise`), with no fiber per call; a session of another
 * connector crosses into Effect with the runtime captured when the loop starts.
 */
import type { LanguageModelV4 } from "@ai-sdk/provider"
import {
  type Limits,
  type McpSession,
  type Tool as McpTool,
  ToolPolicy,
  type WorkflowSpec
} from "@armature/core"
import { generateText, jsonSchema, NoSuchToolError, stepCountIs, type ToolSet, tool } from "ai"
import { Data, Duration, Effect, Runtime } from "effect"
import type { Recorder } from "./internal/recorder.js"

/** Everything one agent loop needs; the prompt is already rendered. */
export interface AgentInput {
  readonly model: LanguageModelV4
  readonly session: McpSession
  /** The server's tools as listed; the policy decides which are offered. */
  readonly tools: ReadonlyArray<McpTool>
  readonly policy: WorkflowSpec["toolPolicy"]
  readonly limits: Limits
  readonly prompt: string
  readonly recorder: Recorder
  /** Wall time left for the loop (the run's `timeoutSeconds` minus what setup used). */
  readonly timeoutMs: number
  readonly system?: string
}

export interface AgentOutcome {
  /** `null` when the loop ended at `maxSteps` without a final text. */
  readonly finalAnswer: string | null
  readonly inputTokens: number
  readonly outputTokens: number
  readonly steps: number
}

/** The loop could not finish: wall time ran out or the model provider failed. */
export class AgentFailed extends Data.TaggedError("AgentFailed")<{
  readonly reason: "timeout" | "model_failure"
  readonly message: string
  readonly inputTokens: number
  readonly outputTokens: number
}> {}

export const defaultSystem =
  "You are a tester agent exercising the tools of an MCP server to accomplish the task you are given. " +
  "Call the tools you need, check their results, and finish with a concise final answer that states " +
  "what you did and what the tools returned (include ids and values)."

/** Provider tool names allow `[a-zA-Z0-9_-]{1,64}`; MCP names are freer. Returns the name map. */
const modelNames = (tools: ReadonlyArray<McpTool>): Map<string, McpTool> => {
  const map = new Map<string, McpTool>()
  for (const t of tools) {
    const base = t.name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 60) || "tool"
    let name = base
    for (let i = 2; map.has(name); i++) name = `${base}_${i}`
    map.set(name, t)
  }
  return map
}

/** Runs the loop; failures of tool calls are results for the model, not failures of the loop. */
export const run = (input: AgentInput): Effect.Effect<AgentOutcome, AgentFailed> =>
  Effect.gen(function* () {
    const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
    const run = <A>(effect: Effect.Effect<A>, signal: AbortSignal | undefined) =>
      runPromise(effect, signal === undefined ? undefined : { signal })
    const { recorder, limits, session } = input
    const { allowed, hidden } = ToolPolicy.apply(input.tools, input.policy)
    if (hidden.length > 0) {
      recorder.event({
        type: "info",
        text: `Tools hidden by the tool policy: ${hidden.map((h) => h.tool).join(", ")}`,
        data: hidden
      })
    }
    const byModelName = modelNames(allowed)
    let finishedSteps = 0
    let agentCalls = 0
    let inputTokens = 0
    let outputTokens = 0
    const callOptions = {
      timeoutMs: limits.callTimeoutSeconds * 1000,
      maxTotalTimeoutMs: Math.max(limits.callTimeoutSeconds, limits.callTimeoutCapSeconds) * 1000
    }

    const tools: ToolSet = {}
    for (const [modelName, mcpTool] of byModelName) {
      tools[modelName] = tool({
        ...(mcpTool.description === undefined ? {} : { description: mcpTool.description }),
        inputSchema: jsonSchema(mcpTool.inputSchema as Parameters<typeof jsonSchema>[0]),
        execute: async (args: unknown, { abortSignal }) => {
          const step = finishedSteps + 1
          if (agentCalls >= limits.maxToolCalls) {
            recorder.refuse(
              "agent",
              step,
              mcpTool.name,
              args,
              `maxToolCalls (${limits.maxToolCalls}) reached`
            )
            throw new Error(`Refused: the limit of ${limits.maxToolCalls} tool calls is reached`)
          }
          agentCalls++
          const outcome = await recorder.callPromise(
            session,
            "agent",
            step,
            mcpTool.name,
            (args ?? {}) as Record<string, unknown>,
            callOptions,
            run,
            abortSignal
          )
          if (outcome.error !== null) throw new Error(`Tool call failed: ${outcome.error}`)
          return {
            isError: outcome.isError,
            content: outcome.content,
            ...(outcome.structuredContent === undefined
              ? {}
              : { structuredContent: outcome.structuredContent })
          }
        }
      })
    }

    recorder.event({ type: "message", role: "user", text: input.prompt })
    const result = yield* Effect.tryPromise({
      try: (signal) =>
        generateText({
          model: input.model,
          system: input.system ?? defaultSystem,
          prompt: input.prompt,
          tools,
          stopWhen: stepCountIs(limits.maxSteps),
          abortSignal: AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, input.timeoutMs))]),
          maxRetries: 1,
          onStepEnd: (step) => {
            finishedSteps++
            inputTokens += step.usage.inputTokens ?? 0
            outputTokens += step.usage.outputTokens ?? 0
            recorder.event({
              type: "step",
              text: `Step ${finishedSteps}: ${step.finishReason}`,
              data: {
                step: finishedSteps,
                usage: { input: step.usage.inputTokens, output: step.usage.outputTokens }
              }
            })
            for (const part of step.content) {
              if (part.type === "tool-call" && (part as { invalid?: boolean }).invalid === true) {
                const error = (part as { error?: unknown }).error
                const original = byModelName.get(part.toolName)?.name ?? part.toolName
                if (NoSuchToolError.isInstance(error)) {
                  const known = input.tools.find((t) => t.name === part.toolName)
                  const why = known
                    ? (ToolPolicy.decide(known, input.policy).reason ?? "not allowed by the tool policy")
                    : "no such tool on the server"
                  recorder.refuse("agent", finishedSteps, original, part.input, why)
                } else {
                  recorder.event({
                    type: "error",
                    text: `Invalid call of ${original}: ${String((error as Error)?.message ?? error)}`
                  })
                }
              }
            }
            if (step.text.length > 0) recorder.event({ type: "message", role: "assistant", text: step.text })
          }
        }),
      catch: (e) => e
    }).pipe(
      // The abort signal only helps when the provider honours it; a call stuck on a connection
      // that ignores it must still end the loop at its wall time.
      Effect.timeoutFail({
        duration: Duration.millis(Math.max(1, input.timeoutMs)),
        onTimeout: () => new DOMException("The agent's wall time is up", "TimeoutError")
      }),
      Effect.mapError((e) => {
        const aborted = e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError")
        return new AgentFailed({
          reason: aborted ? "timeout" : "model_failure",
          message: aborted
            ? `No final answer within ${Math.round(input.timeoutMs / 1000)} s`
            : recorder.redact(e instanceof Error ? e.message : String(e)).slice(0, 500),
          inputTokens,
          outputTokens
        })
      }),
      Effect.tapError((e) =>
        Effect.sync(() => recorder.event({ type: "error", text: `${e.reason}: ${e.message}` }))
      )
    )

    const last = result.steps.at(-1)
    const answered = last !== undefined && last.finishReason !== "tool-calls" && result.text.length > 0
    if (!answered)
      recorder.event({
        type: "info",
        text: `Stopped after ${result.steps.length} steps without a final answer`
      })
    return {
      finalAnswer: answered ? result.text : null,
      inputTokens,
      outputTokens,
      steps: result.steps.length
    }
  })
