import { describe, expect, it } from "@effect/vitest"
import * as Catalogs from "../src/Catalogs.js"
import type { Tool } from "../src/domain/Catalog.js"

const a: Tool = {
  name: "a",
  description: "first",
  inputSchema: {
    type: "object",
    properties: { x: { type: "string" }, b: { type: "number" } },
    required: ["x"]
  }
}
const b: Tool = { name: "b", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } }

describe("canonicalize", () => {
  it("sorts tools by name and object keys recursively", () => {
    const canonical = Catalogs.canonicalize([b, a]) as Array<Record<string, unknown>>
    expect(canonical.map((t) => t.name)).toEqual(["a", "b"])
    expect(Object.keys(canonical[0]!)).toEqual(["description", "inputSchema", "name"])
    const schema = canonical[0]!.inputSchema as Record<string, Record<string, unknown>>
    expect(Object.keys(schema)).toEqual(["properties", "required", "type"])
    expect(Object.keys(schema.properties!)).toEqual(["b", "x"])
  })

  it("drops undefined members and keeps array order", () => {
    const tool = {
      name: "t",
      description: undefined,
      inputSchema: { type: "object", enum: ["z", "a"] }
    } as Tool
    expect(Catalogs.canonicalize([tool])).toEqual([
      { inputSchema: { enum: ["z", "a"], type: "object" }, name: "t" }
    ])
  })

  it("does not modify its input", () => {
    const input = [b, a]
    Catalogs.canonicalize(input)
    expect(input.map((t) => t.name)).toEqual(["b", "a"])
  })
})

describe("canonicalHash", () => {
  it("is a sha256 hex digest", () => {
    expect(Catalogs.canonicalHash([a])).toMatch(/^[0-9a-f]{64}$/)
  })

  it("ignores tool order, key order and undefined members", () => {
    const reordered: Tool = {
      inputSchema: {
        required: ["x"],
        properties: { b: { type: "number" }, x: { type: "string" } },
        type: "object"
      },
      description: "first",
      name: "a",
      title: undefined
    } as Tool
    expect(Catalogs.canonicalHash([a, b])).toBe(Catalogs.canonicalHash([b, reordered]))
  })

  it("changes when any content changes", () => {
    expect(Catalogs.canonicalHash([a, b])).not.toBe(
      Catalogs.canonicalHash([{ ...a, description: "second" }, b])
    )
    expect(Catalogs.canonicalHash([a, b])).not.toBe(Catalogs.canonicalHash([a]))
  })

  it("hashes the empty catalog", () => {
    expect(Catalogs.canonicalHash([])).toBe(
      "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
    )
  })
})

describe("toolMap", () => {
  it("maps tools by name; the first of duplicate names wins", () => {
    const map = Catalogs.toolMap([a, b, { ...a, description: "dup" }])
    expect([...map.keys()]).toEqual(["a", "b"])
    expect(map.get("a")?.description).toBe("first")
  })
})
