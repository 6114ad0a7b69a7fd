import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as Drift from "../src/Drift.js"
import type { Tool } from "../src/domain/Catalog.js"
import { Monitor } from "../src/domain/Monitor.js"
import { type ToolPolicy, Workflow } from "../src/domain/Workflow.js"

const createOrder: Tool = {
  name: "create_order",
  description: "Create an order",
  inputSchema: {
    type: "object",
    properties: {
      sku: { type: "string" },
      quantity: { type: "integer", minimum: 1 },
      priority: { type: "string", enum: ["low", "high"] },
      address: {
        type: "object",
        properties: { street: { type: "string" }, zip: { type: "string" } },
        required: ["street"]
      },
      tags: { type: "array", items: { type: "string" } }
    },
    required: ["sku"]
  }
}

/** `create_order` with its input schema transformed. */
const withInput = (f: (schema: any) => void, base: Tool = createOrder): Tool => {
  const inputSchema = structuredClone(base.inputSchema) as any
  f(inputSchema)
  return { ...base, inputSchema }
}

const only = (before: Tool, after: Tool) => {
  const d = Drift.diff([before], [after])
  expect(d.added).toEqual([])
  expect(d.removed).toEqual([])
  expect(d.changed).toHaveLength(1)
  return { change: d.changed[0]!, severity: d.severity }
}

describe("no change, no drift", () => {
  it("identical catalogs (in any order, any key order) have no changes and severity null", () => {
    const other: Tool = { name: "list_orders", inputSchema: { type: "object" } }
    const reordered = JSON.parse(
      JSON.stringify({
        inputSchema: createOrder.inputSchema,
        description: createOrder.description,
        name: createOrder.name
      })
    )
    expect(Drift.diff([createOrder, other], [other, reordered])).toEqual({
      added: [],
      removed: [],
      changed: [],
      severity: null
    })
    expect(Drift.diff([], [])).toEqual({ added: [], removed: [], changed: [], severity: null })
  })
})

describe("breaking changes", () => {
  it("a removed tool is breaking", () => {
    const d = Drift.diff([createOrder], [])
    expect(d).toEqual({ added: [], removed: ["create_order"], changed: [], severity: "breaking" })
  })

  it("a new required property is breaking", () => {
    const { change, severity } = only(
      createOrder,
      withInput((s) => {
        s.properties.customer_id = { type: "string" }
        s.required.push("customer_id")
      })
    )
    expect(change).toEqual({
      tool: "create_order",
      classification: "breaking",
      details: ["required property `customer_id` added"]
    })
    expect(severity).toBe("breaking")
  })

  it("an optional property that became required is breaking", () => {
    const { change } = only(
      createOrder,
      withInput((s) => s.required.push("quantity"))
    )
    expect(change.classification).toBe("breaking")
    expect(change.details).toEqual(["property `quantity` became required"])
  })

  it("a removed property is breaking", () => {
    const { change } = only(
      createOrder,
      withInput((s) => delete s.properties.tags)
    )
    expect(change.classification).toBe("breaking")
    expect(change.details).toEqual(["property `tags` removed"])
  })

  it("a changed property type is breaking, and nothing below it is reported", () => {
    const { change } = only(
      createOrder,
      withInput((s) => (s.properties.address = { type: "string" }))
    )
    expect(change.classification).toBe("breaking")
    expect(change.details).toEqual(["type of property `address` changed from object to string"])
  })

  it("a removed enum value is breaking", () => {
    const { change } = only(
      createOrder,
      withInput((s) => (s.properties.priority.enum = ["low"]))
    )
    expect(change.classification).toBe("breaking")
    expect(change.details).toEqual(['enum value "high" removed from property `priority`'])
  })

  it("nested properties are walked with dotted paths", () => {
    const { change } = only(
      createOrder,
      withInput((s) => {
        s.properties.address.properties.country = { type: "string" }
        s.properties.address.required.push("country")
        delete s.properties.address.properties.zip
      })
    )
    expect(change.classification).toBe("breaking")
    expect(change.details).toEqual([
      "required property `address.country` added",
      "property `address.zip` removed"
    ])
  })

  it("array items are walked with [] in the path", () => {
    const { change } = only(
      createOrder,
      withInput((s) => (s.properties.tags.items = { type: "integer" }))
    )
    expect(change.details).toEqual(["type of property `tags[]` changed from string to integer"])
  })

  it("a tightened constraint is breaking, a relaxed one non-breaking", () => {
    expect(
      only(
        createOrder,
        withInput((s) => (s.properties.quantity.minimum = 5))
      ).change.classification
    ).toBe("breaking")
    expect(
      only(
        createOrder,
        withInput((s) => (s.properties.quantity.minimum = 0))
      ).change.classification
    ).toBe("non_breaking")
    expect(
      only(
        createOrder,
        withInput((s) => (s.properties.sku.maxLength = 8))
      ).change
    ).toEqual({
      tool: "create_order",
      classification: "breaking",
      details: ["`maxLength` of property `sku` changed from unset to 8"]
    })
    expect(
      only(
        createOrder,
        withInput((s) => (s.additionalProperties = false))
      ).change.classification
    ).toBe("breaking")
  })
})

