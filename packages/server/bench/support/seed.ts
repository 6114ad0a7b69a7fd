/**
 * What the read benches store through the API before they measure: the demo MCP server, one
 * workflow on the scripted model (`support/model.ts`), and `count` runs executed by the server's
 * worker, every one passed.
 */
import type { restClient } from "./http.js"
import { sleep } from "./wait.js"

/** Registers the demo server at `demoUrl`, runs the workflow `count` times and waits until all passed. */
export const storeRuns = async (
  rest: ReturnType<typeof restClient>,
  demoUrl: string,
  count: number,
  log: (line: string) => void
) => {
  const { server } = await rest("POST", "/mcp-servers", {
    name: "demo-shop",
    baseUrl: demoUrl,
    authProfiles: [{ name: "none", kind: "none" }]
  })
  const created = await rest("POST", "/workflows", {
    name: "Customer can look up an order",
    mcpServerId: server.id,
    prompt: "Find order A-1001 and tell the customer its status and total.",
    criteria: [{ text: "The agent looked the order up with get_order" }],
    testerModels: ["openai:gpt-5-mini"],
    judgeModel: "openai:gpt-5-mini"
  })
  const workflowId: string = created.workflow?.id ?? created.id
  log(`dispatching ${count} runs`)
  const runIds: string[] = []
  for (let i = 0; i < count; i++) {
    const dispatched = await rest("POST", `/workflows/${workflowId}/runs`, { idempotencyKey: `bench-${i}` })
    runIds.push(dispatched.run.runId)
  }
  const deadline = Date.now() + 120_000
  for (;;) {
    const page = await rest("GET", `/runs?workflowId=${workflowId}&limit=100`)
    const items = page.items as Array<{ status: string }>
    const open = items.filter((r) => r.status === "pending" || r.status === "running").length
    if (items.length >= count && open === 0) {
      const notPassing = items.filter((r) => r.status !== "pass")
      if (notPassing.length > 0) throw new Error(`runs did not pass: ${JSON.stringify(notPassing)}`)
      break
    }
    if (Date.now() > deadline) throw new Error(`runs not finished in 120 s: ${open} open`)
    await sleep(250)
  }
  log(`${count} runs passed`)
  return { serverId: server.id as string, workflowId, runIds }
}
