import { Context, type Effect, type Option } from "effect"
import type { AlertRule, AlertTarget, OutboxMessage } from "../domain/Alert.js"
import type { StoreError } from "../Errors.js"

/** Alert rules, their firing state, and the durable outbox. */
export class AlertStore extends Context.Tag("@armature/core/AlertStore")<
  AlertStore,
  {
    readonly insertRule: (rule: AlertRule) => Effect.Effect<void, StoreError>
    readonly updateRule: (rule: AlertRule) => Effect.Effect<void, StoreError>
    readonly getRule: (orgId: string, id: string) => Effect.Effect<Option.Option<AlertRule>, StoreError>
    /**
     * With `forUpdate`, inside a transaction, the rules stay locked until it ends: outcomes of
     * one target stored at once then move a rule through its states one after the other instead
     * of each firing from the same stale state.
     */
    readonly listRules: (
      orgId: string,
      filter?: { readonly target?: AlertTarget; readonly forUpdate?: boolean }
    ) => Effect.Effect<ReadonlyArray<AlertRule>, StoreError>
    readonly deleteRule: (orgId: string, id: string) => Effect.Effect<boolean, StoreError>

    readonly enqueue: (message: OutboxMessage) => Effect.Effect<void, StoreError>
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
  }
>() {}
