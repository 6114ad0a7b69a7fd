/**
 * The compiled response encoder against `Schema.encode`: for the success schema of every endpoint
 * that answers through it (`respondWith`), taken from the API's own definition, generated values
 * of its type (fast-check, from the schema) encode to the same JSON. And the property it exists
 * to keep: a field a value carries but its schema does not declare — a key's secret hash, say —
 * is not in the output.
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

const json = (value: unknown) => JSON.parse(JSON.stringify(value))

describe("ResponseEncoder", () => {
  it.each(served)("encodes %s.%s's success like Schema.encode", (group, endpoint) => {
    const schema = successOf(group, endpoint)
    const encode = ResponseEncoder.make(schema)
    const reference = Schema.encodeSync(schema)
    fc.assert(
      fc.property(Arbitrary.make(schema), (value) => {
        expect(json(encode(value))).toEqual(json(reference(value)))
      }),
      { numRuns: 40 }
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

  it("encodes instants as ISO strings, as Schema.encode does", () => {
    const [run] = fc.sample(Arbitrary.make(Run), { numRuns: 1, seed: 11 })
    const at = new Date("2026-12-07T03:00:00.000Z")
    const encoded = ResponseEncoder.make(Run)({ ...run!, createdAt: at }) as Record<string, unknown>
    expect(encoded.createdAt).toBe("2026-12-07T03:00:00.000Z")
    expect(encoded).toEqual(Schema.encodeSync(Run)({ ...run!, createdAt: at }))
  })
})
