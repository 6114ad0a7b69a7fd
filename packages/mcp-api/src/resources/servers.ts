/** The MCP server resources (SPEC §9.4): which tools the workflows exercise, and how the tools changed. */
import { CatalogDiff, CatalogVersion, Coverage, Servers } from "@armature/core"
import { Schema } from "effect"
import { define } from "../Resource.js"

export const coverage = define({
  uri: "armature://mcp-servers/{id}/coverage",
  name: "mcp-server-coverage",
  title: "MCP server coverage",
  description:
    "Which of a server's tools the workflows cover (by tool policy or by calls in recent runs), which " +
    "arguments and enum values were exercised, the error paths seen, and which tools only monitors watch.",
  output: Coverage.CoverageReport,
  read: (caller, id) => Coverage.report(caller, id)
})

/** A catalog version without its tools, with the drift from the version before it. */
const HistoryEntry = Schema.Struct({
  ...CatalogVersion.pick("version", "hash", "serverInfo", "protocolVersion", "createdAt").fields,
  toolCount: Schema.Int,
  diff: Schema.NullOr(CatalogDiff)
})

export const catalog = define({
  uri: "armature://mcp-servers/{id}/catalog",
  name: "mcp-server-catalog",
  title: "MCP server catalog",
  description:
    "A server's latest tool catalog (names, descriptions, input and output schemas, annotations) and its " +
    "version history, newest first, each version with the drift from the one before (added, removed, " +
    "changed tools, classified).",
  output: Schema.Struct({ latest: Schema.NullOr(CatalogVersion), history: Schema.Array(HistoryEntry) }),
  read: (caller, id) => Servers.catalog(caller, id)
})
