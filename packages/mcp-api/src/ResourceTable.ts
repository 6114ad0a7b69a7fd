/**
 * The resource table of the MCP API (SPEC §9.4): every resource, fixed URIs first. `resources/list`
 * lists the fixed ones, `resources/templates/list` the templates, and `resources/read` resolves a
 * URI against both. The README's resource table is checked against it.
 */
import { type ValidationFailed, validationFailed } from "@armature/core"
import { Effect } from "effect"
import type { ListedResource, ListedResourceTemplate } from "./internal/sdk.js"
import { isTemplate, mimeType, type Resource } from "./Resource.js"
import { models, workflowSchema } from "./resources/catalog.js"
import { proposal } from "./resources/proposals.js"
import { artifacts, trace } from "./resources/runs.js"
import { catalog, coverage } from "./resources/servers.js"
import { workflow } from "./resources/workflows.js"
import type { Requirements } from "./ToolTable.js"

/** Every resource of the API. */
export const resources: ReadonlyArray<Resource<Requirements>> = [
  models,
  workflowSchema,
  trace,
  artifacts,
  proposal,
  coverage,
  catalog,
  workflow
]

/** A resource as `resources/list` (fixed) or `resources/templates/list` (template) lists it. */
const common = (resource: Resource<any>) => ({
  name: resource.name,
  title: resource.title,
  description: resource.description,
  mimeType
})

export const listedResources: ReadonlyArray<ListedResource> = resources
  .filter((r) => !isTemplate(r))
  .map((r) => ({ uri: r.uri, ...common(r) }))

export const listedTemplates: ReadonlyArray<ListedResourceTemplate> = resources
  .filter(isTemplate)
  .map((r) => ({ uriTemplate: r.uri, ...common(r) }))

/** A URI pattern: the entry's URI taken literally, with `{id}` one non-empty path segment. */
const patternOf = (resource: Resource<any>) =>
  new RegExp(`^${resource.uri.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace("{id}", "([^/?#]+)")}$`)

const patterns = resources.map((resource) => ({ resource, pattern: patternOf(resource) }))

const refuse = (message: string) => Effect.fail(validationFailed([{ field: "uri", message }]))

/** A percent-decoded path segment; `null` when the escapes are malformed. */
const decodeSegment = (segment: string): string | null => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

/**
 * The resource a URI names and the id in it. Query strings and fragments are refused rather than
 * ignored: no resource takes parameters, and silently dropping them would answer another question.
 */
export const resolve = (
  uri: string
): Effect.Effect<{ readonly resource: Resource<Requirements>; readonly id: string }, ValidationFailed> => {
  if (/[?#]/.test(uri)) return refuse("must not have a query string or fragment")
  for (const { resource, pattern } of patterns) {
    const match = pattern.exec(uri)
    if (match === null) continue
    const id = match[1] === undefined ? "" : decodeSegment(match[1])
    if (id !== null) return Effect.succeed({ resource, id })
  }
  return refuse("is not a resource of this server; resources/list and resources/templates/list name them")
}