describe("non-breaking changes", () => {
  it("an added tool is non-breaking", () => {
    const tool: Tool = { name: "cancel_order", inputSchema: { type: "object" } }
    expect(Drift.diff([createOrder], [createOrder, tool])).toEqual({
      added: ["cancel_order"],
      removed: [],
      changed: [],
      severity: "non_breaking"
    })
  })

  it("an added optional property is non-breaking", () => {
    const { change, severity } = only(
      createOrder,
      withInput((s) => (s.properties.note = { type: "string" }))
    )
    expect(change).toEqual({
      tool: "create_order",
      classification: "non_breaking",
      details: ["optional property `note` added"]
    })
    expect(severity).toBe("non_breaking")
  })

  it("an added enum value is non-breaking", () => {
    const { change } = only(
      createOrder,
      withInput((s) => s.properties.priority.enum.push("urgent"))
    )
    expect(change).toEqual({
      tool: "create_order",
      classification: "non_breaking",
      details: ['enum value "urgent" added to property `priority`']
    })
  })

  it("a required property that became optional is non-breaking", () => {
    const { change } = only(
      createOrder,
      withInput((s) => (s.required = []))
    )
    expect(change).toEqual({
      tool: "create_order",
      classification: "non_breaking",
      details: ["property `sku` became optional"]
    })
  })
})

describe("info changes", () => {
  it("a changed tool description or title is info, quoting the before and after text", () => {
    const { change, severity } = only(createOrder, {
      ...createOrder,
      description: "Creates an order",
      title: "Create"
    })
    expect(change).toEqual({
      tool: "create_order",
      classification: "info",
      details: [
        'title changed from unset to "Create"',
        'description changed from "Create an order" to "Creates an order"'
      ]
    })
    expect(severity).toBe("info")
  })

  it("a changed annotation is info and says what changed", () => {
    const { change } = only(createOrder, { ...createOrder, annotations: { destructiveHint: true } })
    expect(change).toEqual({
      tool: "create_order",
      classification: "info",
      details: ["annotation `destructiveHint` changed from unset to true"]
    })
  })

  it("a changed property description or default is info", () => {
    const { change } = only(
      createOrder,
      withInput((s) => {
        s.properties.sku.description = "Stock keeping unit"
        s.properties.quantity.default = 1
      })
    )
    expect(change.classification).toBe("info")
    expect(change.details).toEqual([
      "`default` of property `quantity` changed from unset to 1",
      "description of property `sku` changed"
    ])
  })
})

