/**
 * The dashboard's sign-in session. The cookie holds the API key the user signed in with,
 * encrypted and authenticated (AES-256-GCM) under a key derived from the deployment's secret key
 * (HKDF, for this purpose only), with its expiry and the session's CSRF token. Every page
 * authenticates that key again exactly as the REST API does, so a revoked key or a lowered role
 * takes effect on the next page on every replica, and rate limits and the read-only workspace
 * apply; the browser never sees the key, and no session table is needed. Signing out clears the
 * cookie; a copy taken before works until it expires (`ttl`) or its key is revoked.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto"
import { HttpServerResponse } from "@effect/platform"
import { Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { ServerConfigTag } from "../config/ServerConfig.js"
import { resolveSecretKeys } from "../config/secretKey.js"

/** The session cookie's name. */
export const cookieName = "armature_session"

/** How long a session lasts after sign-in. */
export const ttl = Duration.hours(12)

/** An open session: the API key it acts with and the CSRF token its forms carry. */
export interface Session {
  readonly token: string
  readonly csrf: string
  readonly expiresAt: number
}

const Payload = Schema.parseJson(
  Schema.Struct({ token: Schema.String, csrf: Schema.String, expiresAt: Schema.Number })
)

const version = "v1."
// Binds a ciphertext to this use: a value sealed for something else does not open here.
const aad = Buffer.from(cookieName)

/** Seals and opens session cookies under one 32-byte key. */
export const make = (key: Buffer) => {
  const seal = (token: string, now: number): { readonly value: string; readonly session: Session } => {
    const session = {
      token,
      csrf: randomBytes(24).toString("base64url"),
      expiresAt: now + Duration.toMillis(ttl)
    }
    const iv = randomBytes(12)
    const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad)
    const body = Buffer.concat([cipher.update(Schema.encodeSync(Payload)(session), "utf8"), cipher.final()])
    const value = version + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")
    return { value, session }
  }

  /** The session a cookie value holds, or none when it was not sealed here, was altered or expired. */
  const open = (value: string, now: number): Option.Option<Session> => {
    if (!value.startsWith(version)) return Option.none()
    const raw = Buffer.from(value.slice(version.length), "base64url")
    if (raw.length < 12 + 16 + 1) return Option.none()
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12)).setAAD(aad)
      decipher.setAuthTag(raw.subarray(raw.length - 16))
      const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()])
      return Option.filter(
        Schema.decodeUnknownOption(Payload)(text.toString("utf8")),
        (session) => session.expiresAt > now
      )
    } catch {
      // A failed authentication tag: not ours, or changed.
      return Option.none()
    }
  }

  return { seal, open } as const
}

export class Sessions extends Context.Tag("@armature/server/dashboard/Sessions")<
  Sessions,
  ReturnType<typeof make> & {
    /** Whether cookies get `Secure` (the public URL is https). */
    readonly secure: boolean
  }
>() {}

/** The session cookie's attributes: not for scripts, not sent by cross-site posts, `Secure` over https. */
const cookieOptions = (secure: boolean) => ({ httpOnly: true, secure, sameSite: "lax", path: "/" }) as const

/** `response` signing the browser in with `token` until `ttl` from `now`. */
export const signIn = (
  response: HttpServerResponse.HttpServerResponse,
  sessions: Sessions["Type"],
  token: string,
  now: number
) =>
  response.pipe(
    HttpServerResponse.unsafeSetCookie(cookieName, sessions.seal(token, now).value, {
      ...cookieOptions(sessions.secure),
      maxAge: ttl
    }),
    HttpServerResponse.expireCookie(signInCookie, { path: "/sign-in" })
  )

/** `response` ending the browser's session. */
export const signOut = (response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.expireCookie(response, cookieName, { path: "/" })

/**
 * The sign-in form's own cookie: a token the form must post back, so only a form this site gave
 * the browser signs it in (another site cannot sign a visitor in with a key of its own).
 */
export const signInCookie = "armature_sign_in"

/** A response with a sign-in form (`render` puts the token in it) and the token's cookie. */
export const withSignInToken = (
  sessions: Sessions["Type"],
  render: (csrf: string) => HttpServerResponse.HttpServerResponse
) => {
  const csrf = randomBytes(24).toString("base64url")
  return HttpServerResponse.unsafeSetCookie(render(csrf), signInCookie, csrf, {
    ...cookieOptions(sessions.secure),
    sameSite: "strict",
    path: "/sign-in",
    maxAge: Duration.hours(1)
  })
}

/**
 * A key of this deployment for one purpose (the session cookie by default): every replica
 * derives the same one from the secret key, and no two purposes share one.
 */
export const deriveKey = (secretKey: Buffer, purpose = "armature dashboard session v1"): Buffer =>
  Buffer.from(hkdfSync("sha256", secretKey, Buffer.alloc(0), purpose, 32))

/**
 * `Sessions` under the deployment's current secret key (rotating that key signs everyone out).
 * Built after the store, which has already checked the key, so failing here is a defect.
 */
export const layer = Layer.effect(
  Sessions,
  Effect.gen(function* () {
    const config = yield* ServerConfigTag
    const [current] = yield* Effect.orDie(resolveSecretKeys(config))
    return {
      ...make(deriveKey(Redacted.value(current.material))),
      secure: config.publicUrl.startsWith("https:")
    }
  })
)
