/**
 * The links `/armature link` gives a Slack user: a token naming their Slack workspace and user,
 * signed (HMAC-SHA256) under a key derived from the deployment's secret key and valid for
 * 15 minutes. The page it opens links that Slack user to the member signed in to the dashboard,
 * so the token proves only who asked in Slack; the sign-in proves who answers.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { ServerConfigTag } from "../config/ServerConfig.js"
import { resolveSecretKeys } from "../config/secretKey.js"
import { deriveKey } from "../dashboard/Session.js"

/** How long a link works. */
export const ttl = Duration.minutes(15)

/** Who asked for a link in Slack. */
export interface LinkRequest {
  readonly teamId: string
  readonly slackUserId: string
}

const Payload = Schema.parseJson(
  Schema.Struct({ teamId: Schema.String, slackUserId: Schema.String, expiresAt: Schema.Number })
)

/** Signs and opens link tokens under one key. */
export const make = (key: Buffer) => {
  const mac = (body: string) => createHmac("sha256", key).update(body).digest("base64url")
  const sign = (request: LinkRequest, now: number) => {
    const body = Buffer.from(
      Schema.encodeSync(Payload)({ ...request, expiresAt: now + Duration.toMillis(ttl) })
    ).toString("base64url")
    return `${body}.${mac(body)}`
  }
  /** The request a token carries, or none when it was not signed here or has expired. */
  const open = (token: string, now: number): Option.Option<LinkRequest> => {
    const [body, signature, ...rest] = token.split(".")
    if (body === undefined || signature === undefined || rest.length > 0) return Option.none()
    const expected = Buffer.from(mac(body))
    const given = Buffer.from(signature)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return Option.none()
    return Option.filter(
      Schema.decodeUnknownOption(Payload)(Buffer.from(body, "base64url").toString("utf8")),
      (p) => p.expiresAt > now
    ).pipe(Option.map(({ teamId, slackUserId }) => ({ teamId, slackUserId })))
  }
  return { sign, open } as const
}

export class LinkTokens extends Context.Tag("@armature/server/slackbot/LinkTokens")<
  LinkTokens,
  ReturnType<typeof make>
>() {}

/** `LinkTokens` under the deployment's current secret key. */
export const layer = Layer.effect(
  LinkTokens,
  Effect.gen(function* () {
    const [current] = yield* Effect.orDie(resolveSecretKeys(yield* ServerConfigTag))
    return make(deriveKey(Redacted.value(current.material), "armature slack link v1"))
  })
)
