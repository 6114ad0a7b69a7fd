/**
 * Executes a pending run end to end (SPEC §3.2): connect, list and filter tools, setup, the tester
 * agent, teardown (also after failures), the judge, assertions and the roll-up. Every way a run
 * can go wrong ends as a terminal run with status `error` and a `RunError` code — the effect
 * itself never fails.
 */
import {
  Assertions,
  type AuthProfile,
  Catalogs,
  costOf,
  Grading,
  LanguageModels,
  McpConnector,
  type McpServer,
  type ModelUsage,
  type Run,
  type RunError,
  SecretStore,
  type ServerInfo,
  type WorkflowSpec
} from "@armature/core"
import { Clock, Duration, Effect, Either, Option, Redacted } from "effect"
import * as Agent from "./Agent.js"
import { Recorder } from "./internal/recorder.js"
import { secretsOf } from "./internal/session.js"
import { type RunVariables, render, renderDeep, runKey } from "./internal/variables.js"
import * as Judge from "./Judge.js"

/** A pending run with what it is pinned to. */
export interface RunContext {
  readonly run: Run
  readonly spec: WorkflowSpec
  readonly server: McpServer
  readonly profile: AuthProfile | null
}

type Failure = RunError

const fail = (code: RunError["code"], message: string): Failure => ({ code, message: message.slice(0, 1000) })

/**
 * Teardown cleans up test data, so it still runs after the deadline — for at most this long: the
 * run may end this much after `timeoutSeconds`, never more.
 */
export const teardownGraceMs = 10_000

/** A tool call error that means the connection broke, not that the tool misbehaved. */
const isTransportFailure = (error: string | null) =>
  error !== null && /^(transport|not_mcp|http_status|auth_rejected):/.test(error)

