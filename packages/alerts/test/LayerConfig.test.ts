/**
 * Optional integrations configured through `Config` under the application's own names: present
 * when their configuration is, nothing (`Layer.empty`) when it is missing, and an error naming
 * the setting when it is there but wrong.
 */
import { EmailSender } from "@armature/core"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Option } from "effect"
import { ResendEmail } from "../src/index.js"

const resend = Config.all({
  apiKey: Config.redacted("MAIL_KEY"),
  from: Config.string("MAIL_FROM"),
  baseUrl: Config.option(Config.string("MAIL_BASE")).pipe(Config.map(Option.getOrUndefined))
})

const withSettings = (settings: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings))))

describe("ResendEmail.layerConfig", () => {
  it.effect("provides the sender when its settings are there", () =>
    Effect.gen(function* () {
      const sender = yield* Effect.serviceOption(EmailSender)
      expect(Option.isSome(sender)).toBe(true)
    }).pipe(
      Effect.provide(
        ResendEmail.layerConfig(resend).pipe(
          Layer.provide(withSettings({ MAIL_KEY: "re_test", MAIL_FROM: "alerts@example.com" }))
        )
      )
    )
  )

  it.effect("is nothing when they are missing", () =>
    Effect.gen(function* () {
      expect(Option.isNone(yield* Effect.serviceOption(EmailSender))).toBe(true)
    }).pipe(Effect.provide(ResendEmail.layerConfig(resend).pipe(Layer.provide(withSettings({})))))
  )

  it.effect("fails naming the setting when one is malformed", () =>
    Effect.gen(function* () {
      const malformed = Config.all({
        apiKey: Config.redacted("MAIL_KEY"),
        from: Config.string("MAIL_FROM"),
        timeoutMs: Config.integer("MAIL_TIMEOUT")
      })
      const error = yield* Effect.flip(
        Layer.build(
          ResendEmail.layerConfig(malformed).pipe(
            Layer.provide(
              withSettings({ MAIL_KEY: "re_test", MAIL_FROM: "a@example.com", MAIL_TIMEOUT: "soon" })
            )
          )
        ).pipe(Effect.scoped)
      )
      expect(String(error)).toContain("MAIL_TIMEOUT")
    })
  )
})
