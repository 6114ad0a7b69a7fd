/**
 * Alerts (SPEC §7): rules, their transition logic and the durable outbox. Messages are written
 * with `AlertStore.enqueue` inside the caller's transaction (the check or run that caused them),
 * and delivered later by `dispatchOutbox` with retries.
 *
 * Server incidents: an `error` alert of a monitor or workflow, or of a server rule, carries the
 * server (`message.incident`) and is held back for `incidentWindowMs`. When the dispatcher
 * claims several such messages of one server bound for the same destination, it delivers them as
 * one `incident` message. Targets whose errors land more than a window apart alert separately.
 * A monitor or workflow `error` also drives the rules of its server (transport down); any other
 * outcome proves the transport works and recovers them.
 */
import { Clock, Context, Effect, Either, Option, Redacted } from "effect"
import type { AlertMessage, AlertRule, AlertTarget, Destination, OutboxMessage } from "./domain/Alert.js"
import type { Caller } from "./domain/Audit.js"
import {
  type ForbiddenRole,
  NotFound,
  type StoreError,
  type ValidationFailed,
  validationFailed
} from "./Errors.js"
import * as Rules from "./internal/alertRules.js"
import { AlertSink } from "./ports/AlertSink.js"
import { AlertStore } from "./ports/AlertStore.js"
import { Ids } from "./ports/Ids.js"
import { MonitorStore } from "./ports/MonitorStore.js"
import { SecretStore } from "./ports/SecretStore.js"
import { ServerStore } from "./ports/ServerStore.js"
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
export { DestinationInput, defaultOn, RuleInput, status, subject, transition } from "./internal/alertRules.js"

/**
 * Where alert links point and how long server-incident grouping waits. Optional: the defaults
 * (relative links, a 60 s window) apply when no layer provides it.
 */
export class AlertingConfig extends Context.Reference<AlertingConfig>()("@armature/core/AlertingConfig", {
  defaultValue: (): { readonly dashboardUrl: string; readonly incidentWindowMs: number } => ({
    dashboardUrl: "",
    incidentWindowMs: 60_000
  })
}) {}

/** A rule as lists show it, with its human status line. */
export type RuleView = AlertRule & { readonly status: string }

const view = (rule: AlertRule): RuleView => ({ ...rule, status: Rules.status(rule) })

const ruleNotFound = (id: string) =>
  new NotFound({ message: `Alert rule ${id} not found`, entity: "alert_rule", id: String(id) })

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/** Checks that the target exists in the organization (field `target.id`). */
const targetExists = (orgId: string, target: AlertTarget) =>
  Effect.gen(function* () {
    const found =
      target.type === "workflow"
        ? Option.isSome(yield* Effect.flatMap(WorkflowStore, (s) => s.getWorkflow(orgId, target.id)))
        : target.type === "monitor"
          ? Option.isSome(yield* Effect.flatMap(MonitorStore, (s) => s.getMonitor(orgId, target.id)))
          : Option.isSome(yield* Effect.flatMap(ServerStore, (s) => s.getServer(orgId, target.id)))
    return found
      ? []
      : [{ field: "target.id", message: `No ${target.type} with this id in the organization` }]
  })

/**
 * Validates a decoded rule input and turns it into the stored destination (a webhook's signing
 * secret goes to the SecretStore, the rule keeps its reference). The sink of the destination's
 * type checks the rest (Slack channel, webhook address, a plugin's own fields).
 */
const prepare = (orgId: string, input: Rules.RuleInput) =>
  Effect.gen(function* () {
    const errors = [...(yield* targetExists(orgId, input.target))]
    const decoded = yield* Effect.either(
      decode(Rules.destinationInputOf(input.destination.type), "destination")(input.destination)
    )
    if (Either.isLeft(decoded))
      return yield* Effect.fail(validationFailed([...errors, ...decoded.left.fieldErrors]))
    const entered = decoded.right
    const webhook = entered.type === "webhook" ? (entered as Rules.WebhookInput) : null
    if (webhook?.secret !== undefined && webhook.secret.length < 16) {
      errors.push({ field: "destination.secret", message: "must be at least 16 characters" })
    }
    const unsigned: Destination =
      webhook === null
        ? (entered as Destination)
        : { type: "webhook", url: webhook.url, secretRef: webhook.secretRef }
    const problems = yield* Effect.flatMap(AlertSink, (sink) => sink.validate(orgId, unsigned))
    errors.push(...problems.map((p) => ({ field: `destination.${p.field}`, message: p.message })))
    yield* failIfAny(errors)
    const destination: Destination =
      webhook?.secret === undefined
        ? unsigned
        : {
            type: "webhook",
            url: webhook.url,
            secretRef: yield* Effect.flatMap(SecretStore, (s) => s.put(orgId, Redacted.make(webhook.secret!)))
          }
    return { destination, on: input.on ?? Rules.defaultOn(input.target.type) }
  })

