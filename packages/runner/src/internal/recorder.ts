/**
 * The trace of a run as it happens: tool calls (`tc-N`) and trace events (`ev-N`), every value
 * redacted on the way in, so nothing unredacted is ever held in what gets stored.
 */
import {
  type CallOptions,
  type McpCallError,
  type McpSession,
  Redaction,
  type ToolCall,
  type ToolCallResult,
  type TraceEvent
} from "@armature/core"
import { Effect } from "effect"
import { callToolPromiseOf } from "./session.js"

/** What a recorded call of a tool returned to its caller (the model or a setup step). */
export interface CallOutcome {
  readonly call: ToolCall
  /** Unredacted result for the model; `null` when the call failed or was refused. */
  readonly content: ReadonlyArray<unknown> | null
  readonly structuredContent?: unknown
  readonly isError: boolean
  readonly error: string | null
}

/** Per-call timeouts of a recorded call. */
type CallLimits = { readonly timeoutMs: number; readonly maxTotalTimeoutMs: number }

/** A call in flight: what its record needs once it ends. */
interface PendingCall {
  readonly id: string
  readonly phase: ToolCall["phase"]
  readonly step: number
  readonly name: string
  readonly args: Record<string, unknown>
  readonly started: number
  progress: number
  readonly options: CallOptions
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
    options: CallLimits
  ): Effect.Effect<CallOutcome> {
    return Effect.suspend(() => {
      const pending = this.begin(phase, step, name, args, options)
      return Effect.match(session.callTool(name, args, pending.options), {
        onFailure: (e) => this.failed(pending, e),
        onSuccess: (r) => this.succeeded(pending, r)
      })
    })
  }

  /**
   * `call` for a caller in Promise land (the agent's tool callbacks), without a fiber per call.
   * Uses the session's Promise form when it has one (ours do), else runs `callTool`. When `signal`
   * aborts, the call is cancelled and — like an interrupted `call` — not recorded; the promise
   * rejects.
   */
  callPromise(
    session: McpSession,
    phase: ToolCall["phase"],
    step: number,
    name: string,
    args: Record<string, unknown>,
    options: CallLimits,
    run: <A>(effect: Effect.Effect<A>, signal: AbortSignal | undefined) => Promise<A>,
    signal: AbortSignal | undefined
  ): Promise<CallOutcome> {
    const direct = callToolPromiseOf(session)
    if (direct === undefined) return run(this.call(session, phase, step, name, args, options), signal)
    if (signal?.aborted) return Promise.reject(signal.reason)
    // A signal of this call only: the SDK never removes the abort listener it adds to a request's
    // signal, so the caller's long-lived one would collect a listener (and a cancellation) per call.
    const controller = new AbortController()
    const abort = () => controller.abort(signal?.reason)
    signal?.addEventListener("abort", abort, { once: true })
    const pending = this.begin(phase, step, name, args, options)
    // An aborted call is not recorded, whichever way the request ended.
    const settle = (record: () => CallOutcome) => {
      signal?.removeEventListener("abort", abort)
      if (controller.signal.aborted) throw controller.signal.reason
      return record()
    }
    return direct(name, args, pending.options, controller.signal).then(
      (r) => settle(() => this.succeeded(pending, r)),
      (e: McpCallError) => settle(() => this.failed(pending, e))
    )
  }

  private begin(
    phase: ToolCall["phase"],
    step: number,
    name: string,
    args: Record<string, unknown>,
    limits: CallLimits
  ): PendingCall {
    const id = `tc-${this.calls + 1}`
    const pending: PendingCall = {
      phase,
      step,
      name,
      args,
      started: this.now(),
      progress: 0,
      options: {
        ...limits,
        onProgress: (p) => {
          if (++pending.progress > maxProgressEvents) return
          this.event({
            type: "progress",
            toolCallId: id,
            text: p.message ?? `${p.progress}${p.total === undefined ? "" : `/${p.total}`}`,
            data: p
          })
        }
      },
      id
    }
    return pending
  }

  private base(pending: PendingCall) {
    return {
      phase: pending.phase,
      step: pending.step,
      name: pending.name,
      arguments: pending.args,
      startedAt: new Date(pending.started),
      durationMs: this.now() - pending.started,
      refused: false
    }
  }

  private failed(pending: PendingCall, e: McpCallError): CallOutcome {
    const error = `${e.kind}: ${e.message}`
    const call = this.push({ ...this.base(pending), content: [], isError: false, error })
    this.event({ type: "error", toolCallId: call.id, text: `Tool call ${pending.name} failed: ${error}` })
    return { call, content: null, isError: false, error }
  }

  private succeeded(pending: PendingCall, r: ToolCallResult): CallOutcome {
    const base = this.base(pending)
    if (pending.progress > maxProgressEvents) {
      this.event({
        type: "info",
        toolCallId: pending.id,
        text: `${pending.progress - maxProgressEvents} more progress notifications not recorded`
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
  }

  private push(call: Omit<ToolCall, "id">): ToolCall {
    const recorded = this.redact({ id: `tc-${++this.calls}`, ...call }) as ToolCall
    this.toolCalls.push(recorded)
    return recorded
  }
}
