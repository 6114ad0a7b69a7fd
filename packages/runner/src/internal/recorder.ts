/**
 * The trace of a run as it happens: tool calls (`tc-N`) and trace events (`ev-N`), every value
 * redacted on the way in, so nothing unredacted is ever held in what gets stored.
 */
import { type McpSession, Redaction, type ToolCall, type TraceEvent } from "@armature/core"
import { Effect, Either } from "effect"

/** What a recorded call of a tool returned to its caller (the model or a setup step). */
export interface CallOutcome {
  readonly call: ToolCall
  /** Unredacted result for the model; `null` when the call failed or was refused. */
  readonly content: ReadonlyArray<unknown> | null
  readonly structuredContent?: unknown
  readonly isError: boolean
  readonly error: string | null
}

/** Stored text items are cut here: a trace is for reading, not a copy of every payload. */
const maxTextChars = 64_000
/** Progress notifications kept per call; a long task may send thousands. */
const maxProgressEvents = 50

/** What is stored of a content item: binary payloads (images, audio, blobs) are replaced by their size. */
const storable = (item: unknown): unknown => {
  if (item === null || typeof item !== "object") return item
  const c = item as Record<string, unknown>
  if (typeof c.data === "string") return { ...c, data: `[${c.data.length} base64 characters omitted]` }
  if (typeof c.text === "string" && c.text.length > maxTextChars) {
    return {
      ...c,
      text: `${c.text.slice(0, maxTextChars)}… [${c.text.length - maxTextChars} characters cut]`
    }
  }
  const resource = c.resource as Record<string, unknown> | undefined
  if (resource && typeof resource === "object") return { ...c, resource: storable(resource) }
  return item
}

export class Recorder {
  readonly toolCalls: ToolCall[] = []
  readonly trace: TraceEvent[] = []
  private calls = 0
  private events = 0

  constructor(
    private readonly now: () => number,
    /** Read at each use: a session's OAuth token can change during the run. */
    private readonly secrets: () => ReadonlyArray<string>
  ) {}

  /** Redacts with the run's secrets (and every credential pattern). */
  redact<A>(value: A): A {
    return Redaction.redact(value, this.secrets())
  }

  /** Appends a trace event; returns its id. */
  event(event: Omit<TraceEvent, "id" | "at">): string {
    const id = `ev-${++this.events}`
    this.trace.push(this.redact({ id, at: new Date(this.now()), ...event }) as TraceEvent)
    return id
  }

  /** A call refused before reaching the server (tool policy or limits). */
  refuse(phase: ToolCall["phase"], step: number, name: string, args: unknown, reason: string): ToolCall {
    const call = this.push({
      phase,
      step,
      name,
      arguments: args,
      content: [],
      isError: true,
      refused: true,
      error: reason,
      startedAt: new Date(this.now()),
      durationMs: 0
    })
    this.event({ type: "policy_refusal", toolCallId: call.id, text: `Refused call to ${name}: ${reason}` })
    return call
  }

  /** Calls a tool on the session and records it, progress notifications included. */
  call(
    session: McpSession,
    phase: ToolCall["phase"],
    step: number,
    name: string,
    args: Record<string, unknown>,
    options: { readonly timeoutMs: number; readonly maxTotalTimeoutMs: number }
  ): Effect.Effect<CallOutcome> {
    return Effect.gen(this, function* () {
      const id = `tc-${this.calls + 1}`
      const started = this.now()
      let progress = 0
      const result = yield* Effect.either(
        session.callTool(name, args, {
          ...options,
          onProgress: (p) => {
            if (++progress > maxProgressEvents) return
            this.event({
              type: "progress",
              toolCallId: id,
              text: p.message ?? `${p.progress}${p.total === undefined ? "" : `/${p.total}`}`,
              data: p
            })
          }
        })
      )
      const durationMs = this.now() - started
      const base = {
        phase,
        step,
        name,
        arguments: args,
        startedAt: new Date(started),
        durationMs,
        refused: false
      }
      if (Either.isLeft(result)) {
        const error = `${result.left.kind}: ${result.left.message}`
        const call = this.push({ ...base, content: [], isError: false, error })
        this.event({ type: "error", toolCallId: call.id, text: `Tool call ${name} failed: ${error}` })
        return { call, content: null, isError: false, error }
      }
      const r = result.right
      if (progress > maxProgressEvents) {
        this.event({
          type: "info",
          toolCallId: id,
          text: `${progress - maxProgressEvents} more progress notifications not recorded`
        })
      }
      const call = this.push({
        ...base,
        content: r.content.map(storable),
        ...(r.structuredContent === undefined ? {} : { structuredContent: r.structuredContent }),
        isError: r.isError,
        error: null
      })
      return {
        call,
        content: r.content,
        ...(r.structuredContent === undefined ? {} : { structuredContent: r.structuredContent }),
        isError: r.isError,
        error: null
      }
    })
  }

  private push(call: Omit<ToolCall, "id">): ToolCall {
    const recorded = this.redact({ id: `tc-${++this.calls}`, ...call }) as ToolCall
    this.toolCalls.push(recorded)
    return recorded
  }
}
