/** The demo shop world the MCP API tests share: the demo MCP server registered, and its order-lookup workflow. */
import { rest } from "../../support/serverProcess.js"

/** Registers an MCP server without auth over REST; its id. */
export const registerServer = async (origin: string, key: string, name: string, baseUrl: string) =>
  (
    await rest(origin, key, "POST", "/mcp-servers", {
      name,
      baseUrl,
      authProfiles: [{ name: "none", kind: "none" }]
    })
  ).server.id as string

/** Creates the workflow the scripted tester and judge pass: look order A-1001 up with get_order. */
export const createOrderWorkflow = async (
  origin: string,
  key: string,
  mcpServerId: string
): Promise<{ id: string; currentVersionId: string }> => {
  const created = await rest(origin, key, "POST", "/workflows", {
    name: "Customer can look up an order",
    mcpServerId,
    prompt: "Find order A-1001 and tell the customer its status and total.",
    criteria: [{ text: "The agent looked the order up with get_order" }],
    testerModels: ["scripted:tester"],
    judgeModel: "scripted:judge"
  })
  return created.workflow ?? created
}
