/**
 * The alert rule engine (SPEC §7): turns the outcomes of monitor checks, workflow runs and server
 * probes, and catalog events, into rule state and outbox rows. Callers run it inside the
 * transaction that stores the outcome, so the rows exist exactly when the outcome does. It sits
 * below the use cases that call it (Monitors, Runs, Servers); `Alerting.ts` re-exports its
 * public part.
 *
 * - A monitor's or workflow's own rules follow `transition` (alertRules.ts): fire on entering a
 *   failing outcome, remind while it stays failing, recover once. An `error` firing of a target
 *   that has a server is held back for `incidentWindowMs`, so that a server incident opening
 *   within that window takes it in; a target that recovers while its firing is still held back
 *   sends nothing at all.
 * - A server's rules follow its incidents (alertIncidents.ts has the tables, alertServerIncident.ts
 *   applies them). One tool failing while the server is healthy stays on its monitor's rules.
 * - While a server incident is open, the `error` alerts of the server's monitors and workflows
 *   are grouped into it: every destination gets one incident firing (when the first rule bound
 *   for it joins) and one recovery (when it ends), however many rules and targets it covers. Rules
 *   already firing on their own when it opens (a tool that failed earlier, alerted separately)
 *   keep their own lifecycle; a rule the incident covers ignores its target's outcomes until it
 *   ends, then fires again on its own if its target still fails.
 * - Catalog drift is stateful (alertDrift.ts): a breaking drift fires the rules watching
 *   `drift_breaking` (and fires them again on a further breaking drift: that is news), a restore
 *   ends it with one recovery per rule that fired.
 * - Reminders also go out on a timer (alertReminders.ts), not only on the next failing outcome.
 * - A muted monitor (`muted`, or `mutedUntil` ahead) reaches no rule. A muted rule (`mutedUntil`
 *   ahead) moves through its states as if it sent its messages, but enqueues none: when the mute
 *   ends it carries on from there (its next reminder, not a second firing).
 */
import { Effect } from "effect"
import type { AlertRule, OutboxMessage } from "../domain/Alert.js"
import type { StoreError } from "../Errors.js"
import type { AlertIncident, AlertStore } from "../ports/AlertStore.js"
import type { Ids } from "../ports/Ids.js"
import { MonitorStore } from "../ports/MonitorStore.js"
import {
  AlertingConfig,
  engineStore,
  heldSince,
  type OutcomeInput,
  outboxRow,
  resolveLink,
  type Server,
  type Store
} from "./alertMessages.js"
import * as Rules from "./alertRules.js"
import { type Scope, serverSide } from "./alertServerIncident.js"
import { now } from "./clock.js"
import { isMuted } from "./mutes.js"

export { type EventInput, onEvent } from "./alertDrift.js"
export { AlertingConfig, enqueue, type OutcomeInput, resolveLink } from "./alertMessages.js"

/**
 * The monitor's or workflow's own rules, except those an open incident speaks for. `locked`: the
 * rules, when the caller has already read and locked them.
 */
const ownRules = (
  store: Store,
  input: OutcomeInput,
  link: string | null,
  server: Server | null,
  incident: AlertIncident | null,
  locked?: ReadonlyArray<AlertRule>
) =>
  Effect.gen(function* () {
    const config = yield* AlertingConfig
    const at = yield* now
    const covered = new Set(incident?.ruleIds ?? [])
    const out: OutboxMessage[] = []
    const rules =
      locked ??
      (yield* store.listRules(input.orgId, {
        target: { type: input.target.type, id: input.target.id },
        forUpdate: true
      }))
    for (const rule of rules) {
      if (covered.has(rule.id) && rule.firingSince !== null) continue
      const t = Rules.transition(rule, input.outcome, input.at)
      if (t.kind === "none") continue
      // The rule's new state is saved with the message it sends, in one round trip, or alone
      // when it sends none (the rule is locked: saving it after the withdrawal changes nothing).
      if (t.kind === "recovery" && server !== null) {
        // Recovered before its firing left: a blip shorter than the window sends nothing.
        const withdrawn = yield* store.withdrawHeld(input.orgId, { ruleId: rule.id }, yield* heldSince)
        if (withdrawn.length > 0) {
          yield* store.updateRule(t.rule)
          continue
        }
      }
      // A muted rule's state moves as if the message went out; only the message is left out.
      if ((t.kind === "recovery" && !rule.notifyRecovery) || isMuted(rule, at)) {
        yield* store.updateRule(t.rule)
        continue
      }
      const held = t.kind === "firing" && input.outcome === "error" && server !== null
      const message = Rules.message(t.kind, rule, {
        objectName: input.target.name,
        outcome: input.outcome,
        summary:
          t.kind === "recovery" ? `${input.target.name} is healthy again (${input.outcome}).` : input.summary,
        link,
        at: input.at,
        target: input.target,
        server,
        toolName: input.toolName,
        firingSince: t.kind === "firing" ? null : rule.firingSince
      })
      const row = yield* outboxRow(rule, message, held ? config.incidentWindowMs : 0)
      yield* store.updateRuleAndEnqueue(t.rule, row)
      out.push(row)
    }
    return out
  })

