/**
 * An alert as an email: the same content as HTML and as plain text. Everything that comes from a
 * user or a server under test (names, the summary with the judge's reasoning, error text, the
 * link) is escaped in the HTML: an MCP server's error message is attacker-controlled input.
 */
import type { AlertMessage } from "@armature/core"
import { facts, headline, safeLink, truncate } from "./internal/wording.js"

export interface Rendered {
  readonly subject: string
  readonly html: string
  readonly text: string
}

/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (text: string): string =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;")

// A judge's reasoning over many criteria can be long, but not book-long.
const maxSummary = 20_000

const kinds = {
  firing: { label: "Alert", color: "#cf222e" },
  incident: { label: "Incident", color: "#cf222e" },
  reminder: { label: "Still failing", color: "#9a6700" },
  recovery: { label: "Recovered", color: "#1a7f37" }
} as const

const footer = (m: AlertMessage) => `Sent by Armature because of the alert rule "${m.ruleName}".`

/** Renders the message as an email. */
export const render = (m: AlertMessage): Rendered => {
  // A line break in a subject would end the header; providers refuse it or, worse, accept it.
  const subject = truncate(m.subject.replace(/[\r\n]+/g, " "), 250)
  const title = headline(m)
  const rows = facts(m)
  const summary = truncate(m.summary.trim(), maxSummary, "\n… (truncated)")
  const link = safeLink(m.link)
  const kind = kinds[m.kind]

  const text = [
    title,
    "",
    ...rows.map(([label, value]) => `${label}: ${value}`),
    ...(summary === "" ? [] : ["", summary]),
    ...(m.link === null ? [] : ["", `Open in Armature: ${m.link}`]),
    "",
    "--",
    footer(m),
    ""
  ].join("\n")

  const e = escapeHtml
  const cell = "padding:4px 12px 4px 0;vertical-align:top;font-size:14px"
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(subject)}</title></head>
<body style="margin:0;padding:24px;background:#f6f8fa;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328">
<div style="max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;border-radius:8px;padding:24px">
<p style="margin:0 0 8px;font-size:13px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:${kind.color}">${e(kind.label)}</p>
<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3">${e(title)}</h1>
<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">
${rows.map(([label, value]) => `<tr><th align="left" style="${cell};color:#59636e;font-weight:600">${e(label)}</th><td style="${cell}">${e(value)}</td></tr>`).join("\n")}
</table>
${summary === "" ? "" : `<div style="margin:0 0 16px;padding:12px;background:#f6f8fa;border-radius:6px;font-size:14px;line-height:1.5;white-space:pre-wrap;word-break:break-word">${e(summary)}</div>\n`}${
  link === null
    ? m.link === null
      ? ""
      : `<p style="margin:0 0 16px;font-size:14px">${e(m.link)}</p>\n`
    : `<p style="margin:0 0 8px"><a href="${e(link)}" style="display:inline-block;padding:8px 16px;background:#1f6feb;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600;font-size:14px">Open in Armature</a></p>
<p style="margin:0 0 16px;font-size:12px;color:#59636e;word-break:break-all">${e(link)}</p>\n`
}</div>
<p style="max-width:640px;margin:12px auto 0;font-size:12px;color:#59636e">${e(footer(m))}</p>
</body>
</html>
`
  return { subject, html, text }
}
