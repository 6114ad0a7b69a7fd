/**
 * Alerts (SPEC §7): rules, their transition logic and the durable outbox. Messages are written
 * with `AlertStore.enqueue` inside the caller's transaction (the check or run that caused them),
 * and delivered later by `dispatchOutbox` with retries.
 *
 * The rule engine — what outcomes, server incidents, drift and reminders do to rules and which
 * messages they send — lives in `internal/alertEngine.ts` (semantics in its module comment and
 * in `internal/alertIncidents.ts`); this module re-exports its public part.
 */
import { Effect, Either, Option, Redacted } from "effect"
import {
  type AlertMessage,
  type AlertRule,
  type AlertTarget,
  type Destination,
  destinationAs,
  type OutboxMessage
} from "./domain/Alert.js"
import type { Caller } from "./domain/Audit.js"
import {
  type Conflict,
  type ForbiddenRole,
  type NotFound,
  type StoreError,
  type ValidationFailed,
  validationFailed
} from "./Errors.js"
import * as Rules from "./internal/alertRules.js"
import { now } from "./internal/clock.js"
import { newId } from "./internal/ids.js"
import { mutedUntil, muteMinutes } from "./internal/mutes.js"
import { notFound, orNotFound } from "./internal/notFound.js"
import { AlertSink } from "./ports/AlertSink.js"
import { AlertStore } from "./ports/AlertStore.js"
import type { Ids } from "./ports/Ids.js"
import { MonitorStore } from "./ports/MonitorStore.js"
import { SecretStore } from "./ports/SecretStore.js"
import { ServerStore } from "./ports/ServerStore.js"
import { Transactor } from "./ports/Transactor.js"
import { WorkflowStore } from "./ports/WorkflowStore.js"
import * as Roles from "./Roles.js"
import { decode, failIfAny } from "./Validation.js"

export {
  type Backoff,
  type DispatchOptions,
  type DispatchResult,
  defaultBackoff,
  dispatchOutbox,
  retryDelayMs
} from "./internal/alertDispatch.js"
export {
  AlertingConfig,
  type EventInput,
  type OutcomeInput,
  onEvent,
  onOutcome
} from "./internal/alertEngine.js"

export { type ReminderOptions, sendReminders } from "./internal/alertReminders.js"
export { DestinationInput, defaultOn, RuleInput, status, subject, transition } from "./internal/alertRules.js"

/** A rule as lists show it, with its human status line. */
export type RuleView = AlertRule & { readonly status: string }

const view = (rule: AlertRule): RuleView => ({ ...rule, status: Rules.status(rule) })

const loadRule = (orgId: string, id: string) =>
  Effect.flatMap(AlertStore, (s) => s.getRule(orgId, id)).pipe(orNotFound("alert_rule", id))

/**
 * The target's name, its MCP server (itself for a server) and whether it is archived (deleted),
 * or null when the organization has no such target.
 */
const lookupTarget = (orgId: string, target: AlertTarget) =>
  Effect.gen(function* () {
    const serverOf = (id: string) =>
      Effect.map(
        Effect.flatMap(ServerStore, (s) => s.getServer(orgId, id)),
        Option.match({ onNone: () => undefined, onSome: (s) => ({ id: s.id, name: s.name }) })
      )
    if (target.type === "workflow") {
      const w = Option.getOrNull(yield* Effect.flatMap(WorkflowStore, (s) => s.getWorkflow(orgId, target.id)))
      return w === null
        ? null
        : { name: w.spec.name, server: yield* serverOf(w.spec.mcpServerId), archived: w.state === "archived" }
    }
    if (target.type === "monitor") {
      const m = Option.getOrNull(yield* Effect.flatMap(MonitorStore, (s) => s.getMonitor(orgId, target.id)))
      return m === null
        ? null
        : { name: m.name, server: yield* serverOf(m.mcpServerId), archived: m.state === "archived" }
    }
    const server = yield* serverOf(target.id)
    return server === undefined ? null : { name: server.name, server, archived: false }
  })

