/**
 * The compiled response encoder against `Schema.encode`: for the success schema of every endpoint
 * that answers through it (`respondWith`), taken from the API's own definition, generated values
 * of its type (fast-check, from the schema) encode to the same JSON text, byte for byte (the
 * order of the keys too); so do the shapes it compiles on its own paths (structs with defaults
 * and renamed keys, a union's single-value members, instants). And the property it exists to
 * keep: a field a value carries but its schema does not declare — a key's secret hash, say — is
 * not in the output.
 */
import { Monitor, Run } from "@armature/core"
import { Arbitrary, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ArmatureApi } from "../../src/http/Api.js"
import * as ResponseEncoder from "../../src/http/ResponseEncoder.js"

/** The endpoints whose handlers answer with `respondWith`. */
const served = [
  ["monitors", "list"],
  ["monitors", "get"],
  ["runs", "list"],
  ["runs", "get"]
] as const

const successOf = (group: string, endpoint: string) => {
  const found = Object.values(ArmatureApi.groups).find((g) => g.identifier === group)?.endpoints[endpoint]
  if (found === undefined) throw new Error(`no endpoint ${group}.${endpoint}`)
  return found.successSchema as Schema.Schema<unknown, unknown, never>
}

/** Byte-for-byte: what the server writes is `JSON.stringify` of the encoded value. */
const sameJson = <A, I>(schema: Schema.Schema<A, I, never>, numRuns = 40) => {
  const encode = ResponseEncoder.make(schema)
  const reference = Schema.encodeSync(schema)
  fc.assert(
    fc.property(Arbitrary.make(schema), (value) => {
      expect(JSON.stringify(encode(value))).toBe(JSON.stringify(reference(value)))
    }),
    { numRuns }
  )
}

describe("ResponseEncoder", () => {
  it.each(served)("encodes %s.%s's success like Schema.encode", (group, endpoint) => {
    sameJson(successOf(group, endpoint))
  })

  it("encodes structs with defaults, renamed and optional keys in one pass, in the encoded key order", () => {
    const Step = Schema.Struct({
      tool: Schema.String,
      retries: Schema.optionalWith(Schema.Int, { default: () => 1 }),
      at: Schema.optionalWith(Schema.NullOr(Schema.Date), { default: () => null })
    })
    sameJson(
      Schema.Struct({
        id: Schema.String,
        renamed: Schema.propertySignature(Schema.Date).pipe(Schema.fromKey("renamed_at")),
        note: Schema.optional(Schema.String),
        exact: Schema.optionalWith(Schema.Date, { exact: true }),
        nullable: Schema.optionalWith(Schema.Date, { nullable: true, default: () => new Date(0) }),
        asOption: Schema.optionalWith(Schema.Date, { as: "Option" }),
        steps: Schema.Array(Step),
        bag: Schema.Record({ key: Schema.String, value: Schema.Date })
      }),
      200
    )
  })

  it("encodes a union's single values by the first member whose type holds them", () => {
    // 1 is a number too: NumberFromString, listed first, writes it "1", as Schema.encode does.
    sameJson(Schema.Union(Schema.NumberFromString, Schema.Literal(1), Schema.Null), 200)
    sameJson(
      Schema.Struct({ at: Schema.UndefinedOr(Schema.Date), n: Schema.NullOr(Schema.NumberFromString) }),
      200
    )
  })

  it("leaves out what the schema does not declare, at any depth", () => {
    const [monitor] = fc.sample(Arbitrary.make(Monitor), { numRuns: 1, seed: 7 })
    const step = { toolName: "t", arguments: {}, assertions: [], leaked: 1 }
    const withSecret = { ...monitor!, secretHash: "scrypt$…", nextSteps: [step] } as unknown as Monitor
    const encoded = ResponseEncoder.make(Monitor)(withSecret) as Record<string, unknown>
    expect(encoded).not.toHaveProperty("secretHash")
    expect(encoded.nextSteps).toEqual([{ toolName: "t", arguments: {}, assertions: [] }])
    expect(encoded).toEqual(Schema.encodeSync(Monitor)(withSecret))
  })

  it("writes every instant as Schema.encode does, an invalid one too", () => {
    const encode = ResponseEncoder.make(Schema.DateFromString)
    const reference = Schema.encodeSync(Schema.DateFromString)
    fc.assert(
      fc.property(fc.date({ noInvalidDate: false }), (date) => {
        expect(encode(date)).toBe(reference(date))
      }),
      { numRuns: 1000 }
    )
  })

  it("encodes instants as ISO strings, as Schema.encode does", () => {
    const [run] = fc.sample(Arbitrary.make(Run), { numRuns: 1, seed: 11 })
    const at = new Date("2026-12-07T03:00:00.000Z")
    const encoded = ResponseEncoder.make(Run)({ ...run!, createdAt: at }) as Record<string, unknown>
    expect(encoded.createdAt).toBe("2026-12-07T03:00:00.000Z")
    expect(encoded).toEqual(Schema.encodeSync(Run)({ ...run!, createdAt: at }))
  })
})
