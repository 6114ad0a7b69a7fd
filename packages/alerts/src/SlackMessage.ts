/**
 * An alert as a Slack message: Block Kit blocks plus the plain `text` Slack shows in
 * notifications and screen readers. Kept within Slack's limits (header 150 characters, section
 * text 3 000, 10 fields, 50 blocks) so a long judge's reasoning never gets the message refused.
 */
import type { AlertMessage } from "@armature/core"
import { facts, formatTime, headline, safeLink, truncate } from "./internal/wording.js"

/** The Block Kit shapes this module renders (a subset of `@slack/types`' `KnownBlock`). */
export type Text =
  | { readonly type: "plain_text"; readonly text: string; readonly emoji?: boolean }
  | { readonly type: "mrkdwn"; readonly text: string }
export type Block =
  | { readonly type: "header"; readonly text: Text & { readonly type: "plain_text" } }
  | { readonly type: "section"; readonly text?: Text; readonly fields?: ReadonlyArray<Text> }
  | { readonly type: "context"; readonly elements: ReadonlyArray<Text> }
  | {
      readonly type: "actions"
      readonly elements: ReadonlyArray<{
        readonly type: "button"
        readonly text: Text & { readonly type: "plain_text" }
        readonly url: string
        readonly action_id: string
      }>
    }

/** What `chat.postMessage` gets. */
export interface Rendered {
  readonly text: string
  readonly blocks: ReadonlyArray<Block>
}

/**
 * The `action_id` of the "Open in Armature" button. Slack sends an interaction to the app even for
 * a link button, so an app with interactivity on should acknowledge it (Bolt:
 * `app.action(openLinkActionId, ({ ack }) => ack())`) or Slack shows a warning beside it.
 */
export const openLinkActionId = "armature_open_link"

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
  if (link !== null && link.length <= limits.buttonUrl) {
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Open in Armature" },
          url: link,
          action_id: openLinkActionId
        }
      ]
    })
  }
  blocks.push({
    type: "context",
    elements: [
      { type: "mrkdwn", text: truncate(escapeMrkdwn(`Armature · ${m.subject} · ${formatTime(m.at)}`), 3000) }
    ]
  })
  const text = [escapeMrkdwn(m.subject), ...(m.link === null ? [] : [escapeMrkdwn(m.link)])].join("\n")
  return { text: truncate(text, 3000), blocks: blocks.slice(0, limits.blocks) }
}
