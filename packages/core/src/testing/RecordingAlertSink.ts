/** An `AlertSink` that records what it is asked to deliver: for use-case tests and the sink contract. */
import { Context, Effect, Layer } from "effect"
import { type AlertMessage, type Destination, destinationAs } from "../domain/Alert.js"
import { AlertSink, DeliveryFailed } from "../ports/AlertSink.js"

/** One recorded delivery. */
export interface Delivery {
  readonly id: string
  readonly orgId: string
  readonly message: AlertMessage
  readonly destination: Destination
}

/** What the recording sink has delivered so far. */
export class Recorder extends Context.Tag("@armature/core/testing/RecordingAlertSink/Recorder")<
  Recorder,
  {
    readonly deliveries: Effect.Effect<ReadonlyArray<Delivery>>
    readonly clear: Effect.Effect<void>
  }
>() {}

export interface Options {
  /** Decides which destinations fail; by default, Slack channel `C_FAIL` and addresses `fail@…`. */
  readonly failure?: (destination: Destination) => DeliveryFailed | null
}

const defaultFailure = (destination: Destination): DeliveryFailed | null =>
  destinationAs(destination, "slack")?.channel === "C_FAIL" ||
  destinationAs(destination, "email")?.address.startsWith("fail@")
    ? new DeliveryFailed({ message: "rejected by the recording sink", retryable: false })
    : null

/** A recording `AlertSink` plus its `Recorder`; each build starts empty. */
export const layer = (options: Options = {}): Layer.Layer<AlertSink | Recorder> =>
  Layer.effectContext(
    Effect.sync(() => {
      const deliveries: Array<Delivery> = []
      const failure = options.failure ?? defaultFailure
      return Context.make(AlertSink, {
        deliver: (delivery) =>
          Effect.suspend(() => {
            const failed = failure(delivery.destination)
            if (failed !== null) return Effect.fail(failed)
            deliveries.push(delivery)
            return Effect.void
          }),
        // Every destination type is accepted, so use-case tests can use plugin types too.
        validate: () => Effect.succeed([])
      }).pipe(
        Context.add(Recorder, {
          deliveries: Effect.sync(() => [...deliveries]),
          clear: Effect.sync(() => {
            deliveries.length = 0
          })
        })
      )
    })
  )
