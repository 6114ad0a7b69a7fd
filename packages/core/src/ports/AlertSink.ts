import { Context, type Effect, Schema } from "effect"
import type { AlertMessage, Destination } from "../domain/Alert.js"
import type { FieldError, StoreError } from "../Errors.js"

export class DeliveryFailed extends Schema.TaggedError<DeliveryFailed>()("DeliveryFailed", {
  message: Schema.String,
  /** False when retrying cannot help (unknown channel, rejected address). */
  retryable: Schema.Boolean
}) {}

/** One message on its way to one destination. */
export interface Delivery {
  /**
   * Stable across every retry of the same message (the outbox row's id), so a destination can
   * drop duplicates: the webhook's `webhook-id`, the email's idempotency key.
   */
  readonly id: string
  readonly orgId: string
  readonly message: AlertMessage
  readonly destination: Destination
}

/**
 * Delivers alert messages to destinations (Slack, email, webhook, or a plugin's own type). The
 * server composes one sink per destination type (`@armature/alerts`' `AlertSinks.layer`).
 */
export class AlertSink extends Context.Tag("@armature/core/AlertSink")<
  AlertSink,
  {
    readonly deliver: (delivery: Delivery) => Effect.Effect<void, DeliveryFailed>
    /**
     * Problems with a destination a rule is about to store, as field errors relative to the
     * destination (`channel`, `url`, or `type` for a type no sink handles); empty when it is fine.
     */
    readonly validate: (
      orgId: string,
      destination: Destination
    ) => Effect.Effect<ReadonlyArray<FieldError>, StoreError>
  }
>() {}
