import { AlertSink, DeliveryFailed, type Destination } from "@armature/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { AlertSinks, EmailSink, SlackSink, type TypedSink } from "../src/index.js"
import { delivery } from "./support/fixtures.js"
import { anyOrgSecrets, guardLayer } from "./support/services.js"

const services = Layer.merge(guardLayer, anyOrgSecrets({}))

/** A plugin sink that records what it delivers. */
const recordingSink = (type: string, delivered: Array<Destination>): TypedSink => ({
  type,
  deliver: ({ destination }) => Effect.sync(() => void delivered.push(destination)),
  validate: (_orgId, destination) =>
    Effect.succeed(
      typeof AlertSinks.fieldsOf(destination).routingKey === "string"
        ? []
        : [{ field: "routingKey", message: "is required" }]
    )
})

const withRouter = <A, E>(
  body: Effect.Effect<A, E, AlertSink>,
  ...sources: ReadonlyArray<TypedSink | Effect.Effect<TypedSink>>
): Effect.Effect<A, E> =>
  body.pipe(Effect.provide(AlertSinks.layer(AlertSinks.builtIn(), ...sources).pipe(Layer.provide(services))))

describe("AlertSinks", () => {
  it.effect(
    "an unknown type fails validation on `type` and delivery for good, naming what is available",
    () =>
      withRouter(
        Effect.gen(function* () {
          const sink = yield* AlertSink
          const teams: Destination = { type: "teams", url: "https://example.com" }
          const message =
            'no alert sink handles destination type "teams" here (available: email, slack, webhook, pagerduty)'
          expect(yield* sink.validate("org-1", teams)).toEqual([{ field: "type", message }])
          expect(yield* Effect.flip(sink.deliver(delivery(teams)))).toEqual(
            new DeliveryFailed({ message, retryable: false })
          )
        }),
        recordingSink("pagerduty", [])
      )
  )

  it.effect("built-in types without configuration say what the operator must set", () =>
    withRouter(
      Effect.gen(function* () {
        const sink = yield* AlertSink
        const slack: Destination = { type: "slack", channel: "C0123ABCD" }
        const email: Destination = { type: "email", address: "oncall@example.com" }
        expect(yield* sink.validate("org-1", slack)).toEqual([
          { field: "type", message: SlackSink.notConnected }
        ])
        expect(yield* sink.validate("org-1", email)).toEqual([
          { field: "type", message: EmailSink.notConfigured }
        ])
        expect(yield* Effect.flip(sink.deliver(delivery(slack)))).toMatchObject({
          retryable: false,
          message: "Slack is not connected: install the Armature Slack app or set a bot token"
        })
        expect(yield* Effect.flip(sink.deliver(delivery(email)))).toMatchObject({
          retryable: false,
          message: EmailSink.notConfigured
        })
      })
    )
  )

  it.effect("routes a plugin type to its sink, with its own validation", () => {
    const delivered: Array<Destination> = []
    return withRouter(
      Effect.gen(function* () {
        const sink = yield* AlertSink
        const destination: Destination = { type: "pagerduty", routingKey: "r-1" }
        expect(yield* sink.validate("org-1", destination)).toEqual([])
        expect(yield* sink.validate("org-1", { type: "pagerduty" })).toEqual([
          { field: "routingKey", message: "is required" }
        ])
        yield* sink.deliver(delivery(destination))
        expect(delivered).toEqual([destination])
      }),
      Effect.succeed(recordingSink("pagerduty", delivered))
    )
  })

  it.effect("a sink that throws becomes a retryable DeliveryFailed", () =>
    withRouter(
      Effect.gen(function* () {
        const sink = yield* AlertSink
        const error = yield* Effect.flip(sink.deliver(delivery({ type: "broken" })))
        expect(error).toMatchObject({ retryable: true, message: "the broken sink failed unexpectedly: oops" })
      }),
      {
        type: "broken",
        deliver: () =>
          Effect.sync(() => {
            throw new Error("oops")
          }),
        validate: () => Effect.succeed([])
      }
    )
  )

  it.effect("two real sinks of one type, or a type core would not store, fail the layer", () =>
    Effect.gen(function* () {
      const twice = yield* Effect.exit(withRouter(AlertSink, recordingSink("x", []), recordingSink("x", [])))
      expect(Exit.isFailure(twice) && String(twice.cause)).toContain(
        'two alert sinks handle destination type "x"'
      )
      const badName = yield* Effect.exit(withRouter(AlertSink, recordingSink("Teams", [])))
      expect(Exit.isFailure(badName)).toBe(true)
    })
  )
})
