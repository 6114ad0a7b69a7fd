/**
 * Monitor specs against the organization's records: the server and auth profile exist, every
 * step's tool is in the latest catalog, and arguments fit the tool's input schema.
 */

import { Effect, Option } from "effect"
import type { CatalogVersion } from "../domain/Catalog.js"
import { profilesInOrder } from "../domain/McpServer.js"
import type { MonitorSpec } from "../domain/Monitor.js"
import { type FieldError, validationFailed } from "../Errors.js"
import { ServerStore } from "../ports/ServerStore.js"
import * as Redaction from "../Redaction.js"
import { failIfAny } from "../Validation.js"
import { checkTemplates, templatesIn, validateArguments } from "./monitorArgs.js"

/**
 * Checks what the schema cannot: the server and auth profile belong to the organization, every
 * tool exists in the server's latest catalog, arguments fit each tool's input schema, and step
 * references point backwards. Returns the spec with the auth profile defaulted to the server's
 * first profile.
 */
export const validate = (orgId: string, spec: MonitorSpec) =>
  Effect.gen(function* () {
    const store = yield* ServerStore
    const errors: FieldError[] = []
    const server = Option.getOrNull(yield* store.getServer(orgId, spec.mcpServerId))
    if (server === null) {
      return yield* Effect.fail(
        validationFailed([
          { field: "mcpServerId", message: "No MCP server with this id in the organization" }
        ])
      )
    }
    const profiles = profilesInOrder(yield* store.listAuthProfiles(orgId, server.id))
    let authProfileId = spec.authProfileId
    if (authProfileId === null) authProfileId = profiles[0]?.id ?? null
    else if (!profiles.some((p) => p.id === authProfileId)) {
      errors.push({ field: "authProfileId", message: "No auth profile with this id on this server" })
    }
    const catalog = Option.getOrNull(yield* store.latestCatalog(orgId, server.id))
    const steps = [
      { root: "", toolName: spec.toolName, arguments: spec.arguments },
      ...spec.nextSteps.map((s, i) => ({
        root: `nextSteps[${i}].`,
        toolName: s.toolName,
        arguments: s.arguments
      }))
    ]
    for (const [index, step] of steps.entries()) {
      errors.push(...checkStep(catalog, step, index, spec.allowDestructive))
    }
    yield* failIfAny(errors)
    return { ...spec, authProfileId }
  })

const checkStep = (
  catalog: CatalogVersion | null,
  step: { readonly root: string; readonly toolName: string; readonly arguments: MonitorSpec["arguments"] },
  index: number,
  allowDestructive: boolean
): ReadonlyArray<FieldError> => {
  const argsRoot = `${step.root}arguments`
  const templateErrors = checkTemplates(argsRoot, step.arguments, index)
  if (catalog === null) {
    return [
      {
        field: `${step.root}toolName`,
        message: "The server has no tool catalog yet; probe or sync it first"
      },
      ...templateErrors
    ]
  }
  const tool = catalog.tools.find((t) => t.name === step.toolName)
  if (tool === undefined) {
    return [
      { field: `${step.root}toolName`, message: `No tool named ${step.toolName} in the server's catalog` },
      ...templateErrors
    ]
  }
  const destructive =
    tool.annotations?.destructiveHint === true && !allowDestructive
      ? [
          {
            field: `${step.root}toolName`,
            message: `${step.toolName} is annotated destructiveHint: true and a monitor calls it every interval; set allowDestructive: true to monitor it anyway`
          }
        ]
      : []
  const skip = templatesIn(step.arguments).map((t) => t.pointer)
  return [
    ...destructive,
    ...templateErrors,
    ...validateArguments(argsRoot, tool.inputSchema, step.arguments, skip)
  ]
}

/** Monitor arguments are stored and shown: credentials belong in auth profiles. */
export const checkSecrets = (orgId: string, spec: MonitorSpec) =>
  Redaction.refuseSecrets(
    orgId,
    { arguments: spec.arguments, nextSteps: spec.nextSteps.map((s) => ({ arguments: s.arguments })) },
    ""
  )
