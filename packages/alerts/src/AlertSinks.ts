/**
 * The router: core's `AlertSink` built from one `TypedSink` per destination type. Armature's own
 * sinks (Slack, email, webhook) and a plugin's (PagerDuty, Teams…) are the same kind of value, so
 * adding a destination type needs no change to core.
 *
 * ```ts
 * const AlertSinkLive = AlertSinks.layer(
 *   AlertSinks.builtIn({ slack: { botToken: SlackSink.staticToken(token) }, email: { apiKey, from } }),
 *   PagerDutySink.make({ eventsUrl })
 * ) // needs AddressGuard and SecretStore (webhooks)
 * ```
 */
import {
  type AddressGuard,
  AlertSink,
  type Delivery,
  DeliveryFailed,
  type Destination,
  type FieldError,
  type SecretStore,
  type StoreError
} from "@armature/core"
import { Effect, Layer } from "effect"
import * as EmailSink from "./EmailSink.js"
import { excerpt } from "./internal/network.js"
import * as ResendEmail from "./ResendEmail.js"
import * as SlackSink from "./SlackSink.js"
import * as WebhookSink from "./WebhookSink.js"

/** A sink for one destination type: the `AlertSink` port, narrowed to `type`. */
export interface TypedSink {
  /** The destination type it handles: `slack`, or a plugin's own lowercase name (`pagerduty`). */
  readonly type: string
  /** Delivers; `DeliveryFailed.retryable` tells the outbox whether another attempt can help. */
  readonly deliver: (delivery: Delivery) => Effect.Effect<void, DeliveryFailed>
  /** Problems with a destination of this type, as field errors relative to it (`url`, `channel`…). */
  readonly validate: (
    orgId: string,
    destination: Destination
  ) => Effect.Effect<ReadonlyArray<FieldError>, StoreError>
}

/** What `layer` accepts: sinks, lists of sinks, or effects building them from services. */
export type SinkSource =
  | TypedSink
  | ReadonlyArray<TypedSink>
  | Effect.Effect<TypedSink | ReadonlyArray<TypedSink>, any, any>

type ErrorOf<S> = S extends Effect.Effect<any, infer E, any> ? E : never
type ContextOf<S> = S extends Effect.Effect<any, any, infer R> ? R : never

const placeholders = new WeakSet<TypedSink>()

/**
 * A sink for a type the deployment knows but has not set up: every destination of it is refused
 * with `reason`, which names what the operator has to configure. Any real sink of the same type
 * given to the router replaces it.
 */
export const notConfigured = (type: string, reason: string): TypedSink => {
  const sink: TypedSink = {
    type,
    deliver: () => Effect.fail(new DeliveryFailed({ message: reason, retryable: false })),
    validate: () => Effect.succeed([{ field: "type", message: reason }])
  }
  placeholders.add(sink)
  return sink
}

/**
 * The fields of a plugin destination, for a plugin sink to read (`fieldsOf(d).routingKey`): core
 * stores a plugin destination as given, so each field is `unknown` until its sink checks it.
 */
export const fieldsOf = (
  destination: Destination
): { readonly type: string; readonly [field: string]: unknown } => destination

const typeName = /^[a-z][a-z0-9_-]{0,39}$/

/**
 * The router over `sinks`. Dies on a type core would never store, or on two real sinks of one
 * type: both are wiring mistakes, better found at startup than as lost alerts.
 */
export const make = (sinks: ReadonlyArray<TypedSink>): Effect.Effect<AlertSink["Type"]> =>
  Effect.suspend(() => {
    const byType = new Map<string, TypedSink>()
    for (const sink of sinks) {
      if (!typeName.test(sink.type)) {
        return Effect.dieMessage(`alert sink type "${sink.type}" must match ${typeName.source}`)
      }
      const existing = byType.get(sink.type)
      if (existing === undefined || placeholders.has(existing)) byType.set(sink.type, sink)
      else if (!placeholders.has(sink)) {
        return Effect.dieMessage(
          `two alert sinks handle destination type "${sink.type}"; give the router one`
        )
      }
    }
    const available = byType.size === 0 ? "none" : [...byType.keys()].join(", ")
    const unknown = (type: string) =>
      `no alert sink handles destination type "${type}" here (available: ${available})`

    return Effect.succeed({
      deliver: (delivery) => {
        const type = delivery.destination.type
        const sink = byType.get(type)
        if (sink === undefined) {
          return Effect.fail(new DeliveryFailed({ message: unknown(type), retryable: false }))
        }
        // A plugin that throws must still leave the outbox a failure it can record and retry.
        return sink.deliver(delivery).pipe(
          Effect.catchAllDefect((defect) =>
            Effect.fail(
              new DeliveryFailed({
                message: `the ${type} sink failed unexpectedly: ${excerpt(defect instanceof Error ? defect.message : String(defect))}`,
                retryable: true
              })
            )
          )
        )
      },
      validate: (orgId, destination) => {
        const sink = byType.get(destination.type)
        return sink === undefined
          ? Effect.succeed([{ field: "type", message: unknown(destination.type) }])
          : sink.validate(orgId, destination)
      }
    })
  })

/** Core's `AlertSink` from sinks, lists of sinks, and effects that build them. */
export const layer = <const S extends ReadonlyArray<SinkSource>>(
  ...sources: S
): Layer.Layer<AlertSink, ErrorOf<S[number]>, ContextOf<S[number]>> =>
  Layer.effect(
    AlertSink,
    Effect.gen(function* () {
      const sinks: Array<TypedSink> = []
      for (const source of sources) {
        const built: TypedSink | ReadonlyArray<TypedSink> = Effect.isEffect(source) ? yield* source : source
        if ("type" in built) sinks.push(built)
        else sinks.push(...built)
      }
      return yield* make(sinks)
    })
  )

export interface BuiltInOptions {
  /** Slack through the Web API; absent, Slack destinations are refused with `SlackSink.notConnected`. */
  readonly slack?: SlackSink.Options | undefined
  /** Email through Resend; absent, email destinations are refused with `EmailSink.notConfigured`. */
  readonly email?: ResendEmail.Options | undefined
  /** Webhooks need no operator setup: these options only tune them. */
  readonly webhook?: WebhookSink.Options | undefined
}

/**
 * Armature's three sinks from the deployment's settings. To send email through another
 * `EmailSender`, leave `email` out and add `EmailSink.make` to the router: it replaces the
 * placeholder.
 */
export const builtIn = (
  options: BuiltInOptions = {}
): Effect.Effect<ReadonlyArray<TypedSink>, never, AddressGuard | SecretStore> =>
  Effect.gen(function* () {
    const email =
      options.email === undefined
        ? notConfigured("email", EmailSink.notConfigured)
        : EmailSink.fromSender(yield* ResendEmail.make(options.email))
    const slack =
      options.slack === undefined
        ? notConfigured("slack", SlackSink.notConnected)
        : SlackSink.make(options.slack)
    return [email, slack, yield* WebhookSink.make(options.webhook)]
  })