describe("output schemas are judged from the consumer's side", () => {
  const withOutput: Tool = {
    ...createOrder,
    outputSchema: {
      type: "object",
      properties: { id: { type: "string" }, total: { type: "number" } },
      required: ["id", "total"]
    }
  }
  const out = (f: (s: any) => void): Tool => {
    const outputSchema = structuredClone(withOutput.outputSchema) as any
    f(outputSchema)
    return { ...withOutput, outputSchema }
  }

  it("a removed output property is breaking", () => {
    const { change } = only(
      withOutput,
      out((s) => {
        delete s.properties.total
        s.required = ["id"]
      })
    )
    expect(change).toEqual({
      tool: "create_order",
      classification: "breaking",
      details: ["output property `total` removed"]
    })
  })

  it("a required output property that became optional is breaking", () => {
    expect(
      only(
        withOutput,
        out((s) => (s.required = ["id"]))
      ).change.details
    ).toEqual(["output property `total` became optional"])
  })

  it("an added output property is non-breaking", () => {
    const { change } = only(
      withOutput,
      out((s) => (s.properties.currency = { type: "string" }))
    )
    expect(change).toEqual({
      tool: "create_order",
      classification: "non_breaking",
      details: ["output property `currency` added"]
    })
  })

  it("an added output schema is non-breaking, a removed one breaking", () => {
    expect(only(createOrder, withOutput).change.classification).toBe("non_breaking")
    expect(only(withOutput, createOrder).change).toEqual({
      tool: "create_order",
      classification: "breaking",
      details: ["output schema removed"]
    })
  })
})

describe("a diff's severity is its most severe change", () => {
  it("mixes of added, changed and removed tools take the worst", () => {
    const info = { ...createOrder, description: "x" }
    const added: Tool = { name: "z_new", inputSchema: {} }
    expect(Drift.diff([createOrder], [info, added]).severity).toBe("non_breaking")
    const gone: Tool = { name: "old", inputSchema: {} }
    expect(Drift.diff([createOrder, gone], [info, added]).severity).toBe("breaking")
  })

  it("a tool change takes its most severe detail", () => {
    const { change } = only(
      createOrder,
      withInput((s) => {
        s.properties.note = { type: "string" }
        delete s.properties.tags
        s.properties.sku.description = "x"
      })
    )
    expect(change.classification).toBe("breaking")
    expect(change.details).toHaveLength(3)
  })

  it("changes lists removed, added and changed tools together, each classified", () => {
    const d = Drift.diff(
      [createOrder, { name: "old", inputSchema: {} }],
      [
        { ...createOrder, title: "t" },
        { name: "new", inputSchema: {} }
      ]
    )
    expect(Drift.changes(d).map((c) => [c.tool, c.classification])).toEqual([
      ["create_order", "info"],
      ["new", "non_breaking"],
      ["old", "breaking"]
    ])
  })
})

