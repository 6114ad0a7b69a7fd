/**
 * An alert as a Slack message: Block Kit blocks plus the plain `text` Slack shows in
 * notifications and screen readers. Kept within Slack's limits (header 150 characters, section
 * text 3 000, 10 fields, 50 blocks) so a long judge's reasoning never gets the message refused.
 */
import type { AlertMessage } from "@armature/core"
import { facts, formatTime, headline, safeLink, truncate } from "./internal/wording.js"
import { actionIds } from "./SlackActions.js"

/** The Block Kit shapes this module renders (a subset of `@slack/types`' `KnownBlock`). */
export type Text =
  | { readonly type: "plain_text"; readonly text: string; readonly emoji?: boolean }
  | { readonly type: "mrkdwn"; readonly text: string }
export type Block =
  | { readonly type: "header"; readonly text: Text & { readonly type: "plain_text" } }
  | { readonly type: "section"; readonly text?: Text; readonly fields?: ReadonlyArray<Text> }
  | { readonly type: "context"; readonly elements: ReadonlyArray<Text> }
  | { readonly type: "actions"; readonly elements: ReadonlyArray<Button> }

/** A link button (`url`) or one whose click the Slack bot answers (`value`). */
export type Button = {
  readonly type: "button"
  readonly text: Text & { readonly type: "plain_text" }
  readonly action_id: string
  readonly style?: "primary" | "danger"
} & ({ readonly url: string } | { readonly value: string })

/** What `chat.postMessage` gets. */
export interface Rendered {
  readonly text: string
  readonly blocks: ReadonlyArray<Block>
}

/** The `action_id` of the "Open in Armature" button (`SlackActions.actionIds.openLink`). */
export const openLinkActionId = actionIds.openLink

const limits = { header: 150, sectionText: 3000, field: 2000, buttonUrl: 3000, summaryBlocks: 5, blocks: 50 }

/**
 * Escapes the three characters Slack's mrkdwn gives meaning to, so user-controlled text (names,
 * judge reasoning, error messages) cannot mention `@channel` or forge links.
 */
export const escapeMrkdwn = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")

const emoji = { firing: "🔴", incident: "🔴", reminder: "⏰", recovery: "✅" } as const

/** Moves a cut at `end` back before an `&amp;`-style entity it would split. */
const withoutPartialEntity = (text: string, end: number): number => {
  const amp = text.lastIndexOf("&", end - 1)
  return amp !== -1 && end - amp < 5 && !text.slice(amp, end).includes(";") ? amp : end
}

/** Splits the summary into section-sized chunks, at line breaks where it can. */
const chunks = (text: string, size: number, max: number): Array<string> => {
  const out: Array<string> = []
  let rest = text
  while (rest.length > 0 && out.length < max) {
    if (rest.length <= size) {
      out.push(rest)
      rest = ""
      break
    }
    const cut = rest.lastIndexOf("\n", size)
    const end = cut > size / 2 ? cut : withoutPartialEntity(rest, size)
    out.push(rest.slice(0, end))
    rest = rest.slice(end).replace(/^\n/, "")
  }
  if (rest.length > 0 && out.length > 0) {
    const marker = "\n… (truncated: open the alert in Armature for the rest)"
    const last = out[out.length - 1]!
    out[out.length - 1] = `${last.slice(0, withoutPartialEntity(last, size - marker.length))}${marker}`
  }
  return out
}

const button = (text: string, action: string, value: string): Button => ({
  type: "button",
  text: { type: "plain_text", text },
  action_id: action,
  value
})

/**
 * The buttons of an alert: open it; while it is a problem, run the workflow again and mute for an
 * hour (the monitor itself, else the rule). A server incident groups several rules, so it has no
 * mute: each rule's own alerts do.
 */
const actionsOf = (m: AlertMessage, link: string | null): Array<Button> => {
  const out: Array<Button> = []
  if (link !== null) {
    const label = m.target?.type === "workflow" && link.includes("/runs/") ? "Open run" : "Open in Armature"
    out.push({
      type: "button",
      text: { type: "plain_text", text: label },
      url: link,
      action_id: actionIds.openLink
    })
  }
  if (m.kind === "recovery" || m.kind === "incident" || m.outcome === "test") return out
  if (m.target?.type === "workflow") out.push(button("Run again", actionIds.runWorkflow, m.target.id))
  if (m.target?.type === "monitor") out.push(button("Mute 1 h", actionIds.muteMonitor, m.target.id))
  else if (m.ruleId !== undefined) out.push(button("Mute 1 h", actionIds.muteRule, m.ruleId))
  return out
}

/** Renders the message for Slack. */
export const render = (m: AlertMessage): Rendered => {
  const link = safeLink(m.link)
  const blocks: Array<Block> = [
    {
      type: "header",
      text: {
        type: "plain_text",
        text: truncate(`${emoji[m.kind]} ${headline(m)}`, limits.header),
        emoji: true
      }
    },
    {
      type: "section",
      fields: facts(m)
        .filter(([label]) => label !== "What")
        .slice(0, 10)
        .map(([label, value]) => ({
          type: "mrkdwn" as const,
          text: truncate(`*${label}*\n${escapeMrkdwn(value)}`, limits.field)
        }))
    }
  ]
  // Escaping first and chunking after keeps every chunk within the limit as Slack counts it.
  for (const chunk of chunks(escapeMrkdwn(m.summary.trim()), limits.sectionText, limits.summaryBlocks)) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: chunk } })
  }
  const buttons = actionsOf(m, link !== null && link.length <= limits.buttonUrl ? link : null)
  if (buttons.length > 0) blocks.push({ type: "actions", elements: buttons })
  blocks.push({
    type: "context",
    elements: [
      { type: "mrkdwn", text: truncate(escapeMrkdwn(`Armature · ${m.subject} · ${formatTime(m.at)}`), 3000) }
    ]
  })
  const text = [escapeMrkdwn(m.subject), ...(m.link === null ? [] : [escapeMrkdwn(m.link)])].join("\n")
  return { text: truncate(text, 3000), blocks: blocks.slice(0, limits.blocks) }
}
