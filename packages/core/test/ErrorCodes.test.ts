/**
 * The root README's error table is the one users read; it must list every code of core's table
 * with the same HTTP status and JSON-RPC code, and nothing else.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { codes } from "../src/Errors.js"

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")

/** `code → { http, jsonRpc }` from the rows of the README's "Errors" table. */
const documented = () => {
  const section = readme.split(/^## Errors$/m)[1]!.split(/^## /m)[0]!
  const rows = new Map<string, { http: number; jsonRpc: number }>()
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim())
    if (cells.length < 5 || !/^\d+$/.test(cells[2]!)) continue
    for (const [, code] of cells[1]!.matchAll(/`([a-z_]+)`/g))
      rows.set(code!, { http: Number(cells[2]), jsonRpc: Number(cells[3]) })
  }
  return rows
}

describe("the README's error table", () => {
  it("lists every code of core's table with its HTTP status and JSON-RPC code", () => {
    const rows = documented()
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(
        Object.entries(codes).map(([code, c]) => [code, { http: c.http, jsonRpc: c.jsonRpc }])
      )
    )
  })
})
