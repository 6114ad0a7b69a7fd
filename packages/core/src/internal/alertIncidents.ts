/**
 * Server and drift incidents (SPEC §7), the pure part: when one opens, when it takes more rules
 * in, when it ends, and the messages it sends. Kept apart from storage so both tables can be read
 * and tested on their own; `alertEngine.ts` applies them.
 *
 * A server incident is the server itself failing, not one of its tools:
 * - it opens on a failed probe or sync of the server, or on a monitor `error` after which every
 *   active, unmuted monitor of the server has `error` as its latest outcome;
 * - it ends on a successful probe — unless every monitor was erroring during it (a server that
 *   answers `initialize` but no tool call is still down) — or on any answer (an outcome other
 *   than `error`) of one of its monitors or workflows produced after it opened. Such an answer
 *   also means that not every monitor is erroring any more.
 * So one tool hanging among healthy ones never opens it (its monitor's own rule fires), and a
 * stale result produced before the incident cannot end it.
 *
 * A drift incident opens on a breaking catalog drift and ends when the catalog is restored (by
 * hash) to a version from before that drift. A further breaking drift while it is open is news
 * and fires again; a restore to a version from after the first breaking drift (a state already
 * alerted on) neither pages nor ends it.
 */
import type { AlertMessage, Destination } from "../domain/Alert.js"
import type { AlertIncident } from "../ports/AlertStore.js"
import { subject } from "./alertRules.js"

/** What one outcome says about its server. */
export type ServerSignal =
  | { readonly source: "probe"; readonly ok: boolean; readonly at: Date }
  /** A monitor check; `everyMonitorErroring` is only meaningful for an `error`. */
  | {
      readonly source: "check"
      readonly outcome: string
      readonly everyMonitorErroring: boolean
      readonly at: Date
    }
  | { readonly source: "run"; readonly outcome: string; readonly at: Date }

/** What a signal does to the server's incident. */
export type ServerStep =
  | { readonly kind: "none" }
  /** Open one; `monitorsDown` when every monitor is erroring. */
  | { readonly kind: "open"; readonly monitorsDown: boolean }
  /** It stays open and takes in the rules of what failed now. */
  | { readonly kind: "join"; readonly monitorsDown: boolean }
  | { readonly kind: "resolve" }

/** The server incident table (see the module comment). */
export const serverStep = (
  open: Pick<AlertIncident, "openedAt" | "monitorsDown"> | null,
  signal: ServerSignal
): ServerStep => {
  if (signal.source === "probe") {
    if (!signal.ok) return open === null ? { kind: "open", monitorsDown: false } : join(open, false)
    return open !== null && !open.monitorsDown ? { kind: "resolve" } : { kind: "none" }
  }
  if (signal.outcome === "error") {
    const allDown = signal.source === "check" && signal.everyMonitorErroring
    if (open !== null) return join(open, allDown)
    return allDown ? { kind: "open", monitorsDown: true } : { kind: "none" }
  }
  // An answer ends the incident, unless it was produced before the incident began.
  return open !== null && signal.at.getTime() >= open.openedAt.getTime()
    ? { kind: "resolve" }
    : { kind: "none" }
}

const join = (open: Pick<AlertIncident, "monitorsDown">, allDown: boolean): ServerStep => ({
  kind: "join",
  monitorsDown: open.monitorsDown || allDown
})

/** A catalog event: a breaking drift, or a catalog identical to the earlier version `version`. */
export type DriftEvent =
  | { readonly kind: "drift_breaking"; readonly catalogVersion: number | null }
  | { readonly kind: "restored"; readonly version: number | null }

export type DriftStep =
  | { readonly kind: "none" }
  /** Open one; a restore to `baselineVersion` or older ends it. */
  | { readonly kind: "open"; readonly baselineVersion: number | null }
  /** Another breaking drift while one is open: fire again. */
  | { readonly kind: "again" }
  | { readonly kind: "resolve" }

