import { describe, expect, it } from "@effect/vitest"
import type { Tool } from "../src/domain/Catalog.js"
import * as ToolPolicy from "../src/ToolPolicy.js"

const tool = (name: string, annotations?: Tool["annotations"]): Tool => ({
  name,
  inputSchema: { type: "object" },
  ...(annotations ? { annotations } : {})
})

const catalog: ReadonlyArray<Tool> = [
  tool("orders_list", { readOnlyHint: true }),
  tool("orders_create"),
  tool("orders_delete", { destructiveHint: true }),
  tool("customers_get"),
  tool("customers_purge", { destructiveHint: true })
]

describe("entries are exact names or globs", () => {
  it("an entry with *, ? or [ is a pattern; anything else an exact name", () => {
    expect(ToolPolicy.isPattern("orders_*")).toBe(true)
    expect(ToolPolicy.isPattern("order?")).toBe(true)
    expect(ToolPolicy.isPattern("orders_[lc]*")).toBe(true)
    expect(ToolPolicy.isPattern("orders_list")).toBe(false)
    expect(ToolPolicy.isPattern("orders.list-v2")).toBe(false)
  })

  it("exact names match only themselves", () => {
    expect(ToolPolicy.matches("orders_list", "orders_list")).toBe(true)
    expect(ToolPolicy.matches("orders_list", "orders_list2")).toBe(false)
    expect(ToolPolicy.matches("orders", "orders_list")).toBe(false)
  })

  it("* matches any run, ? one character, and the whole name must match", () => {
    expect(ToolPolicy.matches("orders_*", "orders_list")).toBe(true)
    expect(ToolPolicy.matches("orders_*", "orders_")).toBe(true)
    expect(ToolPolicy.matches("orders_*", "my_orders_list")).toBe(false)
    expect(ToolPolicy.matches("*_get", "customers_get")).toBe(true)
    expect(ToolPolicy.matches("*", "anything/with.dots")).toBe(true)
    expect(ToolPolicy.matches("get?", "get1")).toBe(true)
    expect(ToolPolicy.matches("get?", "get12")).toBe(false)
  })

  it("character classes, ranges and negation work like shell globs", () => {
    expect(ToolPolicy.matches("v[12]_*", "v1_x")).toBe(true)
    expect(ToolPolicy.matches("v[12]_*", "v3_x")).toBe(false)
    expect(ToolPolicy.matches("v[0-9]", "v7")).toBe(true)
    expect(ToolPolicy.matches("v[!0-9]", "v7")).toBe(false)
    expect(ToolPolicy.matches("v[!0-9]", "vx")).toBe(true)
  })

  it("regex metacharacters in an entry are literal", () => {
    expect(ToolPolicy.matches("a.b*", "a.bc")).toBe(true)
    expect(ToolPolicy.matches("a.b*", "axbc")).toBe(false)
    expect(ToolPolicy.matches("a+(b)*", "a+(b)x")).toBe(true)
  })

  it("malformed classes never throw: unterminated [ is literal, a bad range matches nothing", () => {
    expect(ToolPolicy.matches("a[b*", "a[bc")).toBe(true)
    expect(ToolPolicy.matches("v[z-a]", "vb")).toBe(false)
  })
})

describe("allowedTools absent means an open policy", () => {
  it("an open policy offers every tool", () => {
    expect(ToolPolicy.isOpen({})).toBe(true)
    expect(ToolPolicy.apply(catalog, {}).allowed.map((t) => t.name)).toEqual(catalog.map((t) => t.name))
  })

  it("an empty allowedTools list is not open: it offers nothing", () => {
    expect(ToolPolicy.isOpen({ allowedTools: [] })).toBe(false)
    expect(ToolPolicy.apply(catalog, { allowedTools: [] }).allowed).toEqual([])
  })

  it("allowedTools offers only the tools it matches, exactly or by glob", () => {
    const { allowed, hidden } = ToolPolicy.apply(catalog, { allowedTools: ["orders_*", "customers_get"] })
    expect(allowed.map((t) => t.name)).toEqual([
      "orders_list",
      "orders_create",
      "orders_delete",
      "customers_get"
    ])
    expect(hidden).toEqual([{ tool: "customers_purge", reason: "not matched by any allowedTools entry" }])
  })
})

