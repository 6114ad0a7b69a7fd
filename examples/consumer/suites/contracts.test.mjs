/**
 * `@armature/core/testing` the way an adapter's author uses it: under their own vitest, the
 * contract suites run against adapters installed from the tarballs — the store on embedded
 * PGlite, and the webhook alert sink delivering to a receiver on 127.0.0.1.
 */
import { createServer } from "node:http"
import { AlertSinks, WebhookSink } from "@armature/alerts"
import { AddressGuard, SecretNotFound, SecretStore } from "@armature/core"
import { AlertSinkContract, StoreContract } from "@armature/core/testing"
import { PgStore } from "@armature/store-postgres"
import { afterAll } from "@effect/vitest"
import { Effect, Layer } from "effect"

StoreContract.storeContract("PgStore.layerPglite", PgStore.layerPglite())

/** A webhook receiver: 500 on /fail, 204 elsewhere, keeping every body. */
const bodies = []
const receiver = createServer((req, res) => {
  let body = ""
  req.on("data", (chunk) => {
    body += chunk
  })
  req.on("end", () => {
    bodies.push(body)
    res.writeHead(req.url === "/fail" ? 500 : 204).end()
  })
})
const url = await new Promise((resolve) =>
  receiver.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${receiver.address().port}`))
)
afterAll(() => receiver.close())

// Unsigned deliveries need no secret; the guard lets the sink reach loopback.
const webhookLayer = AlertSinks.layer(WebhookSink.make()).pipe(
  Layer.provide(Layer.succeed(AddressGuard, { check: () => Effect.void })),
  Layer.provide(
    Layer.succeed(SecretStore, {
      put: () => Effect.die("unused"),
      get: (_orgId, ref) => Effect.fail(new SecretNotFound({ message: "none", ref })),
      delete: () => Effect.void,
      matching: () => Effect.succeed(new Set())
    })
  )
)

AlertSinkContract.alertSinkContract("WebhookSink", webhookLayer, {
  destination: { type: "webhook", url: `${url}/hook`, secretRef: null },
  failingDestination: { type: "webhook", url: `${url}/fail`, secretRef: null },
  received: Effect.sync(() => bodies),
  liveClock: true
})
