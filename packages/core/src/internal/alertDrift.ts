/**
 * Catalog drift as alert state (SPEC §2, §7): a server's drift incident, opened by a breaking or
 * suspicious (tool-poisoning) drift and ended by a restore, by the table of `alertIncidents.ts`.
 */
import { Effect } from "effect"
import type { AlertRule, OutboxMessage } from "../domain/Alert.js"
import type { StoreError } from "../Errors.js"
import type { AlertStore } from "../ports/AlertStore.js"
import type { Ids } from "../ports/Ids.js"
import * as Incidents from "./alertIncidents.js"
import { AlertingConfig, engineStore, enqueue, resolveLink } from "./alertMessages.js"
import * as Rules from "./alertRules.js"
import { now } from "./clock.js"
import { newId } from "./ids.js"
import { isMuted } from "./mutes.js"

/**
 * A catalog event of a server: a breaking drift, a suspicious one (new tool-poisoning findings),
 * or a catalog identical to an earlier version.
 */
export interface EventInput {
  readonly orgId: string
  readonly target: { readonly type: "mcp_server"; readonly id: string; readonly name: string }
  readonly event: "drift_breaking" | "drift_suspicious" | "restored"
  /**
   * Further drift events of the same version (a suspicious drift that also breaks): rules
   * watching any of them fire once, with `event` as the outcome.
   */
  readonly also?: ReadonlyArray<"drift_breaking" | "drift_suspicious">
  readonly summary: string
  readonly link: string | null
  readonly at: Date
  /** `drift_breaking`: the catalog version that brought it (a restore to an older one ends it). */
  readonly catalogVersion?: number
  /** `restored`: the earlier version the catalog is identical to. */
  readonly restoredVersion?: number
}

/**
 * A catalog event of a server: a breaking or suspicious drift opens its drift incident (firing
 * every enabled rule of the server that watches `drift_breaking` or `drift_suspicious`
 * respectively), a further one fires them again, and a
 * restore to a version from before it ends it with a recovery per rule that fired.
 */
export const onEvent = (
  input: EventInput
): Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError, AlertStore | Ids> =>
  Effect.gen(function* () {
    const store = yield* engineStore
    const config = yield* AlertingConfig
    const link = resolveLink(config.dashboardUrl, input.link)
    const server = { id: input.target.id, name: input.target.name }
    const target = { type: "mcp_server" as const, ...server }
    const at = yield* now
    // A muted rule's state moves as usual; only its messages are left out.
    const muted = (rule: AlertRule) => isMuted(rule, at)
    yield* store.lockServer(input.orgId, server.id)
    const open = yield* store.listIncidents(input.orgId, { serverId: server.id, open: true })
    const current = open.find((i) => i.kind === "drift") ?? null
    const step = Incidents.driftStep(
      current,
      input.event !== "restored"
        ? { kind: "drift_breaking", catalogVersion: input.catalogVersion ?? null }
        : { kind: "restored", version: input.restoredVersion ?? null }
    )
    const out: OutboxMessage[] = []
    if (step.kind === "none") return out
    if (step.kind === "resolve") {
      const held = new Set(open.filter((i) => i !== current).flatMap((i) => i.ruleIds))
      for (const rule of yield* store.listRules(input.orgId, { ids: current!.ruleIds, forUpdate: true })) {
        if (rule.firingSince === null) continue
        if (!held.has(rule.id)) yield* store.updateRule({ ...rule, firingSince: null })
        if (rule.state !== "enabled" || !rule.notifyRecovery || muted(rule)) continue
        const message = Rules.message("recovery", rule, {
          objectName: server.name,
          outcome: "restored",
          summary: input.summary,
          link,
          at: input.at,
          target,
          server,
          firingSince: current!.openedAt
        })
        out.push(yield* enqueue(rule, message))
      }
      yield* store.updateIncident({ ...current!, resolvedAt: input.at })
      return out
    }
    const events: ReadonlyArray<string> = [input.event, ...(input.also ?? [])]
    const rules = (yield* store.listRules(input.orgId, { target, forUpdate: true })).filter(
      (r) => r.state === "enabled" && r.on.some((on) => events.includes(on))
    )
    for (const rule of rules) {
      yield* store.updateRule({ ...rule, firingSince: rule.firingSince ?? input.at, lastFiredAt: input.at })
      if (muted(rule)) continue
      const message = Rules.message("firing", rule, {
        objectName: server.name,
        outcome: input.event,
        summary: input.summary,
        link,
        at: input.at,
        target,
        server
      })
      out.push(yield* enqueue(rule, message))
    }
    const ruleIds = [...new Set([...(current?.ruleIds ?? []), ...rules.map((r) => r.id)])]
    const notified = [...(current?.notified ?? []), ...rules.map((r) => r.destination)]
    if (current !== null) {
      yield* store.updateIncident({ ...current, summary: input.summary, ruleIds, notified })
    } else {
      yield* store.insertIncident({
        id: yield* newId,
        orgId: input.orgId,
        serverId: server.id,
        serverName: server.name,
        kind: "drift",
        openedAt: input.at,
        resolvedAt: null,
        summary: input.summary,
        monitorsDown: false,
        baselineVersion: step.kind === "open" ? step.baselineVersion : null,
        ruleIds,
        notified
      })
    }
    return out
  })