/** Checks that the target exists in the organization and is not archived (field `target.id`). */
const targetExists = (orgId: string, target: AlertTarget) =>
  Effect.map(lookupTarget(orgId, target), (found) =>
    found === null
      ? [{ field: "target.id", message: `No ${target.type} with this id in the organization` }]
      : found.archived
        ? [{ field: "target.id", message: `The ${target.type} is archived (deleted): it fires nothing` }]
        : []
  )

/**
 * Validates a decoded rule input and turns it into the stored destination (a webhook's signing
 * secret goes to the SecretStore, the rule keeps its reference; a webhook without `secret` keeps
 * `keptSecretRef`, the rule's current one). The sink of the destination's type checks the rest
 * (Slack channel, webhook address, a plugin's own fields).
 */
const prepare = (orgId: string, input: Rules.RuleInput, keptSecretRef: string | null = null) =>
  Effect.gen(function* () {
    const errors = [...(yield* targetExists(orgId, input.target))]
    const decoded = yield* Effect.either(
      decode(Rules.destinationInputOf(input.destination.type), "destination")(input.destination)
    )
    if (Either.isLeft(decoded))
      return yield* Effect.fail(validationFailed([...errors, ...decoded.left.fieldErrors]))
    const entered = decoded.right
    const webhook = entered.type === "webhook" ? (entered as Rules.WebhookInput) : null
    const secret = webhook?.secret ?? null
    if (secret !== null && secret.length < 16) {
      errors.push({ field: "destination.secret", message: "must be at least 16 characters" })
    }
    const kept = webhook?.secret === undefined ? keptSecretRef : null
    const withoutNewSecret: Destination =
      webhook === null ? (entered as Destination) : { type: "webhook", url: webhook.url, secretRef: kept }
    const problems = yield* Effect.flatMap(AlertSink, (sink) => sink.validate(orgId, withoutNewSecret))
    errors.push(...problems.map((p) => ({ field: `destination.${p.field}`, message: p.message })))
    yield* failIfAny(errors)
    const destination: Destination =
      secret === null
        ? withoutNewSecret
        : {
            type: "webhook",
            url: webhook!.url,
            secretRef: yield* Effect.flatMap(SecretStore, (s) => s.put(orgId, Redacted.make(secret)))
          }
    return { destination, on: input.on ?? Rules.defaultOn(input.target.type) }
  })

/** A stored rule's destination as the API takes it back: a webhook without its secret's reference. */
const enteredForm = (destination: Destination): unknown => {
  const webhook = destinationAs(destination, "webhook")
  return webhook === null ? destination : { type: "webhook", url: webhook.url }
}

/** The signing secret a webhook rule has now, kept when an update does not give a new one. */
const currentSecretRef = (destination: Destination): string | null =>
  destinationAs(destination, "webhook")?.secretRef ?? null

type RuleEnv = AlertStore | AlertSink | Ids | SecretStore | WorkflowStore | MonitorStore | ServerStore

/** Creates a rule (defaults: `on` by target type, `notifyRecovery`, `enabled`). */
export const createRule = (
  caller: Caller,
  input: unknown
): Effect.Effect<RuleView, ForbiddenRole | ValidationFailed | Conflict | StoreError, RuleEnv> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.write")
    const spec = yield* decode(Rules.RuleInput)(input)
    const { destination, on } = yield* prepare(caller.orgId, spec)
    const rule: AlertRule = {
      id: yield* newId,
      orgId: caller.orgId,
      name: spec.name.trim(),
      target: spec.target,
      destination,
      on: [...new Set(on)],
      notifyRecovery: spec.notifyRecovery,
      reminderMinutes: spec.reminderMinutes,
      state: spec.state,
      firingSince: null,
      lastFiredAt: null,
      mutedUntil: null,
      createdAt: yield* now
    }
    yield* Effect.flatMap(AlertStore, (s) => s.insertRule(rule))
    return view(rule)
  }).pipe(Effect.withSpan("Alerting.createRule", { attributes: { "armature.org_id": caller.orgId } }))