/** The drift incident table (see the module comment). */
export const driftStep = (
  open: Pick<AlertIncident, "baselineVersion"> | null,
  event: DriftEvent
): DriftStep => {
  if (event.kind === "drift_breaking") {
    if (open !== null) return { kind: "again" }
    return { kind: "open", baselineVersion: event.catalogVersion === null ? null : event.catalogVersion - 1 }
  }
  if (open === null) return { kind: "none" }
  const before =
    open.baselineVersion === null || event.version === null || event.version <= open.baselineVersion
  return before ? { kind: "resolve" } : { kind: "none" }
}

/** Stable JSON of a destination, so equal destinations group regardless of key order. */
export const destinationKey = (d: Destination): string =>
  JSON.stringify(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** Groups items by their destination, in first-seen order. */
export const byDestination = <A>(
  items: ReadonlyArray<A>,
  destinationOf: (a: A) => Destination
): ReadonlyArray<{ readonly destination: Destination; readonly items: ReadonlyArray<A> }> => {
  const groups = new Map<string, { destination: Destination; items: A[] }>()
  for (const item of items) {
    const destination = destinationOf(item)
    const key = destinationKey(destination)
    const group = groups.get(key) ?? { destination, items: [] }
    group.items.push(item)
    groups.set(key, group)
  }
  return [...groups.values()]
}

/** An object an incident message names, with what happened to it. */
export interface Affected {
  readonly name: string
  readonly summary: string
}

interface IncidentFacts {
  readonly ruleNames: ReadonlyArray<string>
  readonly server: { readonly id: string; readonly name: string }
  readonly link: string | null
  readonly at: Date
  readonly openedAt: Date
}

const common = (facts: IncidentFacts) => ({
  ruleName: [...new Set(facts.ruleNames)].join(", "),
  objectName: facts.server.name,
  link: facts.link,
  at: facts.at,
  target: { type: "mcp_server" as const, id: facts.server.id, name: facts.server.name },
  server: { id: facts.server.id, name: facts.server.name },
  firingSince: facts.openedAt,
  incident: { serverId: facts.server.id, serverName: facts.server.name }
})

/** The one firing message of a server incident for one destination. */
export const incidentFiring = (
  facts: IncidentFacts & { readonly cause: string; readonly affected: ReadonlyArray<Affected> }
): AlertMessage => {
  const affected = dedupe(facts.affected.filter((a) => a.name !== facts.server.name))
  return {
    kind: "incident",
    subject:
      affected.length === 0
        ? `[Armature] ${facts.server.name}: server incident`
        : `[Armature] ${facts.server.name}: server incident — ${affected.length} affected (${affected.map((a) => a.name).join(", ")})`,
    outcome: "error",
    summary: [facts.cause, ...affected.map((a) => `${a.name}: ${a.summary}`)].join("\n"),
    ...common(facts)
  }
}

/** The one recovery message of a server incident for one destination. */
export const incidentRecovery = (facts: IncidentFacts & { readonly how: string; readonly outcome: string }) =>
  ({
    kind: "recovery",
    subject: subject([...new Set(facts.ruleNames)].join(", "), facts.server.name, "recovered"),
    outcome: facts.outcome,
    summary: `${facts.server.name} is healthy again: ${facts.how}`,
    ...common(facts)
  }) satisfies AlertMessage

/** A reminder that a server incident is still open, for one destination. */
export const incidentReminder = (facts: IncidentFacts & { readonly cause: string }) =>
  ({
    kind: "reminder",
    subject: subject([...new Set(facts.ruleNames)].join(", "), facts.server.name, "error"),
    outcome: "error",
    summary: `Still failing since ${facts.openedAt.toISOString()}: ${facts.cause}`,
    ...common(facts)
  }) satisfies AlertMessage

/** The first of each name: a target with several rules on one destination is named once. */
const dedupe = (affected: ReadonlyArray<Affected>): ReadonlyArray<Affected> =>
  affected.filter((a, i) => affected.findIndex((b) => b.name === a.name) === i)
