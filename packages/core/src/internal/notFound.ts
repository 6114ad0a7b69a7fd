/**
 * "Load or not found", the same way for every use case: a lookup that finds nothing fails with
 * the entity's `NotFound` — also for an id of another organization, indistinguishable on purpose.
 */
import { Effect, Option } from "effect"
import { NotFound } from "../Errors.js"

/** What a `NotFound` can name. */
export type Entity = NotFound["entity"]

// How the default message names each entity: `MCP server s-1 not found`.
const nouns: Record<Entity, string> = {
  run: "Run",
  workflow: "Workflow",
  mcp_server: "MCP server",
  monitor: "Monitor",
  proposal: "Proposal",
  auth_profile: "Auth profile",
  alert_rule: "Alert rule",
  api_key: "API key",
  member: "Member",
  invitation: "Invitation",
  catalog: "Catalog",
  organization: "Organization",
  workflow_version: "Version",
  slack_installation: "Slack installation"
}

/**
 * The `NotFound` of an entity: `<Entity> <id> not found` unless a message is given. The id is
 * kept as a string whatever a caller outside TypeScript passed, so the error itself still builds.
 */
export const notFound = (
  entity: Entity,
  id: string,
  message = `${nouns[entity]} ${id} not found`
): NotFound => new NotFound({ message, entity, id: String(id) })

/** Pipes a lookup into what it found, or into the entity's `NotFound` when it found nothing. */
export const orNotFound =
  (entity: Entity, id: string, message?: string) =>
  <A, E, R>(lookup: Effect.Effect<Option.Option<A>, E, R>): Effect.Effect<A, E | NotFound, R> =>
    Effect.flatMap(
      lookup,
      Option.match({ onNone: () => Effect.fail(notFound(entity, id, message)), onSome: Effect.succeed })
    )