/**
 * Changes some fields of a rule. Pausing a rule or moving it to another target clears its firing
 * state, so a resumed rule fires again on the next failure instead of sending a stray recovery.
 */
export const updateRule = (
  caller: Caller,
  ruleId: string,
  patch: unknown
): Effect.Effect<RuleView, ForbiddenRole | NotFound | ValidationFailed | Conflict | StoreError, RuleEnv> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.write")
    const store = yield* AlertStore
    const existing = yield* loadRule(caller.orgId, ruleId)
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
      return yield* Effect.fail(
        validationFailed([{ field: "(root)", message: "Expected an object of fields to change" }])
      )
    }
    const merged = {
      name: existing.name,
      target: existing.target,
      destination: enteredForm(existing.destination),
      on: existing.on,
      notifyRecovery: existing.notifyRecovery,
      reminderMinutes: existing.reminderMinutes,
      state: existing.state,
      ...patch
    }
    const spec = yield* decode(Rules.RuleInput)(merged)
    const { destination, on } = yield* prepare(caller.orgId, spec, currentSecretRef(existing.destination))
    const retarget = spec.target.type !== existing.target.type || spec.target.id !== existing.target.id
    const reset = retarget || spec.state === "paused"
    const rule: AlertRule = {
      ...existing,
      name: spec.name.trim(),
      target: spec.target,
      destination,
      on: [...new Set(on)],
      notifyRecovery: spec.notifyRecovery,
      reminderMinutes: spec.reminderMinutes,
      state: spec.state,
      firingSince: reset ? null : existing.firingSince
    }
    yield* store.updateRule(rule)
    return view(rule)
  }).pipe(
    Effect.withSpan("Alerting.updateRule", {
      attributes: { "armature.org_id": caller.orgId, "armature.alert_rule_id": ruleId }
    })
  )

/**
 * Mutes a rule for `minutes` (1 to 10080, a week) from now. It keeps following its target —
 * its firing state moves as usual — but enqueues no message until `mutedUntil` passes, so it then
 * carries on where it is (a still-failing target gets its next reminder, not a second firing).
 * A new mute replaces the previous end.
 */
export const muteRuleFor = (
  caller: Caller,
  ruleId: string,
  minutes: number
): Effect.Effect<
  RuleView,
  ForbiddenRole | NotFound | ValidationFailed | Conflict | StoreError,
  AlertStore | Transactor
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.write")
    yield* muteMinutes(minutes)
    const store = yield* AlertStore
    const tx = yield* Transactor
    // Locked, so that the rule's firing state cannot change between reading and writing it.
    return yield* tx.withTransaction(
      Effect.gen(function* () {
        const [existing] = yield* store.listRules(caller.orgId, { ids: [ruleId], forUpdate: true })
        if (existing === undefined) return yield* notFound("alert_rule", ruleId)
        const rule: AlertRule = { ...existing, mutedUntil: mutedUntil(yield* now, minutes) }
        yield* store.updateRule(rule)
        return view(rule)
      })
    )
  }).pipe(
    Effect.withSpan("Alerting.muteRuleFor", {
      attributes: { "armature.org_id": caller.orgId, "armature.alert_rule_id": ruleId }
    })
  )

/** Rules of the caller's organization, optionally of one target, with their status lines. */
export const listRules = (
  caller: Caller,
  filter: { readonly target?: AlertTarget } = {}
): Effect.Effect<ReadonlyArray<RuleView>, ForbiddenRole | StoreError, AlertStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.read")
    const rules = yield* Effect.flatMap(AlertStore, (s) => s.listRules(caller.orgId, filter))
    return rules.map(view)
  }).pipe(Effect.withSpan("Alerting.listRules", { attributes: { "armature.org_id": caller.orgId } }))

