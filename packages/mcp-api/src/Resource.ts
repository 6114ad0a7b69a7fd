/**
 * One entry of the resource table (SPEC §9.4): a read-only JSON document an agent can read by
 * URI — a fixed one (`armature://catalog/models`) or a template with one `{id}`
 * (`armature://runs/{id}/trace`). Like a tool entry, it names the core use case it reads
 * through; that use case checks the caller's role against core's permission table.
 */
import type { Caller } from "@armature/core"
import type { Effect, Schema } from "effect"

/** A resource whose use case needs the services `R`. */
export interface Resource<R = never> {
  /** The URI, or for a template the URI with `{id}` where the id goes. */
  readonly uri: string
  /** Short machine name, as `resources/list` lists it. */
  readonly name: string
  readonly title: string
  /** What the document holds, for the model. */
  readonly description: string
  /** The document; its encoded form is what the agent reads. */
  readonly output: Schema.Schema<any, any, never>
  /** Reads the document; `id` is the template's `{id}` (empty for a fixed URI). */
  readonly read: (caller: Caller, id: string) => Effect.Effect<unknown, unknown, R>
}

/** Every resource is JSON (SPEC §9.4). */
export const mimeType = "application/json"

/** Defines a resource, typing what `read` returns by `output`. */
export const define = <O, OE, E, R>(resource: {
  readonly uri: string
  readonly name: string
  readonly title: string
  readonly description: string
  readonly output: Schema.Schema<O, OE, never>
  readonly read: (caller: Caller, id: string) => Effect.Effect<O, E, R>
}): Resource<R> => resource

/** Whether the entry is a template (`resources/templates/list`) rather than a fixed URI. */
export const isTemplate = (resource: Resource<any>): boolean => resource.uri.includes("{id}")
