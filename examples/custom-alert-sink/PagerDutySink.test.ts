import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { AlertSinks } from "@armature/alerts"
import { type AlertMessage, AlertSink, type Destination } from "@armature/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as PagerDutySink from "./PagerDutySink.js"

interface Received {
  readonly path: string
  readonly body: ReturnType<typeof PagerDutySink.event>
}

// A loopback stand-in for PagerDuty: 202 for known keys, 400 for the rest, 503 on /down.
const received: Array<Received> = []
let base = ""
const server = createServer((req: IncomingMessage, res) => {
  let body = ""
  req.on("data", (c) => {
    body += c
  })
  req.on("end", () => {
    const event = JSON.parse(body) as Received["body"]
    received.push({ path: req.url ?? "", body: event })
    if (req.url === "/down") return res.writeHead(503).end("maintenance")
    if (event.routing_key !== goodKey) return res.writeHead(400).end('{"status":"invalid event"}')
    res.writeHead(202, { "content-type": "application/json" }).end('{"status":"success"}')
  })
})
beforeAll(() =>
  new Promise<void>((done) => server.listen(0, "127.0.0.1", done)).then(() => {
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
)
afterAll(() => new Promise<void>((done) => server.close(() => done())))

const goodKey = "0123456789abcdef0123456789abcdef"
const message: AlertMessage = {
  kind: "firing",
  ruleName: "Checkout down",
  subject: "[Armature] Checkout down: Place order error",
  objectName: "Place order",
  outcome: "error",
  summary: "connection refused",
  link: "https://armature.example/runs/r-1",
  at: new Date("2026-01-01T00:00:00Z"),
  target: { type: "workflow", id: "w-1", name: "Place order" }
}

/** A router holding just the plugin sink. */
const run = <A, E>(path: string, body: Effect.Effect<A, E, AlertSink>) =>
  Effect.runPromise(
    body.pipe(
      Effect.provide(AlertSinks.layer(PagerDutySink.make({ eventsUrl: `${base}${path}`, timeoutMs: 2000 })))
    )
  )

const deliver = (destination: Destination, m: AlertMessage = message, path = "/v2/enqueue") =>
  run(
    path,
    Effect.flatMap(AlertSink, (sink) =>
      Effect.either(sink.deliver({ id: "d-1", orgId: "o-1", message: m, destination }))
    )
  )

describe("PagerDutySink, a plugin alert sink", () => {
  it("triggers on firing and resolves the same dedup_key on recovery", async () => {
    received.length = 0
    const destination = { type: "pagerduty", routingKey: goodKey }
    expect((await deliver(destination))._tag).toBe("Right")
    expect((await deliver(destination, { ...message, kind: "recovery" }))._tag).toBe("Right")
    const [trigger, resolve] = received.map((r) => r.body)
    expect(trigger).toMatchObject({
      routing_key: goodKey,
      event_action: "trigger",
      payload: { summary: message.subject, severity: "critical", source: "Place order" },
      links: [{ href: message.link }]
    })
    expect(resolve?.event_action).toBe("resolve")
    expect(resolve?.dedup_key).toBe(trigger?.dedup_key)
  })

  it("validates its own fields through the router", async () => {
    const errors = await run(
      "/v2/enqueue",
      Effect.flatMap(AlertSink, (sink) => sink.validate("o-1", { type: "pagerduty", routingKey: "short" }))
    )
    expect(errors).toMatchObject([{ field: "routingKey" }])
  })

  it("a refused event is final, an outage is retried", async () => {
    const refused = await deliver({ type: "pagerduty", routingKey: "ffffffffffffffffffffffffffffffff" })
    expect(refused._tag === "Left" && refused.left.retryable).toBe(false)
    const down = await deliver({ type: "pagerduty", routingKey: goodKey }, message, "/down")
    expect(down._tag === "Left" && down.left.retryable).toBe(true)
  })
})
