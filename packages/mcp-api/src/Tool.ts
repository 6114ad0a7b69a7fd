/**
 * One entry of the tool table: everything the MCP API knows about a tool — its name, its
 * wording, its annotations, its argument and result schemas, and the core use case it calls.
 * Registration, the role check and the README's tool table are all derived from these entries.
 * The minimum role is not part of an entry: it comes from core's permission table by name.
 */
import type { Caller, Roles } from "@armature/core"
import { type Effect, Schema } from "effect"
import type { ToolAnnotations } from "./internal/sdk.js"

/** The MCP tools of core's permission table: its operations without a dot (SPEC §9.1). */
export type ToolName = Exclude<Roles.Operation, `${string}.${string}`>

/** MCP tool annotations (hints for clients; SPEC §9.1 says which each tool has). */
export type Annotations = Pick<
  ToolAnnotations,
  "readOnlyHint" | "destructiveHint" | "idempotentHint" | "openWorldHint"
>

/** `telemetry: { intent? }`, accepted by every tool: why the agent calls it, for the audit log. */
export const Telemetry = Schema.Struct({
  intent: Schema.optional(Schema.String.pipe(Schema.maxLength(1000)))
})

/** A tool whose use case needs the services `R`. */
export interface Tool<R = never> {
  readonly name: ToolName
  readonly title: string
  /** What the tool does, for the model; the listing adds the minimum role. */
  readonly summary: string
  readonly annotations: Annotations
  /** The arguments, without `telemetry` (added to every tool by `argumentsOf`). */
  readonly input: Schema.Struct.Fields
  /** The result; its JSON Schema is the tool's `outputSchema`, so it must describe an object. */
  readonly output: Schema.Schema<any, any, never>
  /** Calls the use case with arguments already checked against `input` (telemetry removed). */
  readonly run: (caller: Caller, args: any) => Effect.Effect<unknown, unknown, R>
}

/**
 * Defines a tool, typing the handler's arguments as `input` sends them (the encoded side, which
 * is what core's use cases decode themselves) and its result as `output`'s type.
 */
export const define = <const F extends Schema.Struct.Fields, O, OE, E, R>(tool: {
  readonly name: ToolName
  readonly title: string
  readonly summary: string
  readonly annotations: Annotations
  readonly input: F
  readonly output: Schema.Schema<O, OE, never>
  readonly run: (caller: Caller, args: Schema.Struct.Encoded<F>) => Effect.Effect<O, E, R>
}): Tool<R> => tool

/** The full argument schema of a tool: its `input` plus the optional `telemetry`. */
export const argumentsOf = (tool: Tool<any>) =>
  Schema.Struct({ ...tool.input, telemetry: Schema.optional(Telemetry) })

/** Read-only, idempotent, closed-world: the reads of SPEC §9.1. */
export const reading: Annotations = {
  readOnlyHint: true,
  idempotentHint: true,
  openWorldHint: false
}
