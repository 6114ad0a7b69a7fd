import { Context, type Effect, type Option } from "effect"
import type { AlertRule, AlertTarget, Destination, OutboxMessage } from "../domain/Alert.js"
import type { Conflict, StoreError } from "../Errors.js"

/**
 * One incident of one MCP server (SPEC §7): a continuous fault of the server (`server`) or an
 * unresolved breaking drift of its catalog (`drift`). At most one of each kind is open per
 * server; resolved ones are kept as history. The engine (`internal/alertEngine.ts`) decides when
 * they open and end; the store only keeps them.
 */
export interface AlertIncident {
  readonly id: string
  readonly orgId: string
  readonly serverId: string
  readonly serverName: string
  readonly kind: "server" | "drift"
  readonly openedAt: Date
  readonly resolvedAt: Date | null
  /** Why it is open, in words: the failed probe, the erroring monitors, the breaking changes. */
  readonly summary: string
  /** `server`: every monitor of the server was erroring at some point (a probe alone cannot end it then). */
  readonly monitorsDown: boolean
  /** `drift`: the newest catalog version before the breaking change; a restore to it (or older) ends it. */
  readonly baselineVersion: number | null
  /** The rules grouped into it: its firing and recovery speak for them. */
  readonly ruleIds: ReadonlyArray<string>
  /** Destinations that received its firing message, so each gets one firing and one recovery. */
  readonly notified: ReadonlyArray<Destination>
}

