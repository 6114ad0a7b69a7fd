/**
 * Monitoring-as-code for the demo shop MCP server (examples/demo-mcp-server), in TypeScript.
 * `npm start` applies it; `armature apply`, `armature validate` and `armature test` take it too.
 * The import is type-only, so this file needs nothing at run time.
 */
import type { ConfigFile } from "@armature/core"

const baseUrl = process.env.DEMO_MCP_URL ?? "http://127.0.0.1:3333/mcp"

export default {
  servers: [{ name: "demo-shop", transport: "streamable_http", baseUrl }],

  monitors: [
    {
      name: "Order lookup answers",
      server: "demo-shop",
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: 60,
      // Latency budgets: degraded (a pass alerts can watch) above 0.8 s, a fail above 2 s.
      degradedAboveMs: 800,
      failAboveMs: 2000,
      // Checks on the result: a wrong answer without an error fails the check too.
      assertions: [
        { type: "jsonPath", path: "$.orderId", equals: "A-1001" },
        { type: "jsonPath", path: "$.status", matches: "^(processing|shipped|delivered)$" },
        { type: "numberInRange", path: "$.totalEur", min: 0 },
        { type: "arrayLength", path: "$.items", min: 1 }
      ]
    },
    {
      name: "Product list answers",
      server: "demo-shop",
      toolName: "list_products",
      arguments: { maxPriceEur: 20 },
      intervalSeconds: 60
    }
  ],

  workflows: [
    {
      name: "Customer can look up an order",
      server: "demo-shop",
      prompt: [
        "You are a customer-support agent. Find order A-1001 and tell the customer",
        "its status and the total amount."
      ].join("\n"),
      criteria: [
        { text: "The agent looked up order A-1001 with the order lookup tool" },
        { text: "The answer states the order status and the total amount" },
        { text: "The answer is polite and concise", required: false }
      ],
      assertions: [
        { type: "tool_called", tool: "get_order", args: { orderId: "A-1001" } },
        { type: "no_tool_errors" },
        { type: "max_tool_calls", max: 6 }
      ],
      testerModels: ["openai:gpt-5-mini"],
      judgeModel: "openai:gpt-5-mini",
      schedule: { cron: "0 * * * *" },
      toolPolicy: { allowedTools: ["get_order", "list_products"], allowDestructive: false }
    }
  ]
} satisfies ConfigFile.Input
