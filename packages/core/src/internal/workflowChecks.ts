/**
 * Semantic checks of a decoded workflow spec: the rules a `Schema` cannot see because they need
 * the store (server, auth profile, catalog) or the deployment (model catalog). One path for
 * `Workflows.create/update`, proposals and regression drafts.
 *
 * Tool names, decided here:
 * - exact names in `toolPolicy.allowedTools` and the `tool` of `setup`/`teardown` steps must be
 *   in the server's latest catalog (field errors) — an unknown name is a typo or a removed tool
 *   and the workflow could never pass;
 * - assertion tool names must be in the catalog too, except for `tool_not_called`, which
 *   legitimately guards against tools that do not (or no longer) exist;
 * - exact names in `deniedTools` and globs matching nothing only warn: they cannot make a run fail;
 * - without any catalog (the server was never probed successfully) tool names are not checked
 *   and a warning says so.
 */
import { Effect, Option } from "effect"
import type { Tool } from "../domain/Catalog.js"
import type { WorkflowSpec } from "../domain/Workflow.js"
import type { FieldError, StoreError } from "../Errors.js"
import { LanguageModels } from "../ports/LanguageModels.js"
import { ServerStore } from "../ports/ServerStore.js"
import * as Schedules from "../Schedules.js"
import * as ToolPolicy from "../ToolPolicy.js"
import { regexProblem } from "./jsonQuery.js"

/** Field errors (paths rooted at the spec) and warnings of a spec. */
export interface SpecCheck {
  readonly fieldErrors: ReadonlyArray<FieldError>
  readonly warnings: ReadonlyArray<string>
}

const variableRefs = (prompt: string): string[] =>
  [...prompt.matchAll(/\{\{\s*vars\.([A-Za-z0-9_.-]+)\s*\}\}/g)].map((m) => m[1]!)

/** Every semantic field error and warning of `spec` in organization `orgId`. */
export const checkSpec = (
  orgId: string,
  spec: WorkflowSpec
): Effect.Effect<SpecCheck, StoreError, ServerStore | LanguageModels> =>
  Effect.gen(function* () {
    const servers = yield* ServerStore
    const models = yield* LanguageModels
    const errors: FieldError[] = []
    const warnings: string[] = []
    const err = (field: string, message: string) => errors.push({ field, message })

    // Server and auth profile.
    const server = yield* servers.getServer(orgId, spec.mcpServerId)
    if (Option.isNone(server)) err("mcpServerId", `Unknown MCP server ${spec.mcpServerId}`)
    if (spec.authProfileId !== null) {
      const profile = yield* servers.getAuthProfile(orgId, spec.authProfileId)
      if (Option.isNone(profile) || profile.value.serverId !== spec.mcpServerId) {
        err(
          "authProfileId",
          `Auth profile ${spec.authProfileId} does not belong to MCP server ${spec.mcpServerId}`
        )
      }
    }

    // Criteria.
    if (!spec.criteria.some((c) => c.required)) {
      err("criteria", "At least one criterion must be required")
    }
    const seenIds = new Map<string, number>()
    spec.criteria.forEach((c, i) => {
      const first = seenIds.get(c.id)
      if (first !== undefined)
        err(`criteria[${i}].id`, `Duplicate criterion id ${JSON.stringify(c.id)} (also criteria[${first}])`)
      else seenIds.set(c.id, i)
      if (c.text.trim() === "") err(`criteria[${i}].text`, "Criterion text must not be blank")
    })
    if (spec.prompt.trim() === "") err("prompt", "The prompt must not be blank")

    // Schedule.
    errors.push(...Schedules.validate(spec.schedule, "schedule"))

    // Models: checked against the deployment's catalog, unless it has none at all.
    const catalog = yield* models.catalog
    if (catalog.length === 0) {
      warnings.push(
        "No language model is configured in this deployment: model ids were not checked, and runs will end with error model_not_configured until one is."
      )
    } else {
      const known = new Set(catalog.map((m) => m.id))
      spec.testerModels.forEach((m, i) => {
        if (!known.has(m))
          err(`testerModels[${i}]`, `Unknown model ${JSON.stringify(m)}; see armature://catalog/models`)
      })
      if (!known.has(spec.judgeModel)) {
        err("judgeModel", `Unknown model ${JSON.stringify(spec.judgeModel)}; see armature://catalog/models`)
      }
    }
    const seenModels = new Map<string, number>()
    spec.testerModels.forEach((m, i) => {
      const first = seenModels.get(m)
      // Each model gets its own run per fire, keyed by the model: duplicates would collapse.
      if (first !== undefined)
        err(`testerModels[${i}]`, `Duplicate tester model (also testerModels[${first}])`)
      else seenModels.set(m, i)
    })

    // Tool names against the latest catalog.
    if (Option.isSome(server)) {
      const latest = yield* servers.latestCatalog(orgId, spec.mcpServerId)
      if (Option.isNone(latest)) {
        if (usesToolNames(spec)) {
          warnings.push(
            "The MCP server has no tool catalog yet (never probed successfully): tool names were not checked."
          )
        }
      } else {
        checkTools(spec, latest.value.tools, err, warnings)
      }
    }

    // Limits.
    if (spec.limits.callTimeoutSeconds > spec.limits.callTimeoutCapSeconds) {
      err(
        "limits.callTimeoutSeconds",
        `Must not exceed limits.callTimeoutCapSeconds (${spec.limits.callTimeoutCapSeconds})`
      )
    }
    if (spec.limits.callTimeoutCapSeconds > spec.limits.timeoutSeconds) {
      warnings.push(
        `limits.callTimeoutCapSeconds (${spec.limits.callTimeoutCapSeconds}) exceeds limits.timeoutSeconds (${spec.limits.timeoutSeconds}); the run timeout wins.`
      )
    }

    // Assertions whose content can be checked without the catalog.
    spec.assertions.forEach((a, i) => {
      if (a.type === "result_matches") {
        const problem = regexProblem(a.pattern, a.flags)
        if (problem !== undefined) err(`assertions[${i}].pattern`, problem)
      }
      if (a.type === "result_json_path" && a.equals === undefined && a.exists === undefined) {
        err(`assertions[${i}]`, "Give `equals` or `exists`")
      }
    })

    // Prompt variables.
    const undefinedVars = [...new Set(variableRefs(spec.prompt))].filter(
      (v) => !Object.hasOwn(spec.variables, v)
    )
    if (undefinedVars.length > 0) {
      err("prompt", `References undefined variables: ${undefinedVars.map((v) => `vars.${v}`).join(", ")}`)
    }

    return { fieldErrors: errors, warnings }
  })

