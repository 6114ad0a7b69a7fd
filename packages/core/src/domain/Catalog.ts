import { Schema } from "effect"
import { Id, JsonObject, Timestamp } from "./Common.js"

export const ToolAnnotations = Schema.Struct({
  title: Schema.optional(Schema.String),
  readOnlyHint: Schema.optional(Schema.Boolean),
  destructiveHint: Schema.optional(Schema.Boolean),
  idempotentHint: Schema.optional(Schema.Boolean),
  openWorldHint: Schema.optional(Schema.Boolean)
})
export type ToolAnnotations = typeof ToolAnnotations.Type

/** A tool as listed by `tools/list`; schemas are JSON Schema objects. */
export const Tool = Schema.Struct({
  name: Schema.String,
  title: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  inputSchema: JsonObject,
  outputSchema: Schema.optional(JsonObject),
  annotations: Schema.optional(ToolAnnotations)
})
export type Tool = typeof Tool.Type

export const ServerInfo = Schema.Struct({ name: Schema.String, version: Schema.String })
export type ServerInfo = typeof ServerInfo.Type

/** One stored version of a server's tool catalog; a new one is stored only when `hash` changes. */
export const CatalogVersion = Schema.Struct({
  id: Id,
  orgId: Id,
  serverId: Id,
  version: Schema.Int,
  /** sha256 of the canonical (sorted, key-ordered) tool list. */
  hash: Schema.String,
  serverInfo: ServerInfo,
  protocolVersion: Schema.String,
  capabilities: JsonObject,
  tools: Schema.Array(Tool),
  createdAt: Timestamp
})
export type CatalogVersion = typeof CatalogVersion.Type

/**
 * How bad a change is, from least to most severe: `info < non_breaking < breaking < suspicious`.
 * `suspicious` is a tool-poisoning finding (see `Poisoning`): it alerts like `breaking` and ranks
 * above it, since a poisoned tool is dangerous to call even when every call still validates.
 */
export const ChangeClassification = Schema.Literal("breaking", "non_breaking", "info", "suspicious")
export type ChangeClassification = typeof ChangeClassification.Type

/** One match of the tool-poisoning scan: which rule, where (tool, field path) and the text (truncated). */
export const PoisoningFinding = Schema.Struct({
  /** The rule's id (`Poisoning.rules`, `Poisoning.nameRules`). */
  rule: Schema.String,
  tool: Schema.String,
  /** The field, as a path in the tool: `description`, `inputSchema.properties.path.description`, `name`. */
  path: Schema.String,
  /** The matched text with some context, hidden characters shown as `<U+XXXX>`, at most ~160 characters. */
  excerpt: Schema.String
})
export type PoisoningFinding = typeof PoisoningFinding.Type

/**
 * One classified difference of a tool between two catalog versions. A tool with new poisoning
 * findings has its own `suspicious` entry carrying them in `findings` (next to the entry of its
 * schema changes, if any).
 */
export const ToolChange = Schema.Struct({
  tool: Schema.String,
  classification: ChangeClassification,
  details: Schema.Array(Schema.String),
  findings: Schema.optional(Schema.Array(PoisoningFinding))
})
export type ToolChange = typeof ToolChange.Type

export const CatalogDiff = Schema.Struct({
  added: Schema.Array(Schema.String),
  removed: Schema.Array(Schema.String),
  changed: Schema.Array(ToolChange),
  /** The most severe classification over all changes, `null` when nothing changed. */
  severity: Schema.NullOr(ChangeClassification)
})
export type CatalogDiff = typeof CatalogDiff.Type
