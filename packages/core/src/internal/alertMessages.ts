/**
 * What every part of the alert engine shares: its configuration, the outcome it is given, and
 * writing outbox rows (SPEC §7).
 */
import { Clock, Context, Effect } from "effect"
import type { AlertMessage, AlertRule, AlertTarget, OutboxMessage } from "../domain/Alert.js"
import type { StoreError } from "../Errors.js"
import { AlertStore } from "../ports/AlertStore.js"
import type { Ids } from "../ports/Ids.js"
import { now } from "./clock.js"
import { newId } from "./ids.js"

/**
 * Where alert links point and how long an `error` alert is held back so a server incident can
 * take it in. Optional: the defaults (relative links, a 60 s window) apply when no layer provides it.
 */
export class AlertingConfig extends Context.Reference<AlertingConfig>()("@armature/core/AlertingConfig", {
  defaultValue: (): { readonly dashboardUrl: string; readonly incidentWindowMs: number } => ({
    dashboardUrl: "",
    incidentWindowMs: 60_000
  })
}) {}

/** The outcome of a target, as the code that produced it reports it. */
export interface OutcomeInput {
  readonly orgId: string
  readonly target: { readonly type: AlertTarget["type"]; readonly id: string; readonly name: string }
  /** `pass`, `degraded`, `fail`, `partial`, `error`. */
  readonly outcome: string
  /** Error text, or the failing criteria with the judge's reasoning. */
  readonly summary: string
  /** Dashboard path (`/monitors/<id>`) or absolute URL. */
  readonly link: string | null
  readonly at: Date
  /** The server of a monitor or workflow target: its incidents group the target's `error` alerts. */
  readonly server?: { readonly id: string; readonly name: string } | null
  /** The tool a monitor calls, shown in its messages. */
  readonly toolName?: string
}

/**
 * The `AlertStore` as the rule engine uses it. The engine saves a rule's firing state, never its
 * name, so the name `Conflict` of `updateRule` cannot happen here: were it to, it is a defect.
 */
export type Store = Omit<Context.Tag.Service<AlertStore>, "updateRule" | "updateRuleAndEnqueue"> & {
  readonly updateRule: (rule: AlertRule) => Effect.Effect<void, StoreError>
  readonly updateRuleAndEnqueue: (rule: AlertRule, message: OutboxMessage) => Effect.Effect<void, StoreError>
}

/** The engine's view of the `AlertStore` (see `Store`). */
export const engineStore: Effect.Effect<Store, never, AlertStore> = Effect.map(AlertStore, (store) => ({
  ...store,
  updateRule: (rule) => store.updateRule(rule).pipe(Effect.catchTag("Conflict", (e) => Effect.die(e))),
  updateRuleAndEnqueue: (rule, message) =>
    store.updateRuleAndEnqueue(rule, message).pipe(Effect.catchTag("Conflict", (e) => Effect.die(e)))
}))
export type Server = { readonly id: string; readonly name: string }

/** A dashboard path made absolute under `base`; absolute URLs and null stay as they are. */
export const resolveLink = (base: string, link: string | null): string | null =>
  link?.startsWith("/") ? `${base.replace(/\/+$/, "")}${link}` : link

/** The outbox row of a message of a rule, pending; `delayMs` holds it back. */
export const outboxRow = (
  rule: Pick<AlertRule, "id" | "orgId" | "destination">,
  message: AlertMessage,
  delayMs = 0
): Effect.Effect<OutboxMessage, never, Ids> =>
  Effect.gen(function* () {
    const at = yield* now
    const row: OutboxMessage = {
      id: yield* newId,
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
    return row
  })

/** Writes one outbox row for a rule (a group's message goes out under its first rule); `delayMs` holds it back. */
export const enqueue = (
  rule: Pick<AlertRule, "id" | "orgId" | "destination">,
  message: AlertMessage,
  delayMs = 0
): Effect.Effect<OutboxMessage, StoreError, AlertStore | Ids> =>
  Effect.flatMap(outboxRow(rule, message, delayMs), (row) =>
    Effect.as(
      Effect.flatMap(AlertStore, (s) => s.enqueue(row)),
      row
    )
  )

/** Messages enqueued after this instant are still held back (not due, so not claimed). */
export const heldSince = Effect.gen(function* () {
  const config = yield* AlertingConfig
  return new Date((yield* Clock.currentTimeMillis) - config.incidentWindowMs)
})