describe("deniedTools wins over allowedTools", () => {
  it("a denied tool is hidden even when allowedTools names it", () => {
    const policy = { allowedTools: ["orders_*"], deniedTools: ["orders_create"] }
    expect(ToolPolicy.decide(tool("orders_create"), policy)).toEqual({
      allowed: false,
      reason: "denied by deniedTools entry `orders_create`"
    })
    expect(ToolPolicy.decide(tool("orders_list"), policy)).toEqual({ allowed: true })
  })

  it("denied globs apply to open policies too", () => {
    const { allowed } = ToolPolicy.apply(catalog, { deniedTools: ["customers_*"] })
    expect(allowed.map((t) => t.name)).toEqual(["orders_list", "orders_create", "orders_delete"])
  })
})

describe("allowDestructive: false hides tools annotated destructiveHint: true", () => {
  it("hides destructive tools, even ones allowedTools names exactly", () => {
    const { allowed, hidden } = ToolPolicy.apply(catalog, {
      allowedTools: ["orders_*", "customers_purge"],
      allowDestructive: false
    })
    expect(allowed.map((t) => t.name)).toEqual(["orders_list", "orders_create"])
    expect(hidden.map((h) => h.tool)).toEqual(["orders_delete", "customers_get", "customers_purge"])
    expect(hidden.find((h) => h.tool === "orders_delete")?.reason).toContain("destructiveHint")
  })

  it("absent or true allowDestructive keeps destructive tools", () => {
    expect(ToolPolicy.decide(tool("x", { destructiveHint: true }), {}).allowed).toBe(true)
    expect(ToolPolicy.decide(tool("x", { destructiveHint: true }), { allowDestructive: true }).allowed).toBe(
      true
    )
  })

  it("a tool without annotations or with destructiveHint false is not destructive", () => {
    expect(ToolPolicy.decide(tool("x"), { allowDestructive: false }).allowed).toBe(true)
    expect(
      ToolPolicy.decide(tool("x", { destructiveHint: false }), { allowDestructive: false }).allowed
    ).toBe(true)
  })
})

describe("isAllowedName checks calls to any name, including invented ones", () => {
  it("a name outside allowedTools is refused; a denied name is refused; an open policy allows unknown names", () => {
    expect(ToolPolicy.isAllowedName("orders_list", { allowedTools: ["orders_*"] })).toBe(true)
    expect(ToolPolicy.isAllowedName("admin_reset", { allowedTools: ["orders_*"] })).toBe(false)
    expect(ToolPolicy.isAllowedName("admin_reset", { deniedTools: ["admin_*"] })).toBe(false)
    expect(ToolPolicy.isAllowedName("made_up", {})).toBe(true)
  })

  it("with the catalog entry given, allowDestructive applies too", () => {
    const destructive = tool("orders_delete", { destructiveHint: true })
    expect(ToolPolicy.isAllowedName("orders_delete", { allowDestructive: false }, destructive)).toBe(false)
    expect(ToolPolicy.isAllowedName("orders_delete", { allowDestructive: false })).toBe(true)
  })
})

describe("only exact names in allowedTools count for coverage", () => {
  it("wildcards cover nothing; exact names cover themselves, once", () => {
    expect(
      ToolPolicy.coveringNames({ allowedTools: ["orders_*", "customers_get", "customers_get", "a?"] })
    ).toEqual(["customers_get"])
  })

  it("open policies cover nothing", () => {
    expect(ToolPolicy.coveringNames({})).toEqual([])
    expect(ToolPolicy.coveringNames({ deniedTools: ["x"] })).toEqual([])
  })

  it("an exact name that deniedTools takes away again covers nothing", () => {
    expect(ToolPolicy.coveringNames({ allowedTools: ["a", "b"], deniedTools: ["b*"] })).toEqual(["a"])
  })
})
