/**
 * Monitor specs against the organization's records: the server and auth profile exist, every
 * step's tool is in the latest catalog, and arguments fit the tool's input schema. A spec the
 * cached catalog refuses re-probes the server once first: after a server's fix, its new
 * arguments are accepted without waiting for a sync.
 */

import { Effect, Either, Option } from "effect"
import * as Catalogs from "../Catalogs.js"
import type { CatalogVersion } from "../domain/Catalog.js"
import { profilesInOrder } from "../domain/McpServer.js"
import type { MonitorSpec } from "../domain/Monitor.js"
import { type FieldError, validationFailed } from "../Errors.js"
import { ServerStore } from "../ports/ServerStore.js"
import * as Redaction from "../Redaction.js"
import { failIfAny } from "../Validation.js"
import { checkTemplates, templatesIn, validateArguments } from "./monitorArgs.js"
import { probe as probeLive } from "./serverProbe.js"
import { probeAndRecord, ServerPolicy } from "./serverRecord.js"

/**
 * Checks what the schema cannot: the server and auth profile belong to the organization, every
 * tool exists in the server's latest catalog, arguments fit each tool's input schema, step
 * references point backwards, and `failAboveMs` is not below `degradedAboveMs`. When the cached
 * catalog refuses a step, the server is probed once (as `sync` does: a changed catalog is stored
 * as a new version, with its drift) and the steps are checked against what it answers now.
 * Returns the spec with the auth profile defaulted to the server's first profile.
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
    if (
      spec.failAboveMs !== null &&
      spec.degradedAboveMs !== null &&
      spec.failAboveMs < spec.degradedAboveMs
    ) {
      errors.push({
        field: "failAboveMs",
        message: `must be at least degradedAboveMs (${spec.degradedAboveMs} ms): a check is degraded above degradedAboveMs and fails above failAboveMs`
      })
    }
    const profiles = profilesInOrder(yield* store.listAuthProfiles(orgId, server.id))
    let authProfileId = spec.authProfileId
    if (authProfileId === null) authProfileId = profiles[0]?.id ?? null
    else if (!profiles.some((p) => p.id === authProfileId)) {
      errors.push({ field: "authProfileId", message: "No auth profile with this id on this server" })
    }
    const steps = [
      { root: "", toolName: spec.toolName, arguments: spec.arguments },
      ...spec.nextSteps.map((s, i) => ({
        root: `nextSteps[${i}].`,
        toolName: s.toolName,
        arguments: s.arguments
      }))
    ]
    const checkSteps = (catalog: CatalogVersion | null) =>
      steps.flatMap((step) => checkStep(catalog, step, spec.allowDestructive))
    for (const [index, step] of steps.entries()) {
      errors.push(...checkTemplates(`${step.root}arguments`, step.arguments, index))
    }
    const cached = Option.getOrNull(yield* store.latestCatalog(orgId, server.id))
    let stepErrors = checkSteps(cached)
    if (stepErrors.length > 0) {
      // The cached catalog may be older than the server: ask it once before refusing. Only a
      // changed catalog is recorded (through the probe/sync path, drift included), so a refusal
      // against an unchanged or unreachable server writes nothing.
      const profile = profiles.find((p) => p.id === authProfileId) ?? null
      const policy = yield* ServerPolicy
      const live = yield* Effect.either(probeLive(server, profile, policy.probeTimeoutMs))
      if (
        Either.isRight(live) &&
        (cached === null || Catalogs.canonicalHash(live.right.tools) !== cached.hash)
      ) {
        const probed = yield* probeAndRecord(server, profile)
        if (probed.error === null) stepErrors = checkSteps(probed.catalog)
      }
    }
    errors.push(...stepErrors)
    yield* failIfAny(errors)
    return { ...spec, authProfileId }
  })

const checkStep = (
  catalog: CatalogVersion | null,
  step: { readonly root: string; readonly toolName: string; readonly arguments: MonitorSpec["arguments"] },
  allowDestructive: boolean
): ReadonlyArray<FieldError> => {
  const argsRoot = `${step.root}arguments`
  if (catalog === null) {
    return [
      {
        field: `${step.root}toolName`,
        message: "The server has no tool catalog yet; probe or sync it first"
      }
    ]
  }
  const tool = catalog.tools.find((t) => t.name === step.toolName)
  if (tool === undefined) {
    return [
      { field: `${step.root}toolName`, message: `No tool named ${step.toolName} in the server's catalog` }
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
  return [...destructive, ...validateArguments(argsRoot, tool.inputSchema, step.arguments, skip)]
}

/** Monitor arguments are stored and shown: credentials belong in auth profiles. */
export const checkSecrets = (orgId: string, spec: MonitorSpec) =>
  Redaction.refuseSecrets(
    orgId,
    { arguments: spec.arguments, nextSteps: spec.nextSteps.map((s) => ({ arguments: s.arguments })) },
    ""
  )
