/**
 * `design_workflow_suite(mcpServerId)` (SPEC §9.5): read what a workflow may use and what the
 * server offers, draft workflows for the tools no workflow covers, stage them, stop for review.
 */
import { define, steps } from "../Prompt.js"

export const designWorkflowSuite = define({
  name: "design_workflow_suite",
  title: "Design a workflow suite for an MCP server",
  description:
    "Walks through designing workflows for the tools of an MCP server that no workflow covers yet: read " +
    "the models, the workflow schema, the server's catalog and coverage, draft, stage, and stop for human " +
    "review.",
  arguments: { mcpServerId: "The id of the registered MCP server to design workflows for." },
  text: ({ mcpServerId }) =>
    steps(
      `Design workflows that test the MCP server ${mcpServerId}. Follow these steps in order, using the ` +
        "Armature MCP tools and resources named.",
      [
        "Read the models catalog: read `armature://catalog/models` and pick `testerModels` and a " +
          "`judgeModel` from it.",
        "Read the workflow schema: read `armature://schemas/workflow`; every draft must be valid against it.",
        `Read the server's catalog: read \`armature://mcp-servers/${mcpServerId}/catalog\` for its tools, ` +
          "their input schemas and annotations, and recent drift.",
        `Read the server's coverage: read \`armature://mcp-servers/${mcpServerId}/coverage\` and list the ` +
          "tools no workflow covers (and the arguments and enum values never exercised).",
        "Draft workflows for the uncovered tools: for each, a realistic user prompt, criteria a judge can " +
          `check from the trace, \`mcpServerId\` = "${mcpServerId}", \`toolPolicy.allowedTools\` limited to ` +
          "the tools it needs, and `schedule: null` unless asked otherwise. Never put credentials in a spec.",
        "Stage each draft as a proposal: where it extends an existing workflow of this server (the coverage " +
          "names them), read `armature://workflows/{workflowId}` and call `propose_workflow_patch` with " +
          "`baseVersionId` = its currentVersionId; where a failed run already shows the gap, call " +
          "`draft_regression_workflow_from_run`. The API has no tool that creates a workflow outright: give " +
          "a wholly new workflow to the human as its JSON spec.",
        "Stop for human review: list the proposal ids and specs with what each covers, and do not call " +
          "`apply_workflow_change` yourself."
      ]
    )
})
