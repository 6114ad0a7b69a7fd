/**
 * The session cookie opens only as sealed, here, before it expires; and the sign-in page sends a
 * visitor back only to a path of this site.
 */
import { Duration, Option } from "effect"
import { describe, expect, it } from "vitest"
import { deriveKey, make, ttl } from "../../src/dashboard/Session.js"
import { safeNext } from "../../src/dashboard/signedIn.js"

const sessions = make(deriveKey(Buffer.alloc(32, 1)))
const now = Date.UTC(2026, 0, 1)

describe("session cookies", () => {
  it("open to the key and CSRF token they were sealed with, and never show the key", () => {
    const { value, session } = sessions.seal("amt_abc_secret", now)
    expect(value).not.toContain("secret")
    expect(Option.getOrThrow(sessions.open(value, now + 1000))).toEqual(session)
    expect(session.expiresAt).toBe(now + Duration.toMillis(ttl))
    // Every sign-in has its own CSRF token.
    expect(sessions.seal("amt_abc_secret", now).session.csrf).not.toBe(session.csrf)
  })

  it("do not open when expired, altered, sealed under another key, or not ours", () => {
    const { value } = sessions.seal("amt_abc_secret", now)
    expect(Option.isNone(sessions.open(value, now + Duration.toMillis(ttl)))).toBe(true)
    const flipped = value.slice(0, 20) + (value[20] === "A" ? "B" : "A") + value.slice(21)
    expect(Option.isNone(sessions.open(flipped, now))).toBe(true)
    expect(Option.isNone(make(deriveKey(Buffer.alloc(32, 2))).open(value, now))).toBe(true)
    for (const junk of ["", "v1.", "v1.AAAA", "v2.abc", "amt_abc_secret"]) {
      expect(Option.isNone(sessions.open(junk, now))).toBe(true)
    }
  })
})

describe("safeNext", () => {
  it("keeps a path of this site and sends anything else to the overview", () => {
    expect(safeNext("/monitors/m1?window=7d")).toBe("/monitors/m1?window=7d")
    expect(safeNext("/a b")).toBe("/a%20b")
    for (const bad of [
      null,
      undefined,
      "",
      "https://evil.test/",
      "//evil.test",
      "/\\evil.test",
      "javascript:alert(1)"
    ]) {
      expect(safeNext(bad)).toBe("/")
    }
  })
})