/** Runs one pending run to a terminal `Run`; the effect does not fail. */
export const execute = (
  ctx: RunContext
): Effect.Effect<Run, never, McpConnector | LanguageModels | SecretStore> =>
  Effect.gen(function* () {
    const { run, spec, server, profile } = ctx
    const clock = yield* Effect.clock
    const started = yield* Clock.currentTimeMillis
    const deadline = started + spec.limits.timeoutSeconds * 1000
    const secrets =
      profile?.secretRef == null
        ? []
        : yield* Effect.flatMap(SecretStore, (s) => s.get(profile.orgId, profile.secretRef!)).pipe(
            Effect.map((v) => [Redacted.value(v)]),
            Effect.orElseSucceed(() => [] as string[])
          )
    let sessionSecrets: () => ReadonlyArray<string> = () => []
    const recorder = new Recorder(
      () => clock.unsafeCurrentTimeMillis(),
      () => [...secrets, ...sessionSecrets()]
    )
    // Every phase is bounded by the run's deadline at the Effect level, since an abort signal
    // only helps when the provider or server honours it.
    const within = <A, R>(
      what: string,
      budgetMs: number,
      effect: Effect.Effect<A | Failure, never, R>
    ): Effect.Effect<A | Failure, never, R> =>
      Effect.map(Effect.timeoutOption(effect, Duration.millis(Math.max(0, budgetMs))), (result) => {
        if (Option.isSome(result)) return result.value
        const message = `${what} did not finish within the run's ${spec.limits.timeoutSeconds} s`
        recorder.event({ type: "error", text: `timeout: ${message}` })
        return fail("timeout", message)
      })
    const untilDeadline = <A, R>(what: string, effect: Effect.Effect<A | Failure, never, R>) =>
      Effect.suspend(() => within(what, deadline - clock.unsafeCurrentTimeMillis(), effect))

    const vars: RunVariables = {
      id: run.id,
      key: runKey(run.id),
      startedAt: new Date(started),
      vars: spec.variables
    }
    const prompt = render(spec.prompt, vars)
    if (prompt.unknown.length > 0)
      recorder.event({
        type: "info",
        text: `Unknown variables left as written: ${prompt.unknown.join(", ")}`
      })

    const usage: ModelUsage[] = []
    let serverInfo: ServerInfo | null = null
    let catalogHash: string | null = null
    let finalAnswer: string | null = null

    const outcome = yield* Effect.gen(function* () {
      const models = yield* LanguageModels
      const tester = yield* Effect.either(models.resolve(run.testerModel))
      if (Either.isLeft(tester)) return fail("model_not_configured", tester.left.message)
      const judgeModel = yield* Effect.either(models.resolve(run.judgeModel))
      if (Either.isLeft(judgeModel)) return fail("model_not_configured", judgeModel.left.message)
      const addUsage = (role: "tester" | "judge", entry: typeof tester.right.entry, i: number, o: number) =>
        usage.push({ model: entry.id, role, inputTokens: i, outputTokens: o, costUsd: costOf(entry, i, o) })

      // Connect, setup, agent, teardown — in one scope, so the session closes right after teardown.
      const agentFailure: Failure | null = yield* Effect.scoped(
        Effect.gen(function* () {
          const connector = yield* McpConnector
          const opened = yield* untilDeadline(
            "Connecting to the server",
            Effect.gen(function* () {
              const connected = yield* Effect.either(
                connector.connect(server, profile, { connectTimeoutMs: Math.min(30_000, deadline - started) })
              )
              if (Either.isLeft(connected)) {
                const e = connected.left
                return fail(
                  e.reason === "auth_rejected" ? "auth_rejected" : "server_unreachable",
                  recorder.redact(`${e.reason}${e.httpStatus ? ` (HTTP ${e.httpStatus})` : ""}: ${e.message}`)
                )
              }
              const live = connected.right
              serverInfo = live.serverInfo
              sessionSecrets = () => secretsOf(live)
              const tools = yield* Effect.either(live.listTools)
              if (Either.isLeft(tools))
                return fail("transport_failure", recorder.redact(`tools/list: ${tools.left.message}`))
              return { session: live, tools: tools.right }
            })
          )
          if ("code" in opened) return opened
          const { session, tools } = opened
          catalogHash = Catalogs.canonicalHash(tools)
          const callOptions = {
            timeoutMs: spec.limits.callTimeoutSeconds * 1000,
            maxTotalTimeoutMs:
              Math.max(spec.limits.callTimeoutSeconds, spec.limits.callTimeoutCapSeconds) * 1000
          }
          const steps = (phase: "setup" | "teardown", list: WorkflowSpec["setup"]) =>
            Effect.gen(function* () {
              for (const step of list) {
                const args = renderDeep(step.arguments, vars) as Record<string, unknown>
                const r = yield* recorder.call(session, phase, 0, step.tool, args, callOptions)
                if (isTransportFailure(r.error))
                  return fail("transport_failure", `${phase} ${step.tool}: ${r.error}`)
              }
              return null
            })

          const main = Effect.gen(function* () {
            const setupFailure = yield* untilDeadline("Setup", steps("setup", spec.setup))
            if (setupFailure !== null) return setupFailure
            // The agent bounds itself with what is left, keeping the tokens of the steps it finished.
            const agent = yield* Effect.either(
              Agent.run({
                model: tester.right.model,
                session,
                tools,
                policy: spec.toolPolicy,
                limits: spec.limits,
                prompt: prompt.text,
                recorder,
                timeoutMs: deadline - (yield* Clock.currentTimeMillis)
              })
            )
            if (Either.isLeft(agent)) {
              addUsage("tester", tester.right.entry, agent.left.inputTokens, agent.left.outputTokens)
              return fail(agent.left.reason, agent.left.message)
            }
            addUsage("tester", tester.right.entry, agent.right.inputTokens, agent.right.outputTokens)
            finalAnswer = agent.right.finalAnswer === null ? null : recorder.redact(agent.right.finalAnswer)
            const broken = recorder.toolCalls.find((c) => c.phase === "agent" && isTransportFailure(c.error))
            return broken ? fail("transport_failure", `${broken.name}: ${broken.error}`) : null
          })
          // Teardown runs whatever happened before it (SPEC §3.2 step 5).
          const mainFailure = yield* main
          const teardownFailure = yield* Effect.suspend(() =>
            within(
              "Teardown",
              Math.max(deadline - clock.unsafeCurrentTimeMillis(), teardownGraceMs),
              steps("teardown", spec.teardown)
            )
          )
          return mainFailure ?? teardownFailure
        })
      )
      if (agentFailure !== null) return agentFailure

      const judged = yield* untilDeadline(
        "The judge",
        Effect.either(
          Judge.judge({
            model: judgeModel.right.model,
            criteria: spec.criteria,
            prompt: prompt.text,
            finalAnswer,
            toolCalls: recorder.toolCalls,
            trace: recorder.trace
          })
        )
      )
      if ("code" in judged) return judged
      if (Either.isLeft(judged)) {
        addUsage("judge", judgeModel.right.entry, judged.left.inputTokens, judged.left.outputTokens)
        return fail("judge_failed", judged.left.message)
      }
      addUsage("judge", judgeModel.right.entry, judged.right.inputTokens, judged.right.outputTokens)
      return judged.right
    })

    const finished = yield* Clock.currentTimeMillis
    const durationMs = finished - started
    const base = {
      ...run,
      startedAt: new Date(started),
      finishedAt: new Date(finished),
      durationMs,
      finalAnswer,
      toolCalls: recorder.toolCalls,
      trace: recorder.trace,
      usage,
      costUsd: usage.reduce((sum, u) => sum + u.costUsd, 0),
      serverInfo,
      catalogHash
    }
    if ("code" in outcome)
      return { ...base, status: "error", criteria: [], assertions: [], error: outcome } satisfies Run
    const assertions = Assertions.evaluate(spec.assertions, {
      toolCalls: recorder.toolCalls,
      finalAnswer,
      usage,
      durationMs
    })
    return {
      ...base,
      status: Grading.rollUp(outcome.criteria, assertions),
      criteria: outcome.criteria,
      assertions,
      error: null
    } satisfies Run
  })
