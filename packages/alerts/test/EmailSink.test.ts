import { AlertSink, EmailSender } from "@armature/core"
import { AlertSinkContract } from "@armature/core/testing"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { AlertSinks, EmailMessage, EmailSink, ResendEmail } from "../src/index.js"
import { delivery, message } from "./support/fixtures.js"
import { json, layerWith, listen, type Recorded, RecorderTag, type Respond } from "./support/recorder.js"
import { anyOrgSecrets, guardLayer } from "./support/services.js"

const apiKey = "re_test_0123456789abcdef"

/** A Resend stand-in: answers by the first recipient, with the error bodies Resend sends. */
const resendApi: Respond = (r) => {
  if (r.method !== "POST" || r.path !== "/emails") return json(404, { statusCode: 404, name: "not_found" })
  const to = (JSON.parse(r.body) as { to: Array<string> }).to[0] ?? ""
  const [local] = to.split("@")
  switch (local) {
    case "fail":
      return json(422, { statusCode: 422, name: "validation_error", message: "Invalid `to` field." })
    case "busy":
      return json(429, { statusCode: 429, name: "rate_limit_exceeded", message: "Too many requests." })
    case "down":
      return { status: 503, body: "<html>Service Unavailable</html>" }
    case "proxy":
      // A proxy in front of Resend, with JSON that is not Resend's own error shape.
      return json(502, { error: "upstream unavailable" })
    case "leak":
      return json(401, { statusCode: 401, name: "invalid_api_key", message: `API key ${apiKey} is invalid` })
    case "hang":
      return "hang"
    default:
      return json(200, { id: "email-1" })
  }
}

const emailLayer = (options: Partial<ResendEmail.Options> = {}) =>
  layerWith(resendApi, (recorder) =>
    AlertSinks.layer(
      AlertSinks.builtIn({
        email: {
          apiKey: Redacted.make(apiKey),
          from: "Armature <alerts@armature.example>",
          baseUrl: recorder.url,
          ...options
        }
      })
    ).pipe(Layer.provide(guardLayer), Layer.provide(anyOrgSecrets({})))
  )

const sent = Effect.map(RecorderTag, (r) => r.requests().map((q) => q.body))

AlertSinkContract.alertSinkContract("EmailSink (Resend)", emailLayer(), {
  destination: { type: "email", address: "oncall@example.com" },
  failingDestination: { type: "email", address: "fail@example.com" },
  received: sent
})

const failureOf = (address: string) =>
  Effect.flip(Effect.flatMap(AlertSink, (sink) => sink.deliver(delivery({ type: "email", address }))))

// Live clock: the Resend timeout below is measured by Effect's clock.
layer(emailLayer({ timeoutMs: 300 }), { excludeTestServices: true })("EmailSink", (it) => {
  it.effect("sends HTML and text with the delivery id as idempotency key", () =>
    Effect.gen(function* () {
      const recorder = yield* RecorderTag
      recorder.clear()
      const d = delivery({ type: "email", address: "oncall@example.com" })
      yield* Effect.flatMap(AlertSink, (sink) => sink.deliver(d))
      const [request] = recorder.requests() as Array<Recorded>
      expect(request?.headers.authorization).toBe(`Bearer ${apiKey}`)
      expect(request?.headers["idempotency-key"]).toBe(d.id)
      const body = JSON.parse(request!.body) as Record<string, unknown>
      expect(body).toMatchObject({
        from: "Armature <alerts@armature.example>",
        to: ["oncall@example.com"],
        subject: d.message.subject
      })
      expect(body.text).toContain("Monitor Weather check failed")
      expect(body.text).toContain("Since: 2026-01-01 07:55 UTC (2 h 5 min)")
      expect(body.text).toContain("Open in Armature: https://armature.example/runs/r-1")
      expect(body.html).toContain('href="https://armature.example/runs/r-1"')
    })
  )

  it.effect("Resend's refusals are final, its rate limits and outages are retried", () =>
    Effect.gen(function* () {
      const refused = yield* failureOf("fail@example.com")
      expect(refused).toMatchObject({ retryable: false })
      expect(refused.message).toContain("422 validation_error")
      expect(yield* failureOf("busy@example.com")).toMatchObject({ retryable: true })
      expect(yield* failureOf("down@example.com")).toMatchObject({ retryable: true })
      const proxied = yield* failureOf("proxy@example.com")
      expect(proxied).toMatchObject({ retryable: true })
      expect(proxied.message).toContain("upstream unavailable")
      expect(yield* failureOf("hang@example.com")).toMatchObject({ retryable: true })
    })
  )

  it.effect("the API key never appears in an error", () =>
    Effect.gen(function* () {
      const error = yield* failureOf("leak@example.com")
      expect(error.retryable).toBe(false)
      expect(error.message).not.toContain(apiKey)
      expect(error.message).toContain("[redacted]")
    })
  )

  it.effect("validate checks the address", () =>
    Effect.gen(function* () {
      const sink = yield* AlertSink
      expect(yield* sink.validate("org-1", { type: "email", address: "oncall@example.com" })).toEqual([])
      for (const address of ["oncall", "a@b", "x@example.com, y@example.com", "Eve <eve@example.com>"]) {
        expect(yield* sink.validate("org-1", { type: "email", address })).toMatchObject([
          { field: "address" }
        ])
      }
    })
  )
})

