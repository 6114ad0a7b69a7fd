/**
 * The server incident steps of one outcome (SPEC §7): deciding by the table of
 * `alertIncidents.ts`, opening an incident (taking in held alerts), letting more rules join,
 * ending it with one recovery per destination. `alertEngine.ts` calls `serverSide`.
 */
import { Effect } from "effect"
import type { AlertRule, OutboxMessage } from "../domain/Alert.js"
import type { StoreError } from "../Errors.js"
import type { AlertIncident } from "../ports/AlertStore.js"
import * as Incidents from "./alertIncidents.js"
import { enqueue, heldSince, type OutcomeInput, type Server, type Store } from "./alertMessages.js"
import * as Rules from "./alertRules.js"
import { now } from "./clock.js"
import { newId } from "./ids.js"
import { isMuted } from "./mutes.js"

const watchesError = (rule: AlertRule) => rule.state === "enabled" && rule.on.includes("error")

/** Everything the incident steps of one outcome share. */
export interface Scope {
  readonly store: Store
  readonly input: OutcomeInput
  readonly source: "check" | "run" | "probe"
  readonly server: Server
  /** The resolved link of the server's page. */
  readonly serverLink: string | null
}

/** A rule joining an incident, and what it is about. */
interface Member {
  readonly rule: AlertRule
  readonly affected: Incidents.Affected
}

/**
 * The rules an incident takes in now: the server's rules watching `error`, the rules whose held
 * `error` alerts were withdrawn, and — for an `error` of a monitor or workflow — its rules that
 * watch `error` and are not firing on their own. Server rules come first, so a group's message
 * goes out under a server rule when there is one.
 */
const candidates = (scope: Scope, incident: AlertIncident | null, withdrawn: ReadonlyArray<OutboxMessage>) =>
  Effect.gen(function* () {
    const { store, input, server } = scope
    const inIncident = new Set(incident?.ruleIds ?? [])
    const out = new Map<string, Member>()
    // A listed rule that stopped firing (paused and resumed meanwhile) may join again.
    const add = (rule: AlertRule, affected: Incidents.Affected) => {
      const member = inIncident.has(rule.id) && rule.firingSince !== null
      if (!member && !out.has(rule.id)) out.set(rule.id, { rule, affected })
    }
    const serverRules = yield* store.listRules(input.orgId, {
      target: { type: "mcp_server", id: server.id },
      forUpdate: true
    })
    const serverSummary = scope.source === "probe" ? input.summary : `${server.name} is failing.`
    for (const rule of serverRules.filter(watchesError))
      add(rule, { name: server.name, summary: serverSummary })
    if (withdrawn.length > 0) {
      const rules = yield* store.listRules(input.orgId, {
        ids: [...new Set(withdrawn.flatMap((m) => (m.ruleId === null ? [] : [m.ruleId])))],
        forUpdate: true
      })
      for (const m of withdrawn) {
        const rule = rules.find((r) => r.id === m.ruleId && r.state === "enabled")
        if (rule !== undefined) add(rule, { name: m.message.objectName, summary: m.message.summary })
      }
    }
    if (scope.source !== "probe" && input.outcome === "error") {
      const own = yield* store.listRules(input.orgId, {
        target: { type: input.target.type, id: input.target.id },
        forUpdate: true
      })
      for (const rule of own.filter((r) => watchesError(r) && r.firingSince === null)) {
        add(rule, { name: input.target.name, summary: input.summary })
      }
    }
    return [...out.values()]
  })

/**
 * Marks the members firing and sends the incident's firing message to each destination that has
 * not had it yet. Muted members fire silently: a destination only they are bound for is not
 * notified (nor told of the recovery). Returns the enqueued rows and the destinations notified so far.
 */
const admit = (
  scope: Scope,
  incident: Pick<AlertIncident, "openedAt" | "summary" | "notified">,
  members: ReadonlyArray<Member>
) =>
  Effect.gen(function* () {
    const { store, input, server } = scope
    const out: OutboxMessage[] = []
    const notified = [...incident.notified]
    const known = new Set(notified.map(Incidents.destinationKey))
    for (const { rule } of members) {
      yield* store.updateRule({ ...rule, firingSince: rule.firingSince ?? input.at, lastFiredAt: input.at })
    }
    const at = yield* now
    const audible = members.filter((m) => !isMuted(m.rule, at))
    for (const group of Incidents.byDestination(audible, (m) => m.rule.destination)) {
      if (known.has(Incidents.destinationKey(group.destination))) continue
      const message = Incidents.incidentFiring({
        ruleNames: group.items.map((m) => m.rule.name),
        server,
        link: scope.serverLink,
        at: input.at,
        openedAt: incident.openedAt,
        cause: incident.summary,
        affected: group.items.map((m) => m.affected)
      })
      out.push(yield* enqueue(group.items[0]!.rule, message))
      notified.push(group.destination)
    }
    return { out, notified }
  })

const openIncident = (scope: Scope, monitorsDown: boolean) =>
  Effect.gen(function* () {
    const { store, input, server } = scope
    const withdrawn = yield* store.withdrawHeld(input.orgId, { serverId: server.id }, yield* heldSince)
    const summary =
      scope.source === "probe"
        ? input.summary
        : `Every monitor of ${server.name} is failing to get an answer.`
    const members = yield* candidates(scope, null, withdrawn)
    const draft = { openedAt: input.at, summary, notified: [] }
    const { out, notified } = yield* admit(scope, draft, members)
    const incident: AlertIncident = {
      id: yield* newId,
      orgId: input.orgId,
      serverId: server.id,
      serverName: server.name,
      kind: "server",
      openedAt: input.at,
      resolvedAt: null,
      summary,
      monitorsDown,
      baselineVersion: null,
      ruleIds: members.map((m) => m.rule.id),
      notified
    }
    yield* store.insertIncident(incident)
    return { out, incident }
  })

