/**
 * The alert-sink contract: a sink delivers a message so that the destination receives its
 * subject and link, and reports a failing destination as `DeliveryFailed`. The adapter's test
 * points the sink at a loopback recorder and says how to read what it received.
 */
import { expect, layer as withLayer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { AlertMessage, Destination } from "../../domain/Alert.js"
import { AlertSink } from "../../ports/AlertSink.js"
import { uid } from "./fixtures.js"

export interface Options<R> {
  /** A destination the recorder receives. */
  readonly destination: Destination
  /** A destination whose delivery fails (rejected address, unknown channel, HTTP 500…). */
  readonly failingDestination: Destination
  /** What the recorder received so far: raw bodies (strings) or parsed payloads (serialized to search them). */
  readonly received: Effect.Effect<ReadonlyArray<unknown>, unknown, R>
  /**
   * Run on the live clock instead of `TestClock` (default false): for a sink that stamps messages
   * with the current time and a recorder that checks it, like a Standard Webhooks receiver.
   */
  readonly liveClock?: boolean
}

const message = (): AlertMessage => {
  const id = uid()
  return {
    kind: "firing",
    ruleName: "Weather down",
    subject: `Weather check failed ${id}`,
    objectName: "Weather check",
    outcome: "fail",
    summary: "Criterion 'Reports the temperature' failed: no temperature in the answer.",
    link: `https://armature.example/runs/${id}`,
    at: new Date("2026-01-01T00:00:00Z")
  }
}

const asText = (payload: unknown): string => (typeof payload === "string" ? payload : JSON.stringify(payload))

/** Runs the sink contract against `layer`, which provides the sink and whatever `received` needs. */
export const alertSinkContract = <R>(
  name: string,
  layer: Layer.Layer<AlertSink | R, unknown>,
  options: Options<AlertSink | R>
): void =>
  withLayer(layer, { excludeTestServices: options.liveClock ?? false })(name, (it) => {
    it.effect("the destination receives the message's subject and link", () =>
      Effect.gen(function* () {
        const sink = yield* AlertSink
        const m = message()
        yield* sink.deliver({ id: uid(), orgId: uid(), message: m, destination: options.destination })
        const received = (yield* options.received).map(asText)
        expect(received.some((text) => text.includes(m.subject) && text.includes(m.link!))).toBe(true)
      })
    )

    it.effect("a message without a link is delivered too", () =>
      Effect.gen(function* () {
        const sink = yield* AlertSink
        const m = { ...message(), link: null }
        yield* sink.deliver({ id: uid(), orgId: uid(), message: m, destination: options.destination })
        const received = (yield* options.received).map(asText)
        expect(received.some((text) => text.includes(m.subject))).toBe(true)
      })
    )

    it.effect("a failing destination is reported as DeliveryFailed", () =>
      Effect.gen(function* () {
        const sink = yield* AlertSink
        const error = yield* Effect.flip(
          sink.deliver({
            id: uid(),
            orgId: uid(),
            message: message(),
            destination: options.failingDestination
          })
        )
        expect(error._tag).toBe("DeliveryFailed")
        expect(typeof error.retryable).toBe("boolean")
      })
    )
  })