type RuleEnv = AlertStore | AlertSink | Ids | SecretStore | WorkflowStore | MonitorStore | ServerStore

/** Creates a rule (defaults: `on` by target type, `notifyRecovery`, `enabled`). */
export const createRule = (
  caller: Caller,
  input: unknown
): Effect.Effect<RuleView, ForbiddenRole | ValidationFailed | StoreError, RuleEnv> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.write")
    const spec = yield* decode(Rules.RuleInput)(input)
    const { destination, on } = yield* prepare(caller.orgId, spec)
    const rule: AlertRule = {
      id: yield* Effect.flatMap(Ids, (ids) => ids.uuid),
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
      createdAt: yield* now
    }
    yield* Effect.flatMap(AlertStore, (s) => s.insertRule(rule))
    return view(rule)
  })

/**
 * Changes some fields of a rule. Pausing a rule or moving it to another target clears its firing
 * state, so a resumed rule fires again on the next failure instead of sending a stray recovery.
 */
export const updateRule = (
  caller: Caller,
  ruleId: string,
  patch: unknown
): Effect.Effect<RuleView, ForbiddenRole | NotFound | ValidationFailed | StoreError, RuleEnv> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.write")
    const store = yield* AlertStore
    const existing = Option.getOrNull(yield* store.getRule(caller.orgId, ruleId))
    if (existing === null) return yield* ruleNotFound(ruleId)
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
      return yield* Effect.fail(
        validationFailed([{ field: "(root)", message: "Expected an object of fields to change" }])
      )
    }
    const merged = {
      name: existing.name,
      target: existing.target,
      destination: existing.destination,
      on: existing.on,
      notifyRecovery: existing.notifyRecovery,
      reminderMinutes: existing.reminderMinutes,
      state: existing.state,
      ...patch
    }
    const spec = yield* decode(Rules.RuleInput)(merged)
    const { destination, on } = yield* prepare(caller.orgId, spec)
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
  })

/** Rules of the caller's organization, optionally of one target, with their status lines. */
export const listRules = (
  caller: Caller,
  filter: { readonly target?: AlertTarget } = {}
): Effect.Effect<ReadonlyArray<RuleView>, ForbiddenRole | StoreError, AlertStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.read")
    const rules = yield* Effect.flatMap(AlertStore, (s) => s.listRules(caller.orgId, filter))
    return rules.map(view)
  })

/** One rule with its status line. */
export const getRule = (
  caller: Caller,
  ruleId: string
): Effect.Effect<RuleView, ForbiddenRole | NotFound | StoreError, AlertStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.read")
    const rule = Option.getOrNull(yield* Effect.flatMap(AlertStore, (s) => s.getRule(caller.orgId, ruleId)))
    return rule === null ? yield* ruleNotFound(ruleId) : view(rule)
  })

/** Deletes a rule; queued messages of it are still delivered. */
export const deleteRule = (
  caller: Caller,
  ruleId: string
): Effect.Effect<void, ForbiddenRole | NotFound | StoreError, AlertStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.write")
    const deleted = yield* Effect.flatMap(AlertStore, (s) => s.deleteRule(caller.orgId, ruleId))
    if (!deleted) return yield* ruleNotFound(ruleId)
  })

/** The outcome of a target, as the code that produced it reports it. */
export interface OutcomeInput {
  readonly orgId: string
  readonly target: { readonly type: AlertTarget["type"]; readonly id: string; readonly name: string }
  /** `pass`, `degraded`, `fail`, `partial`, `error`. */
  readonly outcome: string
  /** For messages and callers' bookkeeping; transitions are decided by each rule's own state. */
  readonly previousOutcome: string | null
  /** Error text, or the failing criteria with the judge's reasoning. */
  readonly summary: string
  /** Dashboard path (`/monitors/<id>`) or absolute URL. */
  readonly link: string | null
  readonly at: Date
  /** The server of a monitor or workflow target: its rules see `error`s, and incidents group by it. */
  readonly server?: { readonly id: string; readonly name: string } | null
}

