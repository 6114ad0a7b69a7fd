import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Redaction from "../src/Redaction.js"

const amt = "amt_abc123def456_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"
const pem =
  "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890abcdef\nqwertyuiop\n-----END RSA PRIVATE KEY-----"
const R = Redaction.placeholder

describe("redactText replaces known secret values", () => {
  it("replaces every occurrence of each known secret", () => {
    expect(Redaction.redactText("token=s3cr3t-value and again s3cr3t-value", ["s3cr3t-value"])).toBe(
      `token=${R} and again ${R}`
    )
  })

  it("ignores secrets shorter than 4 characters", () => {
    expect(Redaction.redactText("abc is fine", ["abc", ""])).toBe("abc is fine")
  })

  it("replaces a longer secret whole even when a shorter one is inside it", () => {
    expect(Redaction.redactText("x=hunter22-extended", ["hunter22", "hunter22-extended"])).toBe(`x=${R}`)
  })

  it("treats secrets literally, not as patterns", () => {
    expect(Redaction.redactText("a.b*c and aXbbc", ["a.b*c"])).toBe(`${R} and aXbbc`)
  })
})

describe("redactText replaces credential-shaped substrings", () => {
  it("replaces amt_ API keys", () => {
    expect(Redaction.redactText(`use ${amt} please`, [])).toBe(`use ${R} please`)
  })

  it("replaces bearer tokens but keeps the word Bearer", () => {
    expect(Redaction.redactText("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", [])).toBe(
      `Authorization: Bearer ${R}`
    )
  })

  it("replaces PEM private keys, also truncated ones", () => {
    expect(Redaction.redactText(`key:\n${pem}\ndone`, [])).toBe(`key:\n${R}\ndone`)
    expect(Redaction.redactText("-----BEGIN PRIVATE KEY-----\nMIIEv", [])).toBe(R)
  })

  it("replaces well-known provider tokens", () => {
    const samples = [
      "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
      "xoxb-123456789012-abcdefghijkl",
      "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
      "AKIAIOSFODNN7EXAMPLE"
    ]
    for (const sample of samples) expect(Redaction.redactText(`v=${sample};`, [])).toBe(`v=${R};`)
  })

  it("leaves ordinary text alone", () => {
    const text = "task-force ask-me Bearer of bad news; sk-short; amt_ prefix"
    expect(Redaction.redactText(text, [])).toBe(text)
  })
})

describe("redact walks values deeply", () => {
  it("redacts strings in nested objects and arrays and keeps keys", () => {
    const value = {
      args: {
        token: "my-secret-token",
        list: ["ok", `Bearer abcdefghijklmnop`],
        n: 3,
        flag: true,
        none: null
      },
      "my-secret-token": "key names are kept"
    }
    expect(Redaction.redact(value, ["my-secret-token"])).toEqual({
      args: { token: R, list: ["ok", `Bearer ${R}`], n: 3, flag: true, none: null },
      "my-secret-token": "key names are kept"
    })
  })

  it("does not modify its input", () => {
    const value = { a: ["top-secret"] }
    Redaction.redact(value, ["top-secret"])
    expect(value).toEqual({ a: ["top-secret"] })
  })

  it("returns non-plain values as they are and survives cycles", () => {
    const date = new Date(0)
    expect(Redaction.redact(date, ["anything"])).toBe(date)
    const cyclic: Record<string, unknown> = { s: "top-secret" }
    cyclic.self = cyclic
    const out = Redaction.redact(cyclic, ["top-secret"]) as Record<string, unknown>
    expect(out.s).toBe(R)
    expect(out.self).toBe(out)
  })

  it("redacts a bare string", () => {
    expect(Redaction.redact(amt, [])).toBe(R)
  })
})

describe("findSecrets names the fields that look like credentials", () => {
  it("finds amt_ tokens, long bearer tokens, private keys and provider tokens, with field paths", () => {
    const args = {
      note: "hello",
      auth: { header: "Bearer abcdefghijklmnopqrstuvwxyz" },
      keys: ["fine", pem],
      token: amt,
      openai: "sk-abcdefghijklmnopqrstuvwxyz0123"
    }
    expect(Redaction.findSecrets(args, "arguments").map((e) => e.field)).toEqual([
      "arguments.auth.header",
      "arguments.keys[1]",
      "arguments.token",
      "arguments.openai"
    ])
  })

  it("a short bearer value or prose is not a credential", () => {
    expect(Redaction.findSecrets({ a: "Bearer abc", b: "the Bearer token goes in a header" }, "x")).toEqual(
      []
    )
  })

  it("messages say what it looks like and never echo the value", () => {
    const [error] = Redaction.findSecrets({ token: amt }, "")
    expect(error!.field).toBe("token")
    expect(error!.message).toContain("Armature API key")
    expect(error!.message).not.toContain(amt)
    expect(error!.message).not.toContain("abc123def456")
  })

  it("a bare string is reported at the root", () => {
    expect(Redaction.findSecrets(amt, "reason").map((e) => e.field)).toEqual(["reason"])
  })
})

describe("checkArguments", () => {
  it.effect("succeeds for clean arguments", () => Redaction.checkArguments({ a: 1, b: ["x"] }, "arguments"))

  it.effect("fails with secret_in_arguments naming each field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Redaction.checkArguments({ a: { b: amt } }, "changes"))
      expect(error._tag).toBe("SecretInArguments")
      expect(error.code).toBe("secret_in_arguments")
      expect(error.fieldErrors.map((f) => f.field)).toEqual(["changes.a.b"])
      expect(error.message).toContain("changes.a.b")
      expect(error.message).not.toContain(amt)
    })
  )
})