/** One rule with its status line. */
export const getRule = (
  caller: Caller,
  ruleId: string
): Effect.Effect<RuleView, ForbiddenRole | NotFound | StoreError, AlertStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.read")
    return view(yield* loadRule(caller.orgId, ruleId))
  }).pipe(
    Effect.withSpan("Alerting.getRule", {
      attributes: { "armature.org_id": caller.orgId, "armature.alert_rule_id": ruleId }
    })
  )

/** Deletes a rule; queued messages of it are still delivered. */
export const deleteRule = (
  caller: Caller,
  ruleId: string
): Effect.Effect<void, ForbiddenRole | NotFound | StoreError, AlertStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.write")
    const deleted = yield* Effect.flatMap(AlertStore, (s) => s.deleteRule(caller.orgId, ruleId))
    if (!deleted) return yield* notFound("alert_rule", ruleId)
  }).pipe(
    Effect.withSpan("Alerting.deleteRule", {
      attributes: { "armature.org_id": caller.orgId, "armature.alert_rule_id": ruleId }
    })
  )

/** What a destination did with a test message. A refusal is a result to show, not an error. */
export type TestResult =
  | { readonly delivered: true }
  | { readonly delivered: false; readonly error: string; readonly retryable: boolean }

/**
 * Sends a test message of a rule to its destination right away, through the sink, and reports
 * what the destination said. Nothing is queued and the rule's state is left alone. Each test is
 * a new message id, so destinations that drop repeated ids still show every test. The message
 * is a `firing` with outcome `test`, which every sink renders, and says plainly that it is a test.
 */
export const testRule = (
  caller: Caller,
  ruleId: string
): Effect.Effect<
  TestResult,
  ForbiddenRole | NotFound | StoreError,
  AlertStore | AlertSink | Ids | WorkflowStore | MonitorStore | ServerStore
> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.write")
    const rule = yield* loadRule(caller.orgId, ruleId)
    const found = yield* lookupTarget(caller.orgId, rule.target)
    // A rule may outlive its target; the test still proves the destination works.
    const objectName = found?.name ?? `${rule.target.type} ${rule.target.id}`
    const message: AlertMessage = {
      kind: "firing",
      ruleName: rule.name,
      subject: `[Armature] ${rule.name}: test message`,
      objectName,
      outcome: "test",
      summary: `This is a test of alert rule "${rule.name}" (${rule.target.type} "${objectName}"), sent on request. Nothing failed: alerts of this rule will arrive here like this one.`,
      link: null,
      at: yield* now,
      target: { type: rule.target.type, id: rule.target.id, name: objectName },
      ...(found?.server === undefined ? {} : { server: found.server })
    }
    const id = yield* newId
    const sink = yield* AlertSink
    return yield* sink.deliver({ id, orgId: caller.orgId, message, destination: rule.destination }).pipe(
      Effect.as<TestResult>({ delivered: true }),
      Effect.catchTag("DeliveryFailed", (e) =>
        Effect.succeed<TestResult>({ delivered: false, error: e.message, retryable: e.retryable })
      )
    )
  }).pipe(
    Effect.withSpan("Alerting.testRule", {
      attributes: { "armature.org_id": caller.orgId, "armature.alert_rule_id": ruleId }
    })
  )

/**
 * Queued and past messages of the organization as stored, oldest first (the stores' order).
 * `AlertDeliveries.list` is the view people read: newest first, filtered and paginated.
 */
export const outbox = (
  caller: Caller,
  filter: { readonly status?: OutboxMessage["status"] } = {}
): Effect.Effect<ReadonlyArray<OutboxMessage>, ForbiddenRole | StoreError, AlertStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.read")
    return yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(caller.orgId, filter))
  }).pipe(Effect.withSpan("Alerting.outbox", { attributes: { "armature.org_id": caller.orgId } }))
