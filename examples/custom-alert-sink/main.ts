/**
 * Runs the PagerDuty plugin sink end to end against a stand-in for PagerDuty's Events API on
 * 127.0.0.1: the router validates a destination, then delivers a firing and its recovery.
 *
 *   npm run custom-alert-sink -w @armature/examples
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { AlertSinks, type TypedSink } from "@armature/alerts"
import { AddressGuard, type AlertMessage, AlertSink, SecretNotFound, SecretStore } from "@armature/core"
import { Effect, Layer } from "effect"
import * as PagerDutySink from "./PagerDutySink.js"

/** A stand-in for `https://events.pagerduty.com/v2/enqueue` that prints what it receives. */
const startFakePagerDuty = () =>
  new Promise<{ url: string; close: () => void }>((resolve) => {
    const server = createServer((req, res) => {
      let body = ""
      req.on("data", (c) => {
        body += c
      })
      req.on("end", () => {
        const event = JSON.parse(body)
        console.log(`PagerDuty got: ${event.event_action} ${event.dedup_key} "${event.payload.summary}"`)
        res.writeHead(202, { "content-type": "application/json" }).end('{"status":"success"}')
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/enqueue`,
        close: () => server.close()
      })
    )
  })

/** The router an embedding program builds: the built-in sinks plus the plugin. */
const alertSinkLayer = (pagerDuty: TypedSink) =>
  AlertSinks.layer(
    AlertSinks.builtIn({
      /* slack, email, webhook settings */
    }),
    pagerDuty
  ).pipe(
    // The built-in webhook sink needs the deployment's address guard and secret store; a real
    // server provides its own (runner's `AddressGuard.layer`, the store's `SecretStore`).
    Layer.provide(
      Layer.merge(
        Layer.succeed(AddressGuard, { check: () => Effect.void }),
        Layer.succeed(SecretStore, {
          put: () => Effect.die("unused"),
          get: (_orgId, ref) => Effect.fail(new SecretNotFound({ message: "none", ref })),
          delete: () => Effect.void,
          matching: () => Effect.succeed(new Set<string>())
        })
      )
    )
  )

const firing: AlertMessage = {
  kind: "firing",
  ruleName: "Checkout down",
  subject: "[Armature] Checkout down: Place order fail",
  objectName: "Place order",
  outcome: "fail",
  summary: "Criterion 'Returns an order id' failed: the tool answered with an error.",
  link: "https://armature.example/runs/r-42",
  at: new Date()
}

const program = (eventsUrl: string) =>
  Effect.gen(function* () {
    const sink = yield* AlertSink
    const destination = { type: "pagerduty", routingKey: "0123456789abcdef0123456789abcdef" }
    console.log("validate a good key:", yield* sink.validate("org-1", destination))
    console.log("validate a bad key:", yield* sink.validate("org-1", { type: "pagerduty", routingKey: "x" }))
    yield* sink.deliver({ id: "d-1", orgId: "org-1", message: firing, destination })
    yield* sink.deliver({
      id: "d-2",
      orgId: "org-1",
      message: { ...firing, kind: "recovery", subject: "[Armature] Checkout down: Place order recovered" },
      destination
    })
  }).pipe(Effect.provide(alertSinkLayer(PagerDutySink.make({ eventsUrl }))))

const fake = await startFakePagerDuty()
await Effect.runPromise(program(fake.url)).finally(fake.close)
