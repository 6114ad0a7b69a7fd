/**
 * One check of a tool monitor (SPEC §5): the monitor's call (and any further steps) on a pooled
 * session, retried on transport errors only, classified `pass` / `degraded` / `fail` / `error`
 * by core's `Monitors.outcomeOf` (a check over its `failAboveMs` budget fails, saying so), with
 * a bounded, redacted excerpt of the result. Each step's result is checked by core against its
 * tool's `outputSchema` and the step's assertions.
 */
import {
  type AuthProfile,
  Ids,
  type JsonObject,
  type McpCallError,
  type McpServer,
  type Monitor,
  type MonitorCheck,
  Monitors,
  Redaction,
  ServerUnreachable,
  type Tool,
  type ToolCallResult
} from "@armature/core"
import { Clock, Effect, Either } from "effect"
import { resolve, UnresolvedReference } from "./internal/templates.js"
import { SessionPool } from "./SessionPool.js"

/** What to check: the monitor, its server and profile, and the due time the check is for. */
export interface CheckTarget {
  readonly monitor: Monitor
  readonly server: McpServer
  readonly profile: AuthProfile | null
  readonly scheduledAt: Date
  /**
   * The server's catalog tools: a step whose tool declares an `outputSchema` has its
   * `structuredContent` validated against it. Absent, no output schema is checked.
   */
  readonly tools?: ReadonlyArray<Pick<Tool, "name" | "outputSchema">>
}

/** Longest stored excerpt of a result or error, in characters. */
export const excerptLimit = 2000

const clip = (text: string, max = excerptLimit) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** Text of a result for the excerpt: text items, else the JSON of the structured content or content. */
const excerptOf = (result: ToolCallResult): string => {
  const texts = result.content
    .map((c) =>
      (c as { type?: string; text?: unknown }).type === "text" ? (c as { text: unknown }).text : null
    )
    .filter((t): t is string => typeof t === "string")
  if (texts.length > 0) return texts.join("\n")
  return JSON.stringify(result.structuredContent ?? result.content)
}

/** Retried: the network or the server process hiccuped. Not retried: timeouts (the budget is spent), auth, malformed answers. */
const retriable = (e: McpCallError | ServerUnreachable) =>
  e instanceof ServerUnreachable
    ? e.reason === "connection_refused" || e.reason === "transport" || e.reason === "dns"
    : e.kind === "transport" || (e.kind === "http_status" && (e.httpStatus ?? 500) >= 500)

const isTimeout = (e: McpCallError | ServerUnreachable) =>
  e instanceof ServerUnreachable ? e.reason === "timeout" : e.kind === "timeout"

interface StepOutcome {
  readonly result?: ToolCallResult
  readonly error?: McpCallError | ServerUnreachable | UnresolvedReference
  readonly attempts: number
  readonly secrets: ReadonlyArray<string>
}

