/** `sync_mcp_server_capabilities` (SPEC §9.1): re-read a server's tools and classify the drift. */
import { Id, Servers } from "@armature/core"
import { define } from "../Tool.js"

export const syncMcpServerCapabilities = define({
  name: "sync_mcp_server_capabilities",
  title: "Sync an MCP server's capabilities",
  summary:
    "Connects to a registered MCP server, reads its tool catalog, and stores a new catalog version when " +
    "it changed: returns the tools added, removed and changed (each change classified) and the " +
    "workflows and monitors affected. Fails with server_unreachable when the server cannot be reached.",
  annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
  input: { mcpServerId: Id },
  output: Servers.SyncResult,
  run: (caller, args) => Servers.sync(caller, args.mcpServerId)
})