const usesToolNames = (spec: WorkflowSpec): boolean =>
  (spec.toolPolicy.allowedTools?.length ?? 0) > 0 ||
  spec.setup.length > 0 ||
  spec.teardown.length > 0 ||
  spec.assertions.some((a) => "tool" in a || "tools" in a)

const checkTools = (
  spec: WorkflowSpec,
  tools: ReadonlyArray<Tool>,
  err: (field: string, message: string) => void,
  warnings: string[]
) => {
  const names = new Set(tools.map((t) => t.name))
  const unknown = (name: string) =>
    `Unknown tool ${JSON.stringify(name)}: not in the server's current catalog`
  const policy = spec.toolPolicy
  policy.allowedTools?.forEach((entry, i) => {
    if (!ToolPolicy.isPattern(entry)) {
      if (!names.has(entry)) err(`toolPolicy.allowedTools[${i}]`, unknown(entry))
    } else if (!tools.some((t) => ToolPolicy.matches(entry, t.name))) {
      warnings.push(`toolPolicy.allowedTools[${i}] (${entry}) matches no tool of the current catalog.`)
    }
  })
  policy.deniedTools?.forEach((entry, i) => {
    if (!ToolPolicy.isPattern(entry) && !names.has(entry)) {
      warnings.push(`toolPolicy.deniedTools[${i}] (${entry}) is not in the current catalog.`)
    }
  })
  for (const phase of ["setup", "teardown"] as const) {
    spec[phase].forEach((step, i) => {
      if (!names.has(step.tool)) err(`${phase}[${i}].tool`, unknown(step.tool))
    })
  }
  spec.assertions.forEach((a, i) => {
    if (a.type === "tool_not_called") return
    if ("tool" in a && a.tool !== undefined && !names.has(a.tool))
      err(`assertions[${i}].tool`, unknown(a.tool))
    if (a.type === "tool_order") {
      a.tools.forEach((t, j) => {
        if (!names.has(t)) err(`assertions[${i}].tools[${j}]`, unknown(t))
      })
    }
    if (a.type === "tool_called" && names.has(a.tool) && !ToolPolicy.isAllowedName(a.tool, policy)) {
      warnings.push(
        `assertions[${i}] expects a call to ${a.tool}, which the tool policy does not offer: it will always fail.`
      )
    }
  })
}

/**
 * Assigns ids `c1`, `c2`, … to criteria given without one, before decoding, so users may leave
 * ids out. Explicit ids are kept; generated ones skip every explicit id.
 */
export const withCriterionIds = (input: unknown): unknown => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input
  const criteria = (input as { criteria?: unknown }).criteria
  if (!Array.isArray(criteria)) return input
  const taken = new Set<string>()
  for (const c of criteria) {
    const id = typeof c === "object" && c !== null ? (c as { id?: unknown }).id : undefined
    if (typeof id === "string") taken.add(id)
  }
  let n = 0
  const fresh = () => {
    let id: string
    do id = `c${++n}`
    while (taken.has(id))
    taken.add(id)
    return id
  }
  return {
    ...input,
    criteria: criteria.map((c) =>
      typeof c === "object" && c !== null && !Array.isArray(c) && (c as { id?: unknown }).id === undefined
        ? { ...c, id: fresh() }
        : c
    )
  }
}

/** The top-level spec field a field path starts with: `toolPolicy` for `toolPolicy.allowedTools[0]`. */
export const topField = (path: string): string => path.split(/[.[]/, 1)[0] ?? path

/**
 * Splits the findings of a check between the fields an edit touched and the ones it left as
 * they were. Problems of untouched fields are warnings: they exist in the base version already
 * (a model or tool removed since), and blocking an unrelated edit would not fix them.
 */
export const splitByTouched = (
  check: SpecCheck,
  touched: ReadonlySet<string> | "all",
  prefix = ""
): SpecCheck => {
  const fieldErrors: FieldError[] = []
  const warnings = [...check.warnings]
  for (const e of check.fieldErrors) {
    if (touched === "all" || touched.has(topField(e.field))) {
      fieldErrors.push({ field: `${prefix}${e.field}`, message: e.message })
    } else {
      warnings.push(`Unchanged ${e.field}: ${e.message}`)
    }
  }
  return { fieldErrors, warnings }
}
