import { createHmac, timingSafeEqual } from "node:crypto"
import { AlertSink, SecretStore } from "@armature/core"
import { AlertSinkContract, MemoryStore } from "@armature/core/testing"
import { afterAll, describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import { Webhook } from "standardwebhooks"
import { AlertSinks, WebhookPayload, WebhookSink } from "../src/index.js"
import { delivery } from "./support/fixtures.js"
import { type Answer, listen, type Recorded, type Respond } from "./support/recorder.js"
import { anyOrgSecrets, guardLayer } from "./support/services.js"

// Any text of 16+ characters is a valid secret; this one is not ASCII, to hold the README's recipe to it.
const secret = "correct horse battery staple — ünïcödé"

/** Verifies exactly as the README tells receivers to. */
const receiver = new Webhook(Buffer.from(secret, "utf8").toString("base64"))
const headersOf = (r: Recorded) => r.headers as Record<string, string>

const respond: Respond = (r): Answer | "hang" => {
  switch (r.path) {
    case "/fail":
      return { status: 500, body: "internal error" }
    case "/busy":
      return { status: 503, body: `  <html>\n<body>${"Service Unavailable ".repeat(50)}</body></html>` }
    case "/bad":
      return { status: 400, body: '{"error":"unknown field"}' }
    case "/gone":
      return { status: 410 }
    case "/slow":
      return { status: 408 }
    case "/limited":
      return { status: 429, headers: { "retry-after": "30" } }
    case "/redirect":
      return { status: 302, headers: { location: "/elsewhere?token=abc" } }
    case "/hang":
      return "hang"
    case "/unsigned":
      return { status: 204 }
    default:
      try {
        receiver.verify(r.body, headersOf(r))
        return { status: 204 }
      } catch {
        return { status: 401, body: "bad signature" }
      }
  }
}

const recorder = await listen(respond)
afterAll(() => recorder.close())

const signedAt = (path = "/hook") =>
  ({ type: "webhook", url: `${recorder.url}${path}`, secretRef: "ref-1" }) as const
const unsignedAt = (path: string) =>
  ({ type: "webhook", url: `${recorder.url}${path}`, secretRef: null }) as const

const webhookLayer = (options: WebhookSink.Options = {}) =>
  AlertSinks.layer(WebhookSink.make(options)).pipe(
    Layer.provide(guardLayer),
    Layer.provide(anyOrgSecrets({ "ref-1": secret }))
  )

AlertSinkContract.alertSinkContract("WebhookSink", webhookLayer(), {
  destination: signedAt(),
  failingDestination: unsignedAt("/fail"),
  // What a receiver accepts: requests whose signature verifies, parsed.
  received: Effect.sync(() =>
    recorder.requests().flatMap((r) => {
      try {
        return [receiver.verify(r.body, headersOf(r))]
      } catch {
        return []
      }
    })
  ),
  liveClock: true
})

const requestsTo = (path: string) => recorder.requests().filter((r) => r.path === path)
const failureOf = (destination: Parameters<typeof delivery>[0]) =>
  Effect.flip(Effect.flatMap(AlertSink, (sink) => sink.deliver(delivery(destination))))

layer(webhookLayer({ timeoutMs: 300 }), { excludeTestServices: true })("WebhookSink", (it) => {
  it.effect("posts the versioned payload, signed, with the same webhook-id on every retry", () =>
    Effect.gen(function* () {
      const sink = yield* AlertSink
      const d = delivery(signedAt("/retried"))
      yield* sink.deliver(d)
      yield* sink.deliver(d)
      const [first, second] = requestsTo("/retried")
      expect(first?.headers["webhook-id"]).toBe(d.id)
      expect(second?.headers["webhook-id"]).toBe(d.id)
      expect(first?.body).toBe(second?.body)
      expect(first?.headers["content-type"]).toBe("application/json")
      const payload = Schema.decodeUnknownSync(WebhookPayload.AlertEvent)(
        receiver.verify(first!.body, headersOf(first!))
      )
      expect(payload).toMatchObject({
        type: "armature.alert.firing",
        version: 1,
        id: d.id,
        timestamp: "2026-01-01T10:00:00.000Z",
        data: {
          kind: "firing",
          title: "Monitor Weather check failed",
          rule: { name: "Weather down" },
          target: { type: "monitor", id: "m-1", name: "Weather check" },
          server: { id: "s-1", name: "Weather API" },
          tool: "get_forecast",
          outcome: "fail",
          link: "https://armature.example/runs/r-1",
          firingSince: "2026-01-01T07:55:00.000Z",
          incident: null
        }
      })
    })
  )

  it.effect("the signature can be checked by hand: HMAC-SHA256 over id.timestamp.body", () =>
    Effect.gen(function* () {
      const d = delivery(signedAt("/by-hand"))
      yield* Effect.flatMap(AlertSink, (sink) => sink.deliver(d))
      const [r] = requestsTo("/by-hand")
      const id = r!.headers["webhook-id"] as string
      const timestamp = r!.headers["webhook-timestamp"] as string
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60)
      const expected = createHmac("sha256", Buffer.from(secret, "utf8"))
        .update(`${id}.${timestamp}.${r!.body}`)
        .digest("base64")
      const signatures = (r!.headers["webhook-signature"] as string).split(" ")
      expect(
        signatures.some((s) => {
          const [version, value] = s.split(",")
          return version === "v1" && timingSafeEqual(Buffer.from(value ?? ""), Buffer.from(expected))
        })
      ).toBe(true)
    })
  )

  it.effect("without a secret the request is unsigned but still has an id and a timestamp", () =>
    Effect.gen(function* () {
      const d = delivery(unsignedAt("/unsigned"))
      yield* Effect.flatMap(AlertSink, (sink) => sink.deliver(d))
      const [r] = requestsTo("/unsigned")
      expect(r?.headers["webhook-id"]).toBe(d.id)
      expect(r?.headers["webhook-timestamp"]).toMatch(/^\d+$/)
      expect(r?.headers["webhook-signature"]).toBeUndefined()
      // A row written without the schema's default (no `secretRef` at all) is unsigned too.
      const { secretRef: _, ...bare } = unsignedAt("/unsigned")
      yield* Effect.flatMap(AlertSink, (sink) => sink.deliver(delivery(bare as never)))
      expect(requestsTo("/unsigned")).toHaveLength(2)
    })
  )

  it.effect(
    "5xx, 408, 429 and timeouts are retryable; other 4xx are not, and say what the receiver said",
    () =>
      Effect.gen(function* () {
        const busy = yield* failureOf(unsignedAt("/busy"))
        expect(busy.retryable).toBe(true)
        expect(busy.message).toMatch(/^the webhook answered 503: <html> <body>Service Unavailable/)
        expect(busy.message.length).toBeLessThan(260)
        const bad = yield* failureOf(unsignedAt("/bad"))
        expect(bad).toMatchObject({
          retryable: false,
          message: 'the webhook answered 400: {"error":"unknown field"}'
        })
        expect(yield* failureOf(unsignedAt("/gone"))).toMatchObject({ retryable: false })
        expect(yield* failureOf(unsignedAt("/slow"))).toMatchObject({ retryable: true })
        expect(yield* failureOf(unsignedAt("/limited"))).toMatchObject({ retryable: true })
        expect(yield* failureOf(unsignedAt("/hang"))).toMatchObject({ retryable: true })
        expect((yield* failureOf(unsignedAt("/hang"))).message).toContain("did not answer within")
      })
  )

  it.effect("a wrong signature is the receiver's 401: not retryable", () =>
    Effect.gen(function* () {
      const otherKey = AlertSinks.layer(WebhookSink.make()).pipe(
        Layer.provide(guardLayer),
        Layer.provide(anyOrgSecrets({ "ref-1": "some other secret, 16+ characters" }))
      )
      const error = yield* failureOf(signedAt("/wrong-key")).pipe(Effect.provide(otherKey))
      expect(error).toMatchObject({ retryable: false, message: "the webhook answered 401: bad signature" })
    })
  )

  it.effect("a redirect is a failure and is not followed", () =>
    Effect.gen(function* () {
      const error = yield* failureOf(unsignedAt("/redirect"))
      expect(error.retryable).toBe(false)
      expect(error.message).toContain("302")
      expect(error.message).toContain(`${recorder.url}/elsewhere`)
      expect(error.message).not.toContain("token=abc")
      expect(requestsTo("/elsewhere?token=abc")).toEqual([])
    })
  )

  it.effect("the address guard is asked before every delivery", () =>
    Effect.gen(function* () {
      const refused = yield* failureOf({
        type: "webhook",
        url: "https://169.254.169.254/latest",
        secretRef: null
      })
      expect(refused.retryable).toBe(false)
      expect(refused.message).toContain("not allowed")
      const unresolved = yield* failureOf({
        type: "webhook",
        url: "https://nxdomain.test/hook",
        secretRef: null
      })
      expect(unresolved.retryable).toBe(true)
    })
  )

  it.effect("a connection refused is retryable", () =>
    Effect.gen(function* () {
      const closed = yield* Effect.promise(() => listen(() => ({ status: 204 })))
      yield* Effect.promise(closed.close)
      const error = yield* failureOf({ type: "webhook", url: `${closed.url}/hook`, secretRef: null })
      expect(error).toMatchObject({ retryable: true, message: "could not reach the webhook: ECONNREFUSED" })
    })
  )

  it.effect("a secret that no longer exists is a final failure", () =>
    Effect.gen(function* () {
      const error = yield* failureOf({ type: "webhook", url: `${recorder.url}/hook`, secretRef: "ref-gone" })
      expect(error.retryable).toBe(false)
    })
  )

  it.effect("validate: URL, scheme, credentials, address guard", () =>
    Effect.gen(function* () {
      const sink = yield* AlertSink
      const check = (url: string) => sink.validate("org-1", { type: "webhook", url, secretRef: null })
      expect(yield* check("https://hooks.example.com/armature")).toEqual([])
      expect(yield* check(`${recorder.url}/hook`)).toEqual([])
      expect(yield* check("http://localhost:8080/hook")).toEqual([])
      expect(yield* check("not a url")).toMatchObject([{ field: "url" }])
      expect((yield* check("http://hooks.example.com/armature"))[0]?.message).toContain("must use https")
      expect((yield* check("ftp://hooks.example.com/armature"))[0]?.message).toContain("https")
      expect((yield* check("https://user:pw@hooks.example.com/"))[0]?.message).toContain(
        "user name or password"
      )
      expect(yield* check("https://blocked.test/hook")).toEqual([
        { field: "url", message: "blocked.test is a link-local or metadata address" }
      ])
    })
  )
})

describe("WebhookSink options and secrets", () => {
  it.effect("allowInsecureHttp accepts http to any host", () =>
    Effect.gen(function* () {
      const sink = yield* AlertSink
      expect(
        yield* sink.validate("org-1", { type: "webhook", url: "http://hooks.example.com/x", secretRef: null })
      ).toEqual([])
    }).pipe(Effect.provide(webhookLayer({ allowInsecureHttp: true })))
  )

  it.effect("validate reports a secret reference the organization does not have", () =>
    Effect.gen(function* () {
      const ref = yield* Effect.flatMap(SecretStore, (s) => s.put("org-1", Redacted.make(secret)))
      const sink = yield* AlertSink
      const url = "https://hooks.example.com/x"
      expect(yield* sink.validate("org-1", { type: "webhook", url, secretRef: ref })).toEqual([])
      expect(yield* sink.validate("org-2", { type: "webhook", url, secretRef: ref })).toMatchObject([
        { field: "secretRef" }
      ])
    }).pipe(
      Effect.provide(
        AlertSinks.layer(WebhookSink.make()).pipe(
          Layer.provideMerge(Layer.merge(guardLayer, MemoryStore.layer))
        )
      )
    )
  )
})