const joinIncident = (scope: Scope, incident: AlertIncident, monitorsDown: boolean) =>
  Effect.gen(function* () {
    const members = yield* candidates(scope, incident, [])
    const { out, notified } = yield* admit(scope, incident, members)
    const updated: AlertIncident = {
      ...incident,
      monitorsDown,
      ruleIds: [...new Set([...incident.ruleIds, ...members.map((m) => m.rule.id)])],
      notified
    }
    if (members.length > 0 || monitorsDown !== incident.monitorsDown)
      yield* scope.store.updateIncident(updated)
    return { out, incident: updated }
  })

/**
 * Ends an incident: its rules stop firing (unless another open incident of the server still holds
 * them) and each destination that had its firing gets one recovery, when a rule bound for it
 * wants recoveries.
 */
const resolveIncident = (
  scope: Scope,
  incident: AlertIncident,
  others: ReadonlyArray<AlertIncident>,
  how: string
) =>
  Effect.gen(function* () {
    const { store, input, server } = scope
    const held = new Set(others.flatMap((i) => i.ruleIds))
    const members = yield* store.listRules(input.orgId, { ids: incident.ruleIds, forUpdate: true })
    const firing = members.filter((r) => r.firingSince !== null)
    for (const rule of firing) {
      if (!held.has(rule.id)) yield* store.updateRule({ ...rule, firingSince: null })
    }
    const notified = new Set(incident.notified.map(Incidents.destinationKey))
    const out: OutboxMessage[] = []
    const at = yield* now
    const enabled = firing.filter((r) => r.state === "enabled" && !isMuted(r, at))
    for (const group of Incidents.byDestination(enabled, (r) => r.destination)) {
      if (!notified.has(Incidents.destinationKey(group.destination))) continue
      if (!group.items.some((r) => r.notifyRecovery)) continue
      const message = Incidents.incidentRecovery({
        ruleNames: group.items.map((r) => r.name),
        server,
        link: scope.serverLink,
        at: input.at,
        openedAt: incident.openedAt,
        how,
        outcome: input.outcome
      })
      out.push(yield* enqueue(group.items[0]!, message))
    }
    yield* store.updateIncident({ ...incident, resolvedAt: input.at })
    return out
  })

/**
 * Server rules still firing outside any open incident (state left by an older engine, which
 * fired them on single outcomes) recover once the server is healthy, instead of firing forever.
 */
const releaseStrays = (scope: Scope, open: ReadonlyArray<AlertIncident>) =>
  Effect.gen(function* () {
    const { store, input, server } = scope
    const held = new Set(open.flatMap((i) => i.ruleIds))
    const out: OutboxMessage[] = []
    const rules = yield* store.listRules(input.orgId, {
      target: { type: "mcp_server", id: server.id },
      forUpdate: true
    })
    const at = yield* now
    for (const rule of rules.filter((r) => r.firingSince !== null && !held.has(r.id))) {
      yield* store.updateRule({ ...rule, firingSince: null })
      if (rule.state !== "enabled" || !rule.notifyRecovery || isMuted(rule, at)) continue
      const message = Rules.message("recovery", rule, {
        objectName: server.name,
        outcome: input.outcome,
        summary: `${server.name} is healthy again (${input.outcome}).`,
        link: scope.serverLink,
        at: input.at,
        target: { type: "mcp_server", id: server.id, name: server.name },
        server,
        firingSince: rule.firingSince
      })
      out.push(yield* enqueue(rule, message))
    }
    return out
  })

/** The server incident step of one outcome; returns the rows and the incident open afterwards. */
export const serverSide = (scope: Scope, everyMonitorErroring: Effect.Effect<boolean, StoreError>) =>
  Effect.gen(function* () {
    const { store, input, server, source } = scope
    const seen = yield* store.listIncidents(input.orgId, { serverId: server.id, open: true })
    // The common case — an answer while no incident is open — changes nothing and takes no lock,
    // so healthy checks of one server never wait for each other.
    const quiet = source !== "probe" && input.outcome !== "error" && !seen.some((i) => i.kind === "server")
    if (quiet) return { out: [], incident: null }
    yield* store.lockServer(input.orgId, server.id)
    const open = yield* store.listIncidents(input.orgId, { serverId: server.id, open: true })
    const current = open.find((i) => i.kind === "server") ?? null
    const signal: Incidents.ServerSignal =
      source === "probe"
        ? { source, ok: input.outcome !== "error", at: input.at }
        : source === "check"
          ? {
              source,
              outcome: input.outcome,
              everyMonitorErroring: input.outcome === "error" && (yield* everyMonitorErroring),
              at: input.at
            }
          : { source, outcome: input.outcome, at: input.at }
    const step = Incidents.serverStep(current, signal)
    switch (step.kind) {
      case "open":
        return yield* openIncident(scope, step.monitorsDown)
      case "join":
        return yield* joinIncident(scope, current!, step.monitorsDown)
      case "resolve": {
        const others = open.filter((i) => i !== current)
        const how = source === "probe" ? input.summary : `${input.target.name} answered (${input.outcome}).`
        const out = yield* resolveIncident(scope, current!, others, how)
        out.push(...(yield* releaseStrays(scope, others)))
        return { out, incident: null }
      }
      case "none": {
        const healthy = source === "probe" && input.outcome !== "error" && current === null
        return { out: healthy ? yield* releaseStrays(scope, open) : [], incident: current }
      }
    }
  })