describe("ResendEmail", () => {
  it.live("an unreachable Resend is a retryable failure", () =>
    Effect.gen(function* () {
      const closed = yield* Effect.promise(() => listen(() => ({ status: 200 })))
      yield* Effect.promise(closed.close)
      const sender = yield* ResendEmail.make({
        apiKey: Redacted.make(apiKey),
        from: "a@b.example",
        baseUrl: closed.url
      })
      const error = yield* Effect.flip(
        sender.send({ to: ["x@example.com"], subject: "s", html: "h", text: "t" })
      )
      expect(error).toMatchObject({ retryable: true })
    })
  )

  it.effect(
    "email goes through whatever EmailSender is in context when the router is given EmailSink.make",
    () =>
      Effect.gen(function* () {
        const outbox: Array<string> = []
        const sender = Layer.succeed(EmailSender, {
          send: (e) => Effect.sync(() => void outbox.push(e.subject))
        })
        const live = AlertSinks.layer(AlertSinks.builtIn(), EmailSink.make).pipe(
          Layer.provide(Layer.mergeAll(sender, guardLayer, anyOrgSecrets({})))
        )
        yield* Effect.flatMap(AlertSink, (sink) =>
          sink.deliver(delivery({ type: "email", address: "a@example.com" }))
        ).pipe(Effect.provide(live))
        expect(outbox).toEqual([message().subject])
      })
  )
})

describe("EmailMessage", () => {
  it("escapes everything user-controlled in the HTML, and keeps the text the same content", () => {
    const probe = `<script>alert("x")</script>&'`
    const rendered = EmailMessage.render(
      message({
        subject: `[Armature] ${probe}\r\nBcc: eve@example.com`,
        ruleName: probe,
        objectName: probe,
        target: { type: "workflow", id: "w-1", name: probe },
        server: { id: "s-1", name: probe },
        toolName: probe,
        summary: `Criterion failed:\n${probe}`,
        link: `https://armature.example/runs/1?a="><script>`
      })
    )
    expect(rendered.html).not.toContain("<script>")
    expect(rendered.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;")
    expect(rendered.html).toContain('href="https://armature.example/runs/1?a=&quot;&gt;&lt;script&gt;"')
    expect(rendered.subject).not.toMatch(/[\r\n]/)
    expect(rendered.text).toContain(`Criterion failed:\n${probe}`)
  })

  it("a recovery says how long it had been failing", () => {
    const rendered = EmailMessage.render(message({ kind: "recovery", outcome: "pass" }))
    expect(rendered.text).toContain("Monitor Weather check recovered")
    expect(rendered.text).toContain("Failing for: 2 h 5 min (since 2026-01-01 07:55 UTC)")
  })

  it("never makes a non-http link clickable", () => {
    const rendered = EmailMessage.render(message({ link: "javascript:alert(1)" }))
    expect(rendered.html).not.toContain("href=")
  })
})