describe("impact names the workflows and monitors that use a changed or removed tool", () => {
  const workflow = (id: string, toolPolicy: ToolPolicy) =>
    Schema.decodeUnknownSync(Workflow)({
      id,
      orgId: "org",
      currentVersionId: `${id}-v1`,
      version: 1,
      state: "active",
      spec: {
        name: `Workflow ${id}`,
        mcpServerId: "srv",
        prompt: "Do things",
        criteria: [{ id: "c1", text: "Works" }],
        testerModels: ["openai:gpt-5-mini"],
        judgeModel: "openai:gpt-5-mini",
        toolPolicy
      },
      createdAt: "2026-01-01T00:00:00Z",
      updatedAt: "2026-01-01T00:00:00Z"
    })
  const monitor = (id: string, toolName: string, nextSteps: ReadonlyArray<string> = []) =>
    Schema.decodeUnknownSync(Monitor)({
      id,
      orgId: "org",
      name: `Monitor ${id}`,
      mcpServerId: "srv",
      toolName,
      nextSteps: nextSteps.map((t) => ({ toolName: t })),
      nextCheckAt: "2026-01-01T00:00:00Z",
      lastOutcome: null,
      lastCheckedAt: null,
      createdAt: "2026-01-01T00:00:00Z",
      updatedAt: "2026-01-01T00:00:00Z"
    })

  const before: Tool[] = [
    createOrder,
    { name: "delete_order", inputSchema: {} },
    { name: "list_orders", inputSchema: {} },
    { name: "get_customer", inputSchema: {} }
  ]
  const after: Tool[] = [
    withInput((s) => s.required.push("quantity")),
    { name: "list_orders", inputSchema: {} },
    { name: "get_customer", inputSchema: {} },
    { name: "ping", inputSchema: {} }
  ]
  const d = Drift.diff(before, after)

  it("by exact name or glob in allowedTools, not when denied, never by an open policy", () => {
    const result = Drift.impact(d, {
      workflows: [
        workflow("exact", { allowedTools: ["create_order"] }),
        workflow("glob", { allowedTools: ["*_order"] }),
        workflow("denied", { allowedTools: ["*_order"], deniedTools: ["delete_*", "create_order"] }),
        workflow("open", {}),
        workflow("unrelated", { allowedTools: ["list_orders", "ping"] })
      ],
      monitors: [],
      recentCalls: []
    })
    expect(result.affectedWorkflows).toEqual([
      { workflowId: "exact", name: "Workflow exact", tools: ["create_order"], via: ["tool_policy"] },
      {
        workflowId: "glob",
        name: "Workflow glob",
        tools: ["create_order", "delete_order"],
        via: ["tool_policy"]
      }
    ])
  })

  it("by tools called in recent runs, also for open policies", () => {
    const result = Drift.impact(d, {
      workflows: [
        workflow("open", {}),
        workflow("both", { allowedTools: ["create_order"] }),
        workflow("quiet", {})
      ],
      monitors: [],
      recentCalls: [
        { workflowId: "open", toolName: "delete_order" },
        { workflowId: "open", toolName: "list_orders" },
        { workflowId: "both", toolName: "create_order" },
        { workflowId: "both", toolName: "delete_order" }
      ]
    })
    expect(result.affectedWorkflows).toEqual([
      { workflowId: "open", name: "Workflow open", tools: ["delete_order"], via: ["recent_runs"] },
      {
        workflowId: "both",
        name: "Workflow both",
        tools: ["create_order", "delete_order"],
        via: ["tool_policy", "recent_runs"]
      }
    ])
  })

  it("monitors by their tool or any later step's tool", () => {
    const result = Drift.impact(d, {
      workflows: [],
      monitors: [
        monitor("m1", "create_order"),
        monitor("m2", "list_orders", ["delete_order"]),
        monitor("m3", "list_orders", ["ping"])
      ],
      recentCalls: []
    })
    expect(result.affectedMonitors).toEqual([
      { monitorId: "m1", name: "Monitor m1", tools: ["create_order"] },
      { monitorId: "m2", name: "Monitor m2", tools: ["delete_order"] }
    ])
  })

  it("added tools affect nobody", () => {
    const onlyAdded = Drift.diff([], [{ name: "ping", inputSchema: {} }])
    const result = Drift.impact(onlyAdded, {
      workflows: [workflow("w", { allowedTools: ["ping"] })],
      monitors: [monitor("m", "ping")],
      recentCalls: [{ workflowId: "w", toolName: "ping" }]
    })
    expect(result).toEqual({ affectedWorkflows: [], affectedMonitors: [] })
  })
})

describe("restoredVersion: a catalog identical to an earlier version is a revert", () => {
  const v = (version: number, hash: string) => ({ version, hash })
  it("names the newest earlier version with the same hash, never the version itself or a later one", () => {
    const history = [v(5, "c"), v(4, "a"), v(3, "b"), v(2, "a"), v(1, "a")]
    expect(Drift.restoredVersion(v(5, "c"), history)).toBeNull()
    expect(Drift.restoredVersion(v(6, "a"), history)).toBe(4)
    expect(Drift.restoredVersion(v(3, "b"), [...history, v(7, "b")])).toBeNull()
    expect(Drift.restoredVersion(v(2, "a"), history)).toBe(1)
  })
})