const apply = (
  input: OutcomeInput,
  source: "check" | "run" | "probe",
  everyMonitorErroring: Effect.Effect<boolean, StoreError>
): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | Ids> =>
  Effect.gen(function* () {
    const store = yield* engineStore
    const config = yield* AlertingConfig
    const server: Server | null =
      source === "probe" ? { id: input.target.id, name: input.target.name } : (input.server ?? null)
    const target = { type: input.target.type, id: input.target.id, name: input.target.name }
    const normalized = { ...input, target }
    const link = resolveLink(config.dashboardUrl, input.link)
    // The usual outcome — an answer of a check or run while its server has no open incident —
    // leaves the server side alone (`serverSide` decides nothing then and takes no lock): its
    // rules come locked in one read, and `null` sends it the long way.
    if (server !== null && source !== "probe" && input.outcome !== "error") {
      const locked = yield* store.lockRulesUnlessIncident(input.orgId, target, server.id)
      if (locked !== null) return yield* ownRules(store, normalized, link, server, null, locked)
    }
    const out: OutboxMessage[] = []
    let incident: AlertIncident | null = null
    if (server !== null) {
      const scope: Scope = {
        store,
        input: normalized,
        source,
        server,
        serverLink: resolveLink(config.dashboardUrl, `/mcp-servers/${server.id}`)
      }
      const side = yield* serverSide(scope, everyMonitorErroring)
      out.push(...side.out)
      incident = side.incident
    }
    // A server's own rules follow its incidents only.
    if (source !== "probe") {
      out.push(...(yield* ownRules(store, normalized, link, server, incident)))
    }
    return out
  })

/**
 * Whether every active, unmuted monitor of the server has `error` as its latest outcome, taking
 * this check's outcome for its own monitor (the caller may not have stored it yet). Monitors never
 * checked count as not erroring: a server incident needs every monitor's word.
 */
const everyMonitorErroring = (input: OutcomeInput) =>
  Effect.gen(function* () {
    const monitors = yield* MonitorStore
    const serverId = input.server?.id
    if (serverId === undefined) return false
    const at = yield* now
    const watched = (yield* monitors.listMonitors(input.orgId, { mcpServerId: serverId })).filter(
      (m) => m.state === "active" && !isMuted(m, at)
    )
    return (
      watched.length > 0 &&
      watched.every((m) => (m.id === input.target.id ? input.outcome : m.lastOutcome) === "error")
    )
  })

/**
 * A monitor check: its rules, and its server's incident (which it may open when every monitor of
 * the server is erroring). Call it inside the transaction that stores the check.
 */
export const onCheck = (
  input: OutcomeInput
): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | Ids | MonitorStore> =>
  Effect.flatMap(MonitorStore, (monitors) =>
    apply(input, "check", Effect.provideService(everyMonitorErroring(input), MonitorStore, monitors))
  )

/**
 * A terminal workflow run: its rules, and its server's incident — which a run joins (`error`) or
 * ends (any other outcome) but never opens, since a run's `error` can be the model's.
 */
export const onRun = (
  input: OutcomeInput
): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | Ids> =>
  apply(input, "run", Effect.succeed(false))

/** A probe or sync of a server (`target` is the server; outcome `pass` or `error`). */
export const onProbe = (
  input: OutcomeInput
): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | Ids> =>
  apply(input, "probe", Effect.succeed(false))

/**
 * Applies one outcome — of a monitor, a workflow or a server probe, by `target.type` — to the
 * rules and incidents it concerns and enqueues the resulting messages. Returns the enqueued rows.
 */
export const onOutcome = (
  input: OutcomeInput
): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | Ids | MonitorStore> => {
  switch (input.target.type) {
    case "monitor":
      return onCheck(input)
    case "workflow":
      return onRun(input)
    case "mcp_server":
      return onProbe(input)
  }
}

/** The open incidents that hold a rule (a server incident first), for reminders. */
export const incidentsOf = (store: Store, rule: AlertRule) =>
  Effect.map(store.listIncidents(rule.orgId, { ruleId: rule.id, open: true }), (list) =>
    [...list].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "server" ? -1 : 1))
  )
