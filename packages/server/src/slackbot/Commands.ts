/**
 * `/armature` subcommands as core use cases for a caller: what each answers in words. Roles,
 * errors and limits are core's, as for the API; the bot turns refusals into sentences.
 */
import { type Caller, Coverage, OrganizationHealth, Pages, Runs, Servers, Workflows } from "@armature/core"
import { Effect } from "effect"
import { byName, explain } from "./match.js"

export const help = [
  "*Armature* — what you can ask:",
  "• `/armature status` — failing workflows and monitors first",
  "• `/armature runs [workflow]` — the latest runs",
  "• `/armature run <workflow>` — run a workflow now (editor); the message shows the verdict when it ends",
  "• `/armature coverage <server>` — which tools the workflows and monitors cover",
  "• `/armature config proposals #channel` — post agents' proposed workflow changes there (admin)",
  "• `/armature link` — act here as your Armature member",
  "• `/armature help` — this list"
].join("\n")

const percent = (rate: number | null) =>
  rate === null ? "no graded runs" : `${Math.round(rate * 1000) / 10} %`

/** The organization's health, what needs attention first. */
export const status = (caller: Caller) =>
  Effect.map(OrganizationHealth.get(caller), (h) => {
    const lines = [`*Workflow pass rate, last ${h.windowDays} days:* ${percent(h.passRate)}`]
    lines.push(
      h.failingWorkflows.length === 0
        ? "No workflow's last run failed."
        : `*Failing workflows:* ${h.failingWorkflows.map((w) => `${w.name} (${w.lastStatus})`).join(", ")}`
    )
    lines.push(
      h.monitors.attention.length === 0
        ? `All ${h.monitors.counts.total} monitors are healthy or paused.`
        : `*Monitors needing attention:* ${h.monitors.attention.map((m) => `${m.name} (${m.state})`).join(", ")}`
    )
    if (h.serversWithDrift.length > 0) {
      lines.push(`*Servers with drift:* ${h.serversWithDrift.map((s) => s.name).join(", ")}`)
    }
    return lines.join("\n")
  })

const allWorkflows = (caller: Caller) => Pages.all((request) => Workflows.list(caller, request))

/** The latest runs, of one workflow when named. */
export const runs = (caller: Caller, typed: string) =>
  Effect.gen(function* () {
    let workflowId: string | undefined
    if (typed !== "") {
      const match = byName(
        (yield* allWorkflows(caller)).map((w) => ({ name: w.spec.name, id: w.id })),
        typed
      )
      if (match._tag !== "found") return explain("workflow", typed, match)
      workflowId = match.item.id
    }
    const found = yield* Runs.search(caller, {
      limit: 10,
      ...(workflowId === undefined ? {} : { workflowId })
    })
    if (found.runs.length === 0) return "No runs yet."
    return found.runs
      .map(
        (r) =>
          `• ${r.workflowName}: *${r.status}* (${r.trigger}, ${r.finishedAt?.toISOString() ?? "not finished"})`
      )
      .join("\n")
  })

/** The workflow `typed` names, or the sentence saying why none. */
export const workflowNamed = (caller: Caller, typed: string) =>
  Effect.map(allWorkflows(caller), (all) => {
    const match = byName(
      all.map((w) => ({ name: w.spec.name, id: w.id })),
      typed
    )
    return match._tag === "found" ? match.item : explain("workflow", typed, match)
  })

/** Starts a run of a workflow now (editor+). */
export const run = (caller: Caller, workflowId: string) =>
  Effect.map(Runs.dispatch(caller, { workflowId, reason: "Run from Slack" }), (d) => d.run)

/** The coverage of a server's tools. */
export const coverage = (caller: Caller, typed: string) =>
  Effect.gen(function* () {
    const servers = yield* Pages.all((request) => Servers.list(caller, request))
    const match = byName(servers, typed)
    if (match._tag !== "found") return explain("server", typed, match)
    const report = yield* Coverage.report(caller, match.item.id)
    return [
      `*${match.item.name}:* ${report.percentage === null ? "no tools" : `${report.percentage} %`} of ${report.consideredTools} tools covered`,
      report.uncovered.length === 0 ? "Every tool is covered." : `Not covered: ${report.uncovered.join(", ")}`
    ].join("\n")
  })
