/**
 * An agent's staged workflow change as a Slack message for the proposals channel: what changes,
 * why, and Approve / Dismiss buttons; once decided, the same message says who decided and (for an
 * applied change) offers "Run now". Within Slack's limits like `SlackMessage`.
 */
import type { Proposal } from "@armature/core"
import { formatTime, truncate } from "./internal/wording.js"
import { actionIds } from "./SlackActions.js"
import { type Block, type Button, escapeMrkdwn, type Rendered } from "./SlackMessage.js"

/** Where the proposal stands, as the message shows it. `by` is a Slack user id. */
export type State =
  | { readonly _tag: "pending" }
  | { readonly _tag: "applied"; readonly by: string; readonly workflowId: string; readonly version: number }
  | { readonly _tag: "dismissed"; readonly by: string }

const limits = { header: 150, section: 3000, value: 400, fields: 12 }

/** A user mention, only for what looks like a Slack user id (it came from Slack, but the text is ours). */
const mention = (userId: string) => (/^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId))

const display = (value: unknown): string =>
  value === undefined || value === null ? "(none)" : typeof value === "string" ? value : JSON.stringify(value)

/** One changed field as a before / after pair, each value cut to a readable length. */
const change = (d: Proposal["diff"][number]): string =>
  [
    `*${escapeMrkdwn(d.field)}*`,
    `> − ${escapeMrkdwn(truncate(display(d.before), limits.value)).replaceAll("\n", "\n>    ")}`,
    `> + ${escapeMrkdwn(truncate(display(d.after), limits.value)).replaceAll("\n", "\n>    ")}`
  ].join("\n")

const button = (text: string, action: string, value: string, style?: "primary" | "danger"): Button => ({
  type: "button",
  text: { type: "plain_text", text },
  action_id: action,
  value,
  ...(style === undefined ? {} : { style })
})

/** The message for `proposal` in `state`. */
export const render = (proposal: Proposal, state: State = { _tag: "pending" }): Rendered => {
  const name = proposal.spec.name
  const title =
    proposal.kind === "create" ? `New workflow proposed: ${name}` : `Change proposed to workflow ${name}`
  // Whole fields only, as many as fit one section with room left to say how many more changed.
  const shown: Array<string> = []
  let used = 0
  for (const d of proposal.diff) {
    const text = change(d)
    if (shown.length === limits.fields || used + text.length + 1 > limits.section - 80) break
    shown.push(text)
    used += text.length + 1
  }
  const more = proposal.diff.length - shown.length
  const diffText = [
    ...shown,
    ...(more > 0 ? [`… and ${more} more changed field${more === 1 ? "" : "s"}`] : [])
  ].join("\n")
  const blocks: Array<Block> = [
    {
      type: "header",
      text: { type: "plain_text", text: truncate(`📝 ${title}`, limits.header), emoji: true }
    },
    {
      type: "section",
      text: { type: "mrkdwn", text: truncate(`*Why:* ${escapeMrkdwn(proposal.rationale)}`, limits.section) }
    },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: truncate(diffText === "" ? "_No field changes._" : diffText, limits.section)
      }
    }
  ]
  if (proposal.warnings.length > 0) {
    blocks.push({
      type: "context",
      elements: [
        { type: "mrkdwn", text: truncate(`⚠️ ${escapeMrkdwn(proposal.warnings.join(" · "))}`, limits.section) }
      ]
    })
  }
  switch (state._tag) {
    case "pending":
      blocks.push({
        type: "actions",
        elements: [
          button("Approve", actionIds.approveProposal, proposal.id, "primary"),
          button("Dismiss", actionIds.dismissProposal, proposal.id)
        ]
      })
      break
    case "applied":
      blocks.push(
        {
          type: "section",
          text: { type: "mrkdwn", text: `✅ Applied by ${mention(state.by)} as version ${state.version}.` }
        },
        { type: "actions", elements: [button("Run now", actionIds.runWorkflow, state.workflowId, "primary")] }
      )
      break
    case "dismissed":
      blocks.push({ type: "section", text: { type: "mrkdwn", text: `Dismissed by ${mention(state.by)}.` } })
  }
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: `Armature proposal ${proposal.id.slice(0, 8)} · applicable until ${formatTime(proposal.expiresAt)}`
      }
    ]
  })
  const outcome = state._tag === "applied" ? " (applied)" : state._tag === "dismissed" ? " (dismissed)" : ""
  return { text: truncate(`${escapeMrkdwn(title)}${outcome}`, 3000), blocks }
}
