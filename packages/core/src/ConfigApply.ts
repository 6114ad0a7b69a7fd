/**
 * Monitoring-as-code (`armature apply`, SPEC §10): compares a config file with what the
 * organization has, matching by name, and brings the organization in line through the same use
 * cases as the API — so every rule and permission of the API holds for a file too. Applying the
 * same file twice writes nothing the second time (in particular no new workflow version).
 * Nothing is deleted: what the organization has beyond the file is listed, never removed.
 * Each kind of entry is planned and written by its module in `configApply/`.
 */
import { Effect } from "effect"
import type { ConfigFile } from "./ConfigFile.js"
import { planAlertRules, writeAlertRules } from "./configApply/alertRules.js"
import { loadCurrent, notInFile, refsOf } from "./configApply/current.js"
import { planMonitors, writeMonitors } from "./configApply/monitors.js"
import type { Plan } from "./configApply/plan.js"
import { planServers, writeServers } from "./configApply/servers.js"
import { planWorkflows, writeWorkflows } from "./configApply/workflows.js"
import type { Caller } from "./domain/Audit.js"
import { Transactor } from "./ports/Transactor.js"
import * as Roles from "./Roles.js"
import { ServerPolicy } from "./Servers.js"
import { failIfAny } from "./Validation.js"

export type { Action, Kind, Plan, Step } from "./configApply/plan.js"
export { hasChanges, render } from "./configApply/plan.js"

/**
 * Compares the file with the organization. Fails with `validation_failed` (fields named as in
 * the file) when the file cannot be applied as it stands: a missing secret variable, or an
 * auth profile whose settings differ from the stored one (profiles are immutable; give the new
 * settings a new profile name). A profile whose `tokenEnv` holds another secret than the stored
 * one is an update: its secret is replaced.
 */
export const plan = Effect.fn("ConfigApply.plan")(function* (caller: Caller, config: ConfigFile) {
  return (yield* prepare(caller, config)).plan
})

/**
 * The plan and the effect that carries it out, so a caller can show the plan and then apply
 * exactly it (`plan` and `apply` are this, halved).
 */
export const prepare = Effect.fn("ConfigApply.prepare")(function* (caller: Caller, config: ConfigFile) {
  yield* Effect.annotateCurrentSpan("armature.org_id", caller.orgId)
  yield* Roles.authorize(caller.actor, "servers.read")
  const state = yield* loadCurrent(caller.orgId)
  const refs = refsOf(state)
  const policy = yield* ServerPolicy
  const servers = yield* planServers(caller, config.servers, refs, policy.allowInsecureHttp)
  const workflows = planWorkflows(config.workflows, state, refs)
  const monitors = planMonitors(config.monitors, state, refs)
  const rules = yield* planAlertRules(caller, config.alertRules ?? [], state, refs)
  yield* failIfAny([...servers.errors, ...rules.errors])

  /**
   * Servers first; then workflows and monitors, whose references resolve against the new state.
   * One transaction: a write the use cases refuse (an unknown model, arguments a tool does not
   * take) leaves nothing of the file behind. Their field errors are named as in the file.
   */
  const execute = Effect.gen(function* () {
    yield* writeServers(servers.writes)
    const after = refsOf(yield* loadCurrent(caller.orgId))
    yield* writeWorkflows(caller, workflows.writes, after)
    yield* writeMonitors(caller, monitors.writes, after)
    // Last: a rule's target may be a workflow or monitor the writes above just created.
    if (rules.writes.length > 0)
      yield* writeAlertRules(caller, rules.writes, refsOf(yield* loadCurrent(caller.orgId)))
  }).pipe(
    (writes) => Effect.flatMap(Transactor, (tx) => tx.withTransaction(writes)),
    Effect.withSpan("ConfigApply.execute", { attributes: { "armature.org_id": caller.orgId } })
  )

  const steps = [...servers.steps, ...workflows.steps, ...monitors.steps, ...rules.steps]
  return { plan: { steps, notInFile: notInFile(state, config) } satisfies Plan, execute }
})

/** Applies a file: the plan's creates and updates, in one transaction, servers before what uses them. */
export const apply = Effect.fn("ConfigApply.apply")(function* (caller: Caller, config: ConfigFile) {
  const { plan, execute } = yield* prepare(caller, config)
  yield* execute
  return plan
})