const resolveLink = (base: string, link: string | null) =>
  link?.startsWith("/") ? `${base.replace(/\/+$/, "")}${link}` : link

/** Writes one outbox row; `delayMs` holds it back for incident grouping. */
const enqueue = (rule: AlertRule, message: AlertMessage, delayMs: number) =>
  Effect.gen(function* () {
    const at = yield* now
    const row: OutboxMessage = {
      id: yield* Effect.flatMap(Ids, (ids) => ids.uuid),
      orgId: rule.orgId,
      ruleId: rule.id,
      destination: rule.destination,
      message,
      status: "pending",
      attempts: 0,
      nextAttemptAt: new Date(at.getTime() + delayMs),
      lastError: null,
      createdAt: at,
      deliveredAt: null
    }
    yield* Effect.flatMap(AlertStore, (s) => s.enqueue(row))
    return row
  })

/**
 * Applies one outcome to every enabled rule of its target (and, for monitors and workflows, of
 * its server) and enqueues the resulting firing, reminder and recovery messages. Call it inside
 * the transaction that stores the outcome. Returns the enqueued rows.
 */
export const onOutcome = (
  input: OutcomeInput
): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | Ids> =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const config = yield* AlertingConfig
    const link = resolveLink(config.dashboardUrl, input.link)
    const server =
      input.target.type === "mcp_server"
        ? { id: input.target.id, name: input.target.name }
        : (input.server ?? null)
    const work: Array<{ rule: AlertRule; outcome: string; objectName: string }> = []
    for (const rule of yield* store.listRules(input.orgId, {
      target: { type: input.target.type, id: input.target.id },
      forUpdate: true
    })) {
      work.push({ rule, outcome: input.outcome, objectName: input.target.name })
    }
    if (input.target.type !== "mcp_server" && server !== null) {
      // The server is reachable whenever a target got any answer from it; only `error` means down.
      const serverOutcome = input.outcome === "error" ? "error" : "pass"
      for (const rule of yield* store.listRules(input.orgId, {
        target: { type: "mcp_server", id: server.id },
        forUpdate: true
      })) {
        work.push({ rule, outcome: serverOutcome, objectName: server.name })
      }
    }
    const out: OutboxMessage[] = []
    for (const { rule, outcome, objectName } of work) {
      const t = Rules.transition(rule, outcome, input.at)
      if (t.kind === "none") continue
      yield* store.updateRule(t.rule)
      if (t.kind === "recovery" && !rule.notifyRecovery) continue
      const incident = t.kind === "firing" && outcome === "error" && server !== null
      const message = Rules.message(t.kind, rule, {
        objectName,
        outcome,
        summary: t.kind === "recovery" ? `${objectName} is healthy again (${input.outcome}).` : input.summary,
        link,
        at: input.at,
        ...(incident ? { incident: { serverId: server.id, serverName: server.name } } : {})
      })
      out.push(yield* enqueue(rule, message, incident ? config.incidentWindowMs : 0))
    }
    return out
  })

/**
 * Fires the enabled rules of a target that watch an event (`drift_breaking`). Events have no
 * healthy state to recover to: each one is a message, and the rule only records `lastFiredAt`.
 */
export const onEvent = (input: {
  readonly orgId: string
  readonly target: { readonly type: AlertTarget["type"]; readonly id: string; readonly name: string }
  readonly event: "drift_breaking"
  readonly summary: string
  readonly link: string | null
  readonly at: Date
}): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | Ids> =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const config = yield* AlertingConfig
    const out: OutboxMessage[] = []
    for (const rule of yield* store.listRules(input.orgId, {
      target: { type: input.target.type, id: input.target.id },
      forUpdate: true
    })) {
      if (rule.state !== "enabled" || !rule.on.includes(input.event)) continue
      yield* store.updateRule({ ...rule, lastFiredAt: input.at })
      const message = Rules.message("firing", rule, {
        objectName: input.target.name,
        outcome: input.event,
        summary: input.summary,
        link: resolveLink(config.dashboardUrl, input.link),
        at: input.at
      })
      out.push(yield* enqueue(rule, message, 0))
    }
    return out
  })

/** Queued and past messages of the organization (newest first as the store returns them). */
export const outbox = (
  caller: Caller,
  filter: { readonly status?: OutboxMessage["status"] } = {}
): Effect.Effect<ReadonlyArray<OutboxMessage>, ForbiddenRole | StoreError, AlertStore> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "alerts.read")
    return yield* Effect.flatMap(AlertStore, (s) => s.listOutbox(caller.orgId, filter))
  })