/** Executes a check; never fails — every failure is an outcome. */
export const execute = (target: CheckTarget): Effect.Effect<MonitorCheck, never, SessionPool | Ids> =>
  Effect.gen(function* () {
    const pool = yield* SessionPool
    const ids = yield* Ids
    const { monitor, server, profile } = target
    const started = yield* Clock.currentTimeMillis
    const deadline = started + monitor.timeoutMs
    const steps = [
      { toolName: monitor.toolName, arguments: monitor.arguments, assertions: monitor.assertions },
      ...monitor.nextSteps
    ]
    const results: unknown[] = []
    let last: StepOutcome = { attempts: 0, secrets: [] }
    let resultFailure: Monitors.ResultFailure | null = null
    let attempts = 0
    let failedStep = 0

    for (const [index, step] of steps.entries()) {
      failedStep = index
      // Pure and synchronous: a plain try, not an Effect (and an Either) per step of every check.
      let args: JsonObject
      try {
        args = resolve(step.arguments as JsonObject, results)
      } catch (e) {
        last = { error: e as UnresolvedReference, attempts: 0, secrets: last.secrets }
        break
      }
      last = yield* callWithRetries(pool, server, profile, step.toolName, args, deadline, monitor.retries)
      attempts = Math.max(attempts, last.attempts)
      if (last.error !== undefined || last.result === undefined) break
      results.push(last.result)
      if (last.result.isError) break
      resultFailure = checkResult(target, step, index, last.result, last.secrets)
      if (resultFailure !== null) break
    }

    const latencyMs = (yield* Clock.currentTimeMillis) - started
    const error = last.error
    const transportError = error !== undefined && !(error instanceof UnresolvedReference) && !isTimeout(error)
    const outcome = Monitors.outcomeOf(
      {
        // An unresolved reference means an earlier result lacked what later steps need: the tool misbehaved.
        isError: last.result?.isError === true || error instanceof UnresolvedReference,
        resultFailed: resultFailure !== null,
        latencyMs,
        timedOut: error !== undefined && !(error instanceof UnresolvedReference) && isTimeout(error),
        transportError
      },
      monitor
    )
    const secrets = last.secrets
    const stepNote = steps.length > 1 ? `step ${failedStep}: ` : ""
    yield* Effect.annotateCurrentSpan({ "armature.check_outcome": outcome, "armature.attempts": attempts })
    return {
      id: yield* ids.uuid,
      orgId: monitor.orgId,
      monitorId: monitor.id,
      scheduledAt: target.scheduledAt,
      startedAt: new Date(started),
      outcome,
      latencyMs,
      error:
        error !== undefined
          ? clip(Redaction.redactText(`${stepNote}${errorText(error)}`, secrets), 1000)
          : last.result?.isError
            ? clip(Redaction.redactText(`${stepNote}${excerptOf(last.result)}`, secrets), 1000)
            : resultFailure !== null
              ? clip(Redaction.redactText(`${stepNote}${resultFailure.message}`, secrets), 1000)
              : outcome === "fail" && monitor.failAboveMs !== null
                ? Monitors.budgetMessage(latencyMs, monitor.failAboveMs)
                : null,
      resultExcerpt:
        last.result === undefined ? null : clip(Redaction.redactText(excerptOf(last.result), secrets)),
      attempts: Math.max(1, attempts)
    }
  }).pipe(
    Effect.withSpan("MonitorCheck.execute", {
      captureStackTrace: false,
      attributes: {
        "armature.org_id": target.monitor.orgId,
        "armature.monitor_id": target.monitor.id,
        "armature.mcp_server_id": target.server.id,
        "armature.tool_name": target.monitor.toolName
      }
    })
  )

/** The output-schema check of the step's tool, then the step's assertions; the first failure. */
const checkResult = (
  target: CheckTarget,
  step: { readonly toolName: string; readonly assertions: Monitor["assertions"] },
  index: number,
  result: ToolCallResult,
  secrets: ReadonlyArray<string>
): Monitors.ResultFailure | null => {
  const tool = target.tools?.find((t) => t.name === step.toolName)
  return (
    Monitors.checkOutputSchema(step.toolName, tool?.outputSchema, result, secrets) ??
    Monitors.checkAssertions(step.assertions, result, {
      root: index === 0 ? "assertions" : `nextSteps[${index - 1}].assertions`,
      secrets
    })
  )
}

const errorText = (e: McpCallError | ServerUnreachable | UnresolvedReference): string =>
  e instanceof UnresolvedReference
    ? `unresolved reference: ${e.message}`
    : e instanceof ServerUnreachable
      ? `${e.reason}${e.httpStatus === undefined ? "" : ` (HTTP ${e.httpStatus})`}: ${e.message}`
      : `${e.kind}${e.httpStatus === undefined ? "" : ` (HTTP ${e.httpStatus})`}: ${e.message}`

const callWithRetries = (
  pool: SessionPool["Type"],
  server: McpServer,
  profile: AuthProfile | null,
  name: string,
  args: JsonObject,
  deadline: number,
  retries: number
): Effect.Effect<StepOutcome> =>
  Effect.gen(function* () {
    let attempt = 0
    while (true) {
      attempt++
      const remaining = deadline - (yield* Clock.currentTimeMillis)
      if (remaining <= 0) {
        return {
          error: new ServerUnreachable({ message: "Monitor timeout spent", reason: "timeout" }),
          attempts: attempt - 1,
          secrets: []
        }
      }
      const r = yield* Effect.either(
        pool.call(server, profile, name, args, { timeoutMs: remaining, maxTotalTimeoutMs: remaining })
      )
      if (Either.isRight(r)) return { result: r.right.result, attempts: attempt, secrets: r.right.secrets }
      if (attempt > retries || !retriable(r.left)) return { error: r.left, attempts: attempt, secrets: [] }
    }
  })
