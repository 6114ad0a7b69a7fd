/**
 * The tool table is the one source of the tools: the permission table must name the same tools,
 * and the README's table — the one agents' developers read — must list each with its title,
 * minimum role, annotations and arguments as the table has them.
 */
import { readFileSync } from "node:fs"
import { Roles } from "@armature/core"
import { Schema, type SchemaAST } from "effect"
import { describe, expect, it } from "vitest"
import * as ResourceTable from "../src/ResourceTable.js"
import type { Annotations, Tool } from "../src/Tool.js"
import * as ToolTable from "../src/ToolTable.js"

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")

/** Annotations in the README's words. */
const words = (a: Annotations) =>
  [
    a.readOnlyHint === true ? "read-only" : "writes",
    ...(a.readOnlyHint === true || a.destructiveHint === undefined
      ? []
      : [a.destructiveHint ? "destructive" : "non-destructive"]),
    ...(a.idempotentHint === undefined ? [] : [a.idempotentHint ? "idempotent" : "not idempotent"]),
    a.openWorldHint === true ? "open-world" : "closed-world"
  ].join(", ")

/** The arguments as a client sends them, `?` marking the optional ones. */
const argumentNames = (tool: Tool<any>) => {
  const ast = Schema.encodedSchema(Schema.Struct(tool.input)).ast as SchemaAST.TypeLiteral
  return (
    ast.propertySignatures.map((p) => `\`${String(p.name)}${p.isOptional ? "?" : ""}\``).join(", ") || "—"
  )
}

/** The README table's rows, as trimmed cells (biome pads them). */
const documented = () => {
  const section = readme.split(/^## Tools$/m)[1]!.split(/^## /m)[0]!
  return section
    .split("\n")
    .map((line) => line.split("|").map((c) => c.trim()))
    .filter((cells) => cells.length === 7 && /^`[a-z_]+`$/.test(cells[1]!))
    .map((cells) => cells.slice(1, 6))
}

describe("the tool table", () => {
  it("has exactly the MCP tools of core's permission table", () => {
    const inRoles = Roles.operations.filter((op) => !op.includes("."))
    expect([...ToolTable.names].sort()).toEqual([...inRoles].sort())
  })

  it("lists a description stating the minimum role of each tool", () => {
    for (const tool of ToolTable.tools) {
      expect(ToolTable.listed(tool).description).toContain(`Minimum role: ${Roles.minimumRole(tool.name)}.`)
    }
  })

  it("is the README's table, row for row", () => {
    expect(documented()).toEqual(
      ToolTable.tools.map((tool) => [
        `\`${tool.name}\``,
        tool.title,
        Roles.minimumRole(tool.name),
        words(tool.annotations),
        argumentNames(tool)
      ])
    )
  })
})

describe("the resource table", () => {
  it("is the README's table, row for row (URI and title)", () => {
    const section = readme.split(/^## Resources$/m)[1]!.split(/^## /m)[0]!
    const rows = section
      .split("\n")
      .map((line) => line.split("|").map((c) => c.trim()))
      .filter((cells) => cells.length === 5 && /^`armature:\/\/.+`$/.test(cells[1]!))
      .map((cells) => cells.slice(1, 3))
    expect(rows).toEqual(ResourceTable.resources.map((r) => [`\`${r.uri}\``, r.title]))
  })
})
