import { Context, type Effect, Schema } from "effect"
import type { AlertMessage, Destination } from "../domain/Alert.js"

export class DeliveryFailed extends Schema.TaggedError<DeliveryFailed>()("DeliveryFailed", {
  message: Schema.String,
  /** False when retrying cannot help (unknown channel, rejected address). */
  retryable: Schema.Boolean
}) {}

/** Delivers alert messages to destinations (Slack, email, webhook, or a plugin's own). */
export class AlertSink extends Context.Tag("@armature/core/AlertSink")<
  AlertSink,
  {
    readonly deliver: (
      orgId: string,
      message: AlertMessage,
      destination: Destination
    ) => Effect.Effect<void, DeliveryFailed>
  }
>() {}