/** Alert rules, their firing state, server incidents, and the durable outbox. */
export class AlertStore extends Context.Tag("@armature/core/AlertStore")<
  AlertStore,
  {
    /**
     * Rule names are unique in an organization without regard to case or runs of white space
     * (core's `nameKey`), as servers', workflows' and monitors' are: another rule's name is a
     * `Conflict` on `name`.
     */
    readonly insertRule: (rule: AlertRule) => Effect.Effect<void, StoreError | Conflict>
    readonly updateRule: (rule: AlertRule) => Effect.Effect<void, StoreError | Conflict>
    readonly getRule: (orgId: string, id: string) => Effect.Effect<Option.Option<AlertRule>, StoreError>
    /**
     * With `forUpdate`, inside a transaction, the rules stay locked until it ends: outcomes of
     * one target stored at once then move a rule through its states one after the other instead
     * of each firing from the same stale state. `ids` keeps only those rules.
     */
    readonly listRules: (
      orgId: string,
      filter?: {
        readonly target?: AlertTarget
        readonly ids?: ReadonlyArray<string>
        readonly forUpdate?: boolean
      }
    ) => Effect.Effect<ReadonlyArray<AlertRule>, StoreError>
    /**
     * The rules of `target`, as `listRules` with `forUpdate` has them, unless the server
     * `serverId` has an open `server` incident: then `null`, and nothing is locked. The engine's
     * read for an outcome that has nothing to decide about its server, in one round trip instead
     * of `listIncidents` and then `listRules`.
     */
    readonly lockRulesUnlessIncident: (
      orgId: string,
      target: AlertTarget,
      serverId: string
    ) => Effect.Effect<ReadonlyArray<AlertRule> | null, StoreError>
    readonly deleteRule: (orgId: string, id: string) => Effect.Effect<boolean, StoreError>
    /**
     * Enabled rules that are firing, have `reminderMinutes`, and whose last message
     * (`lastFiredAt`, else `firingSince`) is at least `reminderMinutes` before `now` — across
     * organizations, the longest overdue first, at most `limit`.
     */
    readonly listDueReminders: (
      now: Date,
      limit: number
    ) => Effect.Effect<ReadonlyArray<AlertRule>, StoreError>
    /**
     * Compare-and-set of a reminder: sets the rule's `lastFiredAt` to `at` only if it is still
     * enabled and firing and its `lastFiredAt` is still `expected`; true when this call set it.
     * Replicas sending reminders at once each try it, and only one wins.
     */
    readonly markReminded: (
      orgId: string,
      id: string,
      expected: Date | null,
      at: Date
    ) => Effect.Effect<boolean, StoreError>

    /**
     * Serializes alerting decisions about one server until the transaction ends (also when it
     * has no incident row yet): concurrent outcomes of its targets then decide one after the
     * other, each seeing what the others committed. Outside a transaction it does nothing useful.
     */
    readonly lockServer: (orgId: string, serverId: string) => Effect.Effect<void, StoreError>
    /** Incidents of the organization, oldest first, of one server and/or containing one rule. */
    readonly listIncidents: (
      orgId: string,
      filter?: { readonly serverId?: string; readonly ruleId?: string; readonly open?: boolean }
    ) => Effect.Effect<ReadonlyArray<AlertIncident>, StoreError>
    readonly insertIncident: (incident: AlertIncident) => Effect.Effect<void, StoreError>
    readonly updateIncident: (incident: AlertIncident) => Effect.Effect<void, StoreError>

    readonly enqueue: (message: OutboxMessage) => Effect.Effect<void, StoreError>
    /**
     * `updateRule(rule)` and then `enqueue(message)` (a message of that rule), in one round trip
     * when the rule keeps its name: the rule engine saving the state a rule moved to with the
     * message the move sends. A `Conflict` (as `updateRule`'s) enqueues nothing.
     */
    readonly updateRuleAndEnqueue: (
      rule: AlertRule,
      message: OutboxMessage
    ) => Effect.Effect<void, StoreError | Conflict>
    /**
     * Takes back held alerts: deletes and returns the pending `firing` messages with outcome
     * `error` that no attempt has touched and that were enqueued after `heldSince` — so they are
     * still held back, not due, and no dispatcher has claimed them — of one server
     * (`message.server.id`) and/or one rule. Oldest first.
     */
    readonly withdrawHeld: (
      orgId: string,
      filter: { readonly serverId?: string; readonly ruleId?: string },
      heldSince: Date
    ) => Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError>
    /** The newest `firing` or `reminder` message of a rule, whatever its delivery status. */
    readonly lastFiring: (
      orgId: string,
      ruleId: string
    ) => Effect.Effect<Option.Option<OutboxMessage>, StoreError>
    /**
     * Claims up to `limit` pending messages due at `now` (across organizations, oldest due first)
     * by pushing their `nextAttemptAt` to `leaseUntil`, so concurrent dispatchers never deliver
     * the same claim twice. A claim is not an attempt: `attempts` counts outcomes.
     */
    readonly claimOutbox: (
      now: Date,
      leaseUntil: Date,
      limit: number
    ) => Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError>
    /** Records the successful attempt of a pending message. */
    readonly markDelivered: (id: string, at: Date) => Effect.Effect<void, StoreError>
    /** Records a failed attempt (`attempts` + 1, `lastError`): due again at `retryAt`, or dead-lettered when it is null. */
    readonly markFailed: (id: string, error: string, retryAt: Date | null) => Effect.Effect<void, StoreError>
    readonly listOutbox: (
      orgId: string,
      filter?: { readonly status?: OutboxMessage["status"] }
    ) => Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError>
    /**
     * Deletes delivered and dead messages created before `before`, at most `limit`; returns how
     * many. Pending messages are kept whatever their age: they are still to be delivered.
     */
    readonly pruneOutbox: (before: Date, limit: number) => Effect.Effect<number, StoreError>
    /** Up to `query.limit` messages of an organization, newest first (`createdAt`, then `id`). */
    readonly pageOutbox: (
      orgId: string,
      query: OutboxQuery
    ) => Effect.Effect<ReadonlyArray<OutboxMessage>, StoreError>
  }
>() {}

/** Which outbox messages a page holds; filters combine. */
export interface OutboxQuery {
  readonly status?: OutboxMessage["status"]
  /**
   * Among `pending` messages: true keeps those whose last attempt failed (`attempts` > 0 and a
   * `lastError`: waiting for a retry), false those no attempt has failed yet.
   */
  readonly retrying?: boolean
  readonly ruleId?: string
  /** Only messages strictly after this one in newest-first order: the next page. */
  readonly after?: { readonly createdAt: Date; readonly id: string }
  readonly limit: number
}
