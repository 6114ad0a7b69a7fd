/**
 * The tool table of the MCP API (SPEC §9.1): every tool, in the order they are listed. The
 * listing, the dispatch of `tools/call`, the role matrix of the tests and the README's table are
 * derived from it; minimum roles come from core's permission table (`Roles`).
 */
import {
  type Ids,
  type LanguageModels,
  type McpConnector,
  Roles,
  type Servers,
  type StorePorts
} from "@armature/core"
import { jsonSchemaOf } from "./internal/jsonSchema.js"
import type { ListedTool } from "./internal/sdk.js"
import { argumentsOf, type Tool, type ToolName } from "./Tool.js"
import { getOrganizationHealth } from "./tools/organization.js"
import {
  applyWorkflowChange,
  draftRegressionWorkflowFromRun,
  proposeWorkflowPatch
} from "./tools/proposals.js"
import { compareRuns, diagnoseRun, inspectRun, runWorkflowNow, searchRuns } from "./tools/runs.js"
import { syncMcpServerCapabilities } from "./tools/servers.js"

/**
 * The services the tools' use cases need: the store's ports, MCP connections (sync), language
 * models (checking proposed models), ids, and the server policy of probes.
 */
export type Requirements = StorePorts | McpConnector | LanguageModels | Ids | Servers.ServerPolicy

/** Every tool of the API. */
export const tools: ReadonlyArray<Tool<Requirements>> = [
  searchRuns,
  inspectRun,
  diagnoseRun,
  getOrganizationHealth,
  proposeWorkflowPatch,
  draftRegressionWorkflowFromRun,
  applyWorkflowChange,
  runWorkflowNow,
  compareRuns,
  syncMcpServerCapabilities
]

const byName = new Map<string, Tool<Requirements>>(tools.map((tool) => [tool.name, tool]))

/** The tool named `name`, if there is one. */
export const find = (name: string): Tool<Requirements> | undefined => byName.get(name)

/** The minimum role of a tool, from core's permission table. */
export const minimumRole = (tool: Tool<any>) => Roles.minimumRole(tool.name)

/** The description a client shows the model: what the tool does, then who may call it. */
export const descriptionOf = (tool: Tool<any>) =>
  `${tool.summary} Minimum role: ${minimumRole(tool)}. Every tool also accepts \`telemetry: { intent? }\`.`

/** A tool as `tools/list` lists it. */
export const listed = (tool: Tool<any>): ListedTool => ({
  name: tool.name,
  title: tool.title,
  description: descriptionOf(tool),
  inputSchema: jsonSchemaOf(argumentsOf(tool)) as ListedTool["inputSchema"],
  outputSchema: jsonSchemaOf(tool.output) as NonNullable<ListedTool["outputSchema"]>,
  annotations: { title: tool.title, ...tool.annotations }
})

/** Names of every tool, to check the table against the permission table. */
export const names: ReadonlyArray<ToolName> = tools.map((tool) => tool.name)
